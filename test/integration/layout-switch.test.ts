import { GetBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { parseConfig } from '../../lib/config';
import { grantedAccountsIn, type PolicyDocument, PROTECTION_SIDS } from '../../lib/domain/policy';
import { onboardTable } from '../../lib/usecases/onboard';
import { createServices, type Services } from '../../lib/wiring';
import { provisionSandbox } from '../../scripts/sandbox';
import { ref } from '../support/fakes/world';
import { existingBucketPolicy } from '../support/fixtures';
import { accountClients, BUCKET, describeWithMoto, SOURCE_A, SOURCE_B, useMoto } from '../support/integration';
import { recordingTelemetry } from '../support/telemetry';

const existing = existingBucketPolicy();

describeWithMoto('switching POLICY_LAYOUT (against moto_server)', () => {
  useMoto();
  let services: Services;
  let clients: ReturnType<typeof accountClients>;
  const policy = async () =>
    JSON.parse(
      (await clients.backupS3().send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy as string,
    ) as PolicyDocument;

  beforeAll(async () => {
    services = createServices(parseConfig(process.env));
    await provisionSandbox(services.config, []);
    clients = accountClients();
    await clients.backupS3().send(
      new PutBucketPolicyCommand({
        Bucket: BUCKET,
        Policy: JSON.stringify({
          ...existing,
          Statement: existing.Statement.map((s) => ({
            ...s,
            Resource: JSON.parse(JSON.stringify(s.Resource).replaceAll('corp-ddb-backups', BUCKET)),
          })),
        }),
      }),
    );
  });

  it('converts per-account grants to compact on the next grant, in one write, keeping every account and every foreign statement', async () => {
    const telemetry = recordingTelemetry();
    await onboardTable({ ...services, telemetry }, ref(SOURCE_A, 'orders'));
    const before = await policy();
    expect(before.Statement.map((s) => s.Sid)).toContain(`DdbBackupOrch${SOURCE_A}Objects`);

    const compact = { ...services.config, policyLayout: 'compact' as const };
    const result = await onboardTable({ ...services, config: compact, telemetry }, ref(SOURCE_B, 'customers'));
    expect(result).toMatchObject({ outcome: 'onboarded', grant: { policyWritten: true, layout: 'compact' } });
    const after = await policy();
    expect(after.Statement.slice(0, existing.Statement.length)).toEqual(
      before.Statement.slice(0, existing.Statement.length),
    );
    expect(after.Statement.map((s) => s.Sid).filter((s) => s?.startsWith('DdbBackupOrch'))).toEqual([
      'DdbBackupOrchDenyInsecureTransport',
      ...PROTECTION_SIDS,
      'DdbBackupOrchSharedObjects',
      'DdbBackupOrchSharedCleanup',
      'DdbBackupOrchSharedBucket',
    ]);
    expect([...grantedAccountsIn(after)].sort()).toEqual([SOURCE_A, SOURCE_B]);
    expect(telemetry.metrics.filter((m) => m === 'PolicyUpdated')).toHaveLength(2);
  });
});
