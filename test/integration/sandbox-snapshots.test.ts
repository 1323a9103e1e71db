import { GetBucketPolicyCommand, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Handler } from 'aws-lambda';
import { EXPORT_S3_ACCESS } from '../../lib/backup-engines/datapipeline/s3-access';
import { parseConfig } from '../../lib/config';
import { accountStatements, tlsOnlyStatement } from '../../lib/domain/policy';
import { lambdaContext } from '../../scripts/lambda-context';
import { provisionSandbox, seedSnapshots } from '../../scripts/sandbox';
import { accountClients, BUCKET, describeWithMoto, motoObjectKeys, SOURCE_A, useMoto } from '../support/integration';

const table = { accountId: SOURCE_A, region: 'us-east-1', tableName: 'orders' };
const NOW = new Date('2026-11-27T14:00:00Z');

describeWithMoto('npm run sandbox:provision -- --snapshots N (against moto_server)', () => {
  const moto = useMoto();
  let restore: Handler;
  const policyText = async () =>
    (
      await accountClients()
        .backupS3()
        .send(new GetBucketPolicyCommand({ Bucket: BUCKET }))
    ).Policy;

  beforeAll(async () => {
    await provisionSandbox(parseConfig(process.env), [table]);
    // The policy the orchestrator writes: its TLS-only deny makes moto refuse every plain-HTTP object request.
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [tlsOnlyStatement(BUCKET), ...accountStatements(BUCKET, SOURCE_A, EXPORT_S3_ACCESS)],
    });
    await accountClients()
      .backupS3()
      .send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: policy }));
    ({ handler: restore } = await import('../../functions/restore'));
  });

  it('refuses a snapshot put there by hand once the bucket policy is written', async () => {
    const put = accountClients()
      .backupS3()
      .send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `${SOURCE_A}/us-east-1/orders/2026-11-20-03-00-00/manifest`,
          Body: '{}',
        }),
      );
    await expect(put).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
  });

  it('seeds finished snapshots of the last nights that restore lists, and leaves the policy byte-for-byte as it was', async () => {
    const before = await policyText();
    const seeded = await seedSnapshots(parseConfig(process.env), table, 3, process.env, NOW);
    expect(seeded).toEqual({
      runs: ['2026-11-27-03-00-00', '2026-11-26-03-00-00', '2026-11-25-03-00-00'],
      policyLifted: true,
    });
    expect(await policyText()).toBe(before);

    const listed = await restore(
      { action: 'list', account: SOURCE_A, region: 'us-east-1', table: 'orders' },
      lambdaContext('restore'),
      () => undefined,
    );
    expect(listed.snapshots.map((s: { snapshot: string; objects: number }) => [s.snapshot, s.objects])).toEqual([
      ['2026-11-27-03-00-00', 2],
      ['2026-11-26-03-00-00', 2],
      ['2026-11-25-03-00-00', 2],
    ]);
    expect(listed.incomplete).toEqual([]);
  });

  it('writes the same keys when run twice (new versions of them: the bucket is versioned)', async () => {
    const distinct = async () => [...new Set(await motoObjectKeys(moto.endpoint, BUCKET))];
    const keys = await distinct();
    await seedSnapshots(parseConfig(process.env), table, 3, process.env, NOW);
    expect(await distinct()).toEqual(keys);
    expect(keys.filter((k) => k.endsWith('/manifest'))).toHaveLength(3);
    expect(keys.filter((k) => k.endsWith('_$folder$'))).toHaveLength(3);
  });
});
