import { GetBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { parseConfig } from '../../lib/config';
import { grantedAccountsIn, isOwnedStatement, type PolicyDocument } from '../../lib/domain/policy';
import { checkHealth } from '../../lib/usecases/health';
import { offboardTable } from '../../lib/usecases/offboard';
import { onboardTable } from '../../lib/usecases/onboard';
import { RevokeRefusedError, revoke } from '../../lib/usecases/revoke';
import { createServices, type Services } from '../../lib/wiring';
import { provisionSandbox } from '../../scripts/sandbox';
import { ref } from '../support/fakes/world';
import { recordFigure } from '../support/figures';
import { existingBucketPolicy } from '../support/fixtures';
import { accountClients, BUCKET, describeWithMoto, SOURCE_A, SOURCE_B, useMoto } from '../support/integration';
import { recordingTelemetry } from '../support/telemetry';

const SOURCE_C = '444444444444';
const FOREIGN = existingBucketPolicy();

describeWithMoto('drift repair and revoke (against moto_server)', () => {
  useMoto({ SOURCE_ACCOUNTS: `${SOURCE_A},${SOURCE_B},${SOURCE_C}` });
  let services: Services;
  let clients: ReturnType<typeof accountClients>;
  const policy = async () =>
    JSON.parse(
      (await clients.backupS3().send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy as string,
    ) as PolicyDocument;
  const putPolicy = async (doc: PolicyDocument) =>
    clients.backupS3().send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(doc) }));
  const foreign = (doc: PolicyDocument) => doc.Statement.filter((s) => !isOwnedStatement(s));
  const granted = async () => [...grantedAccountsIn(await policy())].sort();

  beforeAll(async () => {
    services = createServices(parseConfig(process.env));
    await provisionSandbox(services.config, []);
    clients = accountClients();
    await putPolicy(FOREIGN);
    for (const [account, table] of [
      [SOURCE_A, 'orders'],
      [SOURCE_B, 'customers'],
      [SOURCE_C, 'ledger'],
    ] as const) {
      await onboardTable({ ...services, telemetry: recordingTelemetry() }, ref(account, table));
    }
  }, 60_000);

  it('puts back the statements a person removed from the bucket policy, and its gauge says one account', async () => {
    const before = await policy();
    const removed = before.Statement.filter((s) => s.Sid?.startsWith(`DdbBackupOrch${SOURCE_A}`)).length;
    expect(removed).toBeGreaterThan(0);
    await putPolicy({
      ...before,
      Statement: before.Statement.filter((s) => !s.Sid?.startsWith(`DdbBackupOrch${SOURCE_A}`)),
    });
    expect(await granted()).toEqual([SOURCE_B, SOURCE_C]);

    const telemetry = recordingTelemetry();
    const report = await checkHealth({ ...services, telemetry });
    expect(report.policy).toMatchObject({
      repaired: [SOURCE_A],
      guardsRestored: [],
      unknownGrants: [],
      policyWritten: true,
    });
    expect(telemetry.gauges).toMatchObject({ PolicyRepaired: 1, PolicyGuardsRestored: 0, PolicyUnknownGrants: 0 });
    const after = await policy();
    expect([...grantedAccountsIn(after)].sort()).toEqual([SOURCE_A, SOURCE_B, SOURCE_C]);
    expect(foreign(after)).toEqual(FOREIGN.Statement);
    expect(after.Statement.filter((s) => s.Sid?.startsWith(`DdbBackupOrch${SOURCE_A}`))).toEqual(
      before.Statement.filter((s) => s.Sid?.startsWith(`DdbBackupOrch${SOURCE_A}`)),
    );

    const again = recordingTelemetry();
    expect((await checkHealth({ ...services, telemetry: again })).policy).toMatchObject({
      repaired: [],
      policyWritten: false,
    });
    expect(again.gauges.PolicyRepaired).toBe(0);
    recordFigure({
      scenario: 'Grant removed by hand',
      size: `the ${removed} statements of 1 of 3 accounts deleted from the bucket policy by hand`,
      outcome: `next health check: PolicyRepaired ${telemetry.gauges.PolicyRepaired}, statements put back as they were, ${FOREIGN.Statement.length}/${FOREIGN.Statement.length} foreign statements intact; the check after: PolicyRepaired ${again.gauges.PolicyRepaired}`,
    });
  });

  it('refuses to revoke an account with tables under backup, and writes nothing', async () => {
    const before = JSON.stringify(await policy());
    await expect(revoke({ ...services, telemetry: recordingTelemetry() }, { account: SOURCE_C })).rejects.toThrow(
      RevokeRefusedError,
    );
    expect(JSON.stringify(await policy())).toBe(before);
    expect([...(await services.grants.grantedAccounts(BUCKET))].sort()).toEqual([SOURCE_A, SOURCE_B, SOURCE_C]);
  });

  it('revokes with "force": the account’s statements and catalog entry gone, every other account and foreign statement intact', async () => {
    const before = await policy();
    const result = await revoke({ ...services, telemetry: recordingTelemetry() }, { account: SOURCE_C, force: true });
    expect(result).toMatchObject({
      account: SOURCE_C,
      catalogEntryRemoved: true,
      policyWritten: true,
      tablesUnderBackup: ['us-east-1/ledger (ACTIVE)'],
    });
    const after = await policy();
    expect([...grantedAccountsIn(after)].sort()).toEqual([SOURCE_A, SOURCE_B]);
    expect(after.Statement).toEqual(before.Statement.filter((s) => !s.Sid?.startsWith(`DdbBackupOrch${SOURCE_C}`)));
    expect(foreign(after)).toEqual(FOREIGN.Statement);
    expect([...(await services.grants.grantedAccounts(BUCKET))].sort()).toEqual([SOURCE_A, SOURCE_B]);
    // Neither the health check nor another account's grant puts it back once it is out of the configuration.
    const narrowed = { ...services, config: { ...services.config, sourceAccounts: [SOURCE_A, SOURCE_B] } };
    expect((await checkHealth({ ...narrowed, telemetry: recordingTelemetry() })).policy).toMatchObject({
      repaired: [],
      unknownGrants: [],
      policyWritten: false,
    });
    expect(await granted()).toEqual([SOURCE_A, SOURCE_B]);
  });

  it('revokes an account once its tables are offboarded, without "force"', async () => {
    await offboardTable({ ...services, telemetry: recordingTelemetry() }, ref(SOURCE_B, 'customers'));
    await expect(
      revoke({ ...services, telemetry: recordingTelemetry() }, { account: SOURCE_B }),
    ).resolves.toMatchObject({ policyWritten: true, tablesUnderBackup: [] });
    expect(await granted()).toEqual([SOURCE_A]);
    expect(foreign(await policy())).toEqual(FOREIGN.Statement);
  });
});
