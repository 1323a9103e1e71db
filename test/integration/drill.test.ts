import {
  CreateTableCommand,
  DescribeExportCommand,
  DescribeTableCommand,
  GetItemCommand,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { STSClient } from '@aws-sdk/client-sts';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Handler } from 'aws-lambda';
import { RoleAssumer } from '../../lib/adapters/credentials';
import { scheduleName } from '../../lib/backup-engines/native/schedule';
import { parseConfig } from '../../lib/config';
import { DRILL_TABLE_PREFIX, type DrillRecord, scratchTableName, TAG_DRILL_OF } from '../../lib/domain/drill';
import { PRODUCT_NAME, TAG_MANAGED_BY } from '../../lib/domain/tags';
import { lambdaContext } from '../../scripts/lambda-context';
import { provisionSandbox } from '../../scripts/sandbox';
import { tableEvent } from '../support/fixtures';
import { accountClients, BUCKET, describeWithMoto, REGISTRY, SOURCE_A, useMoto } from '../support/integration';
import { ITEMS_KEY, itemsOfEveryType, writeItems } from '../support/items';
import { fireSchedule } from '../support/scheduler';
import { withoutTlsDeny } from '../support/tls-deny';

const REGION = 'us-east-1';
const GROUP = 'ddb-backup-orchestrator';
const arnOf = (table: string) => `arn:aws:dynamodb:${REGION}:${SOURCE_A}:table/${table}`;

describeWithMoto('restore drills of the native engine, end to end with real data (against moto_server)', () => {
  const moto = useMoto({ NATIVE_EXPORT_ACCOUNTS: SOURCE_A, DRILL_WAIT_SECONDS: '60' });
  let onboard: Handler;
  let drill: Handler;
  let clients: ReturnType<typeof accountClients>;
  const items = itemsOfEveryType();
  const invoke = (handler: Handler, fn: 'onboard' | 'drill', event: unknown) =>
    handler(event, lambdaContext(fn), () => undefined) as Promise<unknown>;
  const source = () => clients.dynamodb(SOURCE_A);
  const tableNames = async () => (await source().send(new ListTablesCommand({}))).TableNames ?? [];
  const scratchTables = async () => (await tableNames()).filter((n) => n.startsWith(DRILL_TABLE_PREFIX));
  const recordOf = async (table: string) =>
    unmarshall(
      (
        await clients
          .registry()
          .send(new GetItemCommand({ TableName: REGISTRY, Key: { pk: { S: `TABLE#${SOURCE_A}#${REGION}#${table}` } } }))
      ).Item ?? {},
    );

  /** A table of every attribute type, onboarded on the native engine, and one night's export of it, finished. */
  async function backedUp(table: string): Promise<{ exportArn: string; manifest: string }> {
    await source().send(new CreateTableCommand({ TableName: table, ...ITEMS_KEY, BillingMode: 'PAY_PER_REQUEST' }));
    expect(await writeItems(source(), table, items)).toBe(items.length);
    expect(await invoke(onboard, 'onboard', tableEvent('create-table', SOURCE_A, table))).toMatchObject({
      outcome: 'onboarded',
    });
    await withoutTlsDeny(clients.backupS3());
    const started = (await fireSchedule({
      endpoint: moto.endpoint,
      accountId: SOURCE_A,
      region: REGION,
      groupName: GROUP,
      scheduleName: scheduleName(table),
      scheduledTime: new Date('2026-11-27T03:00:00Z'),
    })) as { ExportDescription: { ExportArn: string } };
    const exportArn = started.ExportDescription.ExportArn;
    for (const deadline = Date.now() + 20_000; ; ) {
      const d = (await source().send(new DescribeExportCommand({ ExportArn: exportArn }))).ExportDescription;
      if (d?.ExportStatus === 'COMPLETED') return { exportArn, manifest: d.ExportManifest as string };
      if (d?.ExportStatus === 'FAILED' || Date.now() > deadline)
        throw new Error(`export ${exportArn}: ${d?.ExportStatus}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    clients = accountClients(REGION);
    await provisionSandbox(parseConfig(process.env), []);
    const roles = new RoleAssumer(new STSClient({ region: REGION }));
    const scheduler = new SchedulerClient({
      region: REGION,
      credentials: roles.provider(`arn:aws:iam::${SOURCE_A}:role/ddb-backup-orchestrator`),
    });
    await scheduler.send(new CreateScheduleGroupCommand({ Name: GROUP }));
    ({ handler: onboard } = await import('../../functions/onboard'));
    ({ handler: drill } = await import('../../functions/drill'));
  }, 60_000);

  it('restores the newest export of a table into a scratch table, finds every item, passes, and leaves no scratch table', async () => {
    const { exportArn } = await backedUp('orders');
    const result = (await invoke(drill, 'drill', { tables: [`${SOURCE_A}/${REGION}/orders`] })) as {
      drills: Array<Record<string, unknown>>;
      text: string;
    };
    expect(result.drills).toEqual([
      expect.objectContaining({
        table: arnOf('orders'),
        engine: 'native',
        result: 'passed',
        snapshot: exportArn.split('/').pop(),
        expectedItems: items.length,
        actualItems: items.length,
        sampled: items.length,
      }),
    ]);
    expect(await scratchTables()).toEqual([]);
    const drillRecord = (await recordOf('orders')).drill as DrillRecord;
    expect(drillRecord).toMatchObject({ state: 'passed', expectedItems: items.length });
    expect(drillRecord.scratchTable).toBeUndefined();
  }, 90_000);

  it('fails the drill of a backup with an item data file removed from the bucket, and still deletes the scratch table', async () => {
    const { manifest } = await backedUp('invoices');
    // The backup account's admin tampers with the backup: one data file goes.
    const s3 = clients.backupS3();
    const filesKey = manifest.replace(/manifest-summary\.json$/, 'manifest-files.json');
    const listed = await (
      await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: filesKey }))
    ).Body?.transformToString();
    const dataKey = JSON.parse(listed?.trim().split('\n')[0] ?? '{}').dataFileS3Key as string;
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: dataKey }));

    const result = (await invoke(drill, 'drill', { tables: [`${SOURCE_A}/${REGION}/invoices`] })) as {
      drills: Array<{ result: string; why: string }>;
    };
    expect(result.drills[0]?.result).toBe('failed');
    expect(result.drills[0]?.why).toMatch(
      new RegExp(`holds 0 items, the backup's manifest says ${items.length}|${dataKey.replace(/[.]/g, '\\.')}`),
    );
    expect(await scratchTables()).toEqual([]);
    expect((await recordOf('invoices')).drill).toMatchObject({ state: 'failed', why: result.drills[0]?.why });
  }, 90_000);

  it('removes the scratch table a crashed drill left (named and tagged as a drill’s) before drilling again', async () => {
    // What a drill that crashed after recording its scratch table and making it leaves behind.
    const left = scratchTableName(arnOf('orders'), new Date('2026-11-20T04:00:00Z'));
    await source().send(
      new CreateTableCommand({
        TableName: left,
        ...ITEMS_KEY,
        BillingMode: 'PAY_PER_REQUEST',
        Tags: [
          { Key: TAG_MANAGED_BY, Value: PRODUCT_NAME },
          { Key: TAG_DRILL_OF, Value: arnOf('orders') },
        ],
      }),
    );
    const { recordDrill } = await import('../../lib/adapters/table-registry').then(async ({ DynamoTableRegistry }) => {
      const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
      const registry = new DynamoTableRegistry(
        DynamoDBDocumentClient.from(clients.registry(), { marshallOptions: { removeUndefinedValues: true } }),
        REGISTRY,
      );
      return { recordDrill: registry.recordDrill.bind(registry) };
    });
    await recordDrill(
      { accountId: SOURCE_A, region: REGION, tableName: 'orders' },
      { state: 'running', time: '2026-11-20T04:00:00.000Z', startedAt: '2026-11-20T04:00:00.000Z', scratchTable: left },
    );
    expect(await scratchTables()).toEqual([left]);

    const result = (await invoke(drill, 'drill', { tables: [`${SOURCE_A}/${REGION}/orders`] })) as {
      drills: Array<{ result: string }>;
    };
    expect(result.drills[0]?.result).toBe('passed');
    await expect(source().send(new DescribeTableCommand({ TableName: left }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    expect(await scratchTables()).toEqual([]);
  }, 90_000);
});
