import { gzipSync } from 'node:zlib';
import {
  DescribeExportCommand,
  DescribeImportCommand,
  type DescribeImportCommandOutput,
  type DynamoDBClient,
  type ExportDescription,
  ListImportsCommand,
} from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetScheduleCommand, SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { STSClient } from '@aws-sdk/client-sts';
import type { Handler } from 'aws-lambda';
import { RoleAssumer } from '../../lib/adapters/credentials';
import { parseConfig } from '../../lib/config';
import { RestoreRefusedError } from '../../lib/usecases/restore';
import { lambdaContext } from '../../scripts/lambda-context';
import { provisionSandbox, provisionScheduleGroups } from '../../scripts/sandbox';
import { tableEvent } from '../support/fixtures';
import { accountClients, BUCKET, describeWithMoto, SOURCE_A, useMoto } from '../support/integration';
import { itemsOfEveryType, writeItems } from '../support/items';
import { fireSchedule } from '../support/scheduler';
import { withConditionalDeniesLifted, withoutTlsDeny } from '../support/tls-deny';

/**
 * A compromised source account against the native engine, on moto: it adds a data file to one of its
 * exports (the native grant lets it PutObject anywhere in its prefix, and ImportTable imports every
 * object under the export's data/), and rewrites its table's schedule. The restore handler refuses
 * the tampered export and still restores an intact one; the health check reports the schedule.
 */

const REGION = 'us-east-1';
const GROUP = 'ddb-backup-orchestrator';
const TABLE = 'orders';
const PREFIX = `${SOURCE_A}/${REGION}/${TABLE}/`;
const SOURCE_ROLE = `arn:aws:iam::${SOURCE_A}:role/ddb-backup-orchestrator`;

describeWithMoto('a tampered native export and schedule (against moto_server)', () => {
  const moto = useMoto({ NATIVE_EXPORT_ACCOUNTS: SOURCE_A });
  let onboard: Handler;
  let restoreHandler: Handler;
  let health: Handler;
  let source: DynamoDBClient;
  let roles: RoleAssumer;
  const items = itemsOfEveryType();
  const exported: ExportDescription[] = [];
  const exportId = (e: ExportDescription) => (e.ExportArn as string).split('/').pop() as string;
  const callRestore = (input: Record<string, unknown>) =>
    restoreHandler(
      { account: SOURCE_A, region: REGION, table: TABLE, action: 'restore', ...input },
      lambdaContext('restore'),
      () => undefined,
    );
  const fire = async (night: Date) => {
    const started = (await fireSchedule({
      endpoint: moto.endpoint,
      accountId: SOURCE_A,
      region: REGION,
      groupName: GROUP,
      scheduleName: TABLE,
      scheduledTime: night,
    })) as { ExportDescription: ExportDescription };
    const arn = started.ExportDescription.ExportArn as string;
    for (const deadline = Date.now() + 20_000; ; ) {
      const d = (await source.send(new DescribeExportCommand({ ExportArn: arn }))).ExportDescription;
      if (d?.ExportStatus === 'COMPLETED') return d;
      if (d?.ExportStatus === 'FAILED' || Date.now() > deadline) throw new Error(`export ${arn}: ${d?.ExportStatus}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    const tables = [{ accountId: SOURCE_A, region: REGION, tableName: TABLE }];
    await provisionSandbox(parseConfig(process.env), tables);
    await provisionScheduleGroups(parseConfig(process.env), tables);
    roles = new RoleAssumer(new STSClient({ region: REGION }));
    source = accountClients(REGION).dynamodb(SOURCE_A);
    expect(await writeItems(source, TABLE, items)).toBe(items.length);
    ({ handler: onboard } = await import('../../functions/onboard'));
    ({ handler: restoreHandler } = await import('../../functions/restore'));
    ({ handler: health } = await import('../../functions/health-check'));
    expect(
      await onboard(tableEvent('create-table', SOURCE_A, TABLE), lambdaContext('onboard'), () => undefined),
    ).toMatchObject({ outcome: 'onboarded' });
    await withoutTlsDeny(accountClients(REGION).backupS3());
    exported.push(await fire(new Date('2026-11-26T03:00:00Z')));
    exported.push(await fire(new Date('2026-11-27T03:00:00Z')));
  }, 90_000);

  it('refuses to restore an export into which the source account put an extra data file, and imports nothing', async () => {
    const tampered = exported[0] as ExportDescription;
    const extra = `${PREFIX}AWSDynamoDB/${exportId(tampered)}/data/zzzzextra.json.gz`;
    // As the source account itself (its PutObject in its own prefix is what the native grant allows).
    const s3 = new S3Client({
      region: REGION,
      forcePathStyle: true,
      credentials: roles.provider(SOURCE_ROLE),
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    const forged = `${JSON.stringify({ Item: { pk: { S: 'forged' } } })}\n`;
    await withConditionalDeniesLifted(accountClients(REGION).backupS3(), () =>
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: extra, Body: gzipSync(forged) })),
    );

    const error = await Promise.resolve(
      callRestore({ snapshot: exportId(tampered), targetTable: 'orders-tampered' }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestoreRefusedError);
    expect((error as Error).message).toBe(
      `snapshot ${exportId(tampered)} of arn:aws:dynamodb:${REGION}:${SOURCE_A}:table/${TABLE} is not restored: data files its manifest-files.json does not list were added to its export: ${extra}`,
    );
    const listed = await source.send(
      new ListImportsCommand({ TableArn: `arn:aws:dynamodb:${REGION}:${SOURCE_A}:table/orders-tampered` }),
    );
    expect(listed.ImportSummaryList ?? []).toEqual([]);
  });

  it('still restores an intact export, every item of it', async () => {
    const intact = exported[1] as ExportDescription;
    const result = await callRestore({ snapshot: exportId(intact), targetTable: 'orders-restored' });
    expect(result).toMatchObject({ action: 'restore', targetCreated: true, alreadyStarted: false });
    let done: DescribeImportCommandOutput;
    for (const deadline = Date.now() + 20_000; ; ) {
      done = await source.send(new DescribeImportCommand({ ImportArn: result.pipelineId }));
      if (done.ImportTableDescription?.ImportStatus !== 'IN_PROGRESS' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(done.ImportTableDescription).toMatchObject({ ImportStatus: 'COMPLETED', ImportedItemCount: items.length });
  });

  it('reports a schedule the source account rewrote to export under its own KMS key as an error naming the field', async () => {
    const scheduler = new SchedulerClient({ region: REGION, credentials: roles.provider(SOURCE_ROLE) });
    const live = await scheduler.send(new GetScheduleCommand({ GroupName: GROUP, Name: TABLE }));
    const input = JSON.parse(live.Target?.Input ?? '{}') as Record<string, unknown>;
    await scheduler.send(
      new UpdateScheduleCommand({
        Name: TABLE,
        GroupName: GROUP,
        ScheduleExpression: live.ScheduleExpression,
        ScheduleExpressionTimezone: live.ScheduleExpressionTimezone,
        FlexibleTimeWindow: live.FlexibleTimeWindow,
        State: live.State,
        Target: {
          ...live.Target,
          Arn: live.Target?.Arn,
          RoleArn: live.Target?.RoleArn,
          Input: JSON.stringify({ ...input, S3SseAlgorithm: 'KMS', S3SseKmsKeyId: 'attacker-key' }),
        },
      }),
    );
    const report = await health({}, lambdaContext('health-check'), () => undefined);
    const row = report.tables.find((t: { table: string }) => t.table === TABLE);
    expect(row).toMatchObject({ status: 'error', state: 'ENABLED' });
    expect(row.error).toMatch(
      /differs from the product's definition in Target\.Input\.S3SseAlgorithm, Target\.Input\.S3SseKmsKeyId /,
    );
    expect(report.summary).toMatchObject({ error: 1 });
  });
});
