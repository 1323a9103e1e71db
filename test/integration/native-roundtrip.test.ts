import {
  CreateTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeExportCommand,
  DescribeImportCommand,
  type DescribeImportCommandOutput,
  DescribeTableCommand,
  type DynamoDBClient,
  type ExportDescription,
  ListImportsCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { GetBucketPolicyCommand } from '@aws-sdk/client-s3';
import { ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Handler } from 'aws-lambda';
import { parseConfig } from '../../lib/config';
import type { PolicyDocument } from '../../lib/domain/policy';
import { RestoreRefusedError } from '../../lib/usecases/restore';
import { createServices } from '../../lib/wiring';
import { lambdaContext } from '../../scripts/lambda-context';
import { provisionSandbox, provisionScheduleGroups } from '../../scripts/sandbox';
import { tableEvent } from '../support/fixtures';
import {
  accountClients,
  BUCKET,
  describeWithMoto,
  motoObjectKeys,
  SOURCE_A,
  SOURCE_B,
  useMoto,
} from '../support/integration';
import { compareTables, type Item, itemsOfEveryType, writeItems } from '../support/items';
import { until } from '../support/poll';
import { fireSchedule } from '../support/scheduler';
import { withoutTlsDeny } from '../support/tls-deny';

/**
 * The native engine's data round trip through the product, on moto: items of every attribute type
 * in a table of a native account; the onboard handler (PITR, schedule, grant); the schedule fired as
 * Scheduler would; the export's files in the backup bucket; `list` and `restore` through the restore
 * handler (ImportTable into a new table); the restored table compared item by item.
 */

const REGION = 'us-east-1';
const GROUP = 'ddb-backup-orchestrator';
const TABLE = 'orders';
const RESTORED = 'orders-restored';
const PREFIX = `${SOURCE_A}/${REGION}/${TABLE}/`;
/** The native grant: the export set, and the restore role's read (GetObject, ListBucket) of the account's prefix. */
const NATIVE_ACTIONS = ['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListBucket', 's3:PutObject', 's3:PutObjectAcl'];
const NIGHTS = [new Date('2026-11-26T03:00:00Z'), new Date('2026-11-27T03:00:00Z')];

describeWithMoto('the native engine round trip, through the product (against moto_server)', () => {
  // SOURCE_A uses the native export; SOURCE_B keeps BACKUP_ENGINE's default, Data Pipeline: one deployment, both engines.
  const moto = useMoto({ NATIVE_EXPORT_ACCOUNTS: SOURCE_A });
  let onboard: Handler;
  let restoreHandler: Handler;
  let clients: ReturnType<typeof accountClients>;
  let source: DynamoDBClient;
  const items = itemsOfEveryType();
  /** Written after the first night's export: only the second night's holds it. */
  const late = items.pop() as Item;
  const exported: ExportDescription[] = [];

  const onboardEvent = (account: string, table: string) =>
    onboard(tableEvent('create-table', account, table), lambdaContext('onboard'), () => undefined);
  const callRestore = (input: Record<string, unknown>) =>
    restoreHandler(
      { account: SOURCE_A, region: REGION, table: TABLE, ...input },
      lambdaContext('restore'),
      () => undefined,
    );
  /** The principals an Allow statement names, as text. */
  const principalNames = (st: PolicyDocument['Statement'][number]) => JSON.stringify(st.Principal);
  /** The actions the bucket policy allows an account, sorted. */
  const actionsGrantedTo = async () => {
    const statements = (await policy()).Statement.filter((st) => st.Effect === 'Allow');
    return (account: string) =>
      [
        ...new Set(
          statements.filter((st) => principalNames(st).includes(account)).flatMap((st) => [st.Action ?? []].flat()),
        ),
      ].sort();
  };
  const policy = async () =>
    JSON.parse(
      (await clients.backupS3().send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy ?? '{}',
    ) as PolicyDocument;
  const fire = async (table: string, night: Date) => {
    const started = (await fireSchedule({
      endpoint: moto.endpoint,
      accountId: SOURCE_A,
      region: REGION,
      groupName: GROUP,
      scheduleName: table,
      scheduledTime: night,
    })) as { ExportDescription: ExportDescription };
    const arn = started.ExportDescription.ExportArn as string;
    const done = await until(
      `export ${arn}`,
      () => source.send(new DescribeExportCommand({ ExportArn: arn })),
      (o) => o.ExportDescription?.ExportStatus !== 'IN_PROGRESS',
    );
    return done.ExportDescription as ExportDescription;
  };
  const imports = async (table: string) =>
    (await source.send(new ListImportsCommand({ TableArn: `arn:aws:dynamodb:${REGION}:${SOURCE_A}:table/${table}` })))
      .ImportSummaryList ?? [];
  const exportId = (e: ExportDescription) => (e.ExportArn as string).split('/').pop() as string;

  beforeAll(async () => {
    await provisionSandbox(parseConfig(process.env), [
      { accountId: SOURCE_A, region: REGION, tableName: TABLE },
      { accountId: SOURCE_B, region: REGION, tableName: 'invoices' },
    ]);
    clients = accountClients(REGION);
    source = clients.dynamodb(SOURCE_A);
    // The schedule group the source template makes in every account and region.
    await provisionScheduleGroups(parseConfig(process.env), [
      { accountId: SOURCE_A, region: REGION, tableName: TABLE },
    ]);
    expect(await writeItems(source, TABLE, items)).toBe(items.length);
    ({ handler: onboard } = await import('../../functions/onboard'));
    ({ handler: restoreHandler } = await import('../../functions/restore'));
  }, 60_000);

  it('onboards a table of a native account: PITR on, its schedule made, the bucket policy granting the export set', async () => {
    const result = await onboardEvent(SOURCE_A, TABLE);
    expect(result).toMatchObject({ outcome: 'onboarded', pipelineId: TABLE, pipelineCreated: true });

    const backups = await source.send(new DescribeContinuousBackupsCommand({ TableName: TABLE }));
    expect(backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe(
      'ENABLED',
    );
    const { natives } = createServices(parseConfig(process.env));
    expect(await natives(SOURCE_A, REGION).listSchedules(GROUP)).toEqual([{ name: TABLE, state: 'ENABLED' }]);

    const statements = (await policy()).Statement.filter((st) => principalNames(st).includes(SOURCE_A));
    const exportStatement = statements.find((st) => st.Condition === undefined);
    expect(exportStatement).toMatchObject({
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:PutObjectAcl'],
      Resource: `arn:aws:s3:::${BUCKET}/${SOURCE_A}/*`,
    });
    // Besides the export set, only the restore role's read of the account's own prefix.
    expect((await actionsGrantedTo())(SOURCE_A)).toEqual(NATIVE_ACTIONS);
  });

  it("fires the schedule as Scheduler would, and the export's files appear under ACCOUNT/REGION/TABLE/ in the backup bucket", async () => {
    exported.push(await fire(TABLE, NIGHTS[0] as Date));
    expect(exported[0]).toMatchObject({ ExportStatus: 'COMPLETED', ItemCount: items.length });
    await writeItems(source, TABLE, [late]);
    exported.push(await fire(TABLE, NIGHTS[1] as Date));
    expect(exported[1]).toMatchObject({ ExportStatus: 'COMPLETED', ItemCount: items.length + 1 });

    const keys = await motoObjectKeys(moto.endpoint, BUCKET);
    for (const e of exported) {
      const base = `${PREFIX}AWSDynamoDB/${exportId(e)}/`;
      const mine = keys.filter((k) => k.startsWith(base)).map((k) => k.slice(base.length));
      expect(mine.filter((k) => !k.startsWith('data/'))).toEqual([
        '_started',
        'manifest-files.checksum',
        'manifest-files.json',
        'manifest-summary.checksum',
        'manifest-summary.json',
      ]);
      expect(mine.filter((k) => /^data\/[a-z0-9]+\.json\.gz$/.test(k))).toHaveLength(1);
    }
    expect(keys.every((k) => k.startsWith(PREFIX))).toBe(true);
  });

  it('lists the completed exports through the restore handler, newest first', async () => {
    const listed = await callRestore({ action: 'list' });
    expect(listed.snapshots).toEqual(
      [...exported].reverse().map((e) => ({
        snapshot: exportId(e),
        time: (e.ExportTime as Date).toISOString(),
        location: `s3://${BUCKET}/${PREFIX}AWSDynamoDB/${exportId(e)}/`,
        itemCount: e.ItemCount,
        sizeBytes: e.BilledSizeBytes,
      })),
    );
    expect(listed.incomplete).toEqual([]);
  });

  let importArn: string;

  it('restores the newest export into a new table through the restore handler, which then holds exactly the items of the source', async () => {
    // The restore reads the export's manifests over moto's plain HTTP (test/support/tls-deny.ts).
    await withoutTlsDeny(clients.backupS3());
    const newest = exportId(exported[1] as ExportDescription);
    const result = await callRestore({ action: 'restore', snapshot: newest, targetTable: RESTORED });
    expect(result).toMatchObject({
      action: 'restore',
      snapshot: newest,
      targetTable: `arn:aws:dynamodb:${REGION}:${SOURCE_A}:table/${RESTORED}`,
      targetCreated: true,
      alreadyStarted: false,
      pipelineRegion: REGION,
    });
    importArn = result.pipelineId;
    expect(importArn).toMatch(new RegExp(`^arn:aws:dynamodb:${REGION}:${SOURCE_A}:table/${RESTORED}/import/`));
    expect(['IN_PROGRESS', 'COMPLETED']).toContain(result.state);

    const done = await until(
      `import ${importArn}`,
      () => source.send(new DescribeImportCommand({ ImportArn: importArn })),
      (o: DescribeImportCommandOutput) => o.ImportTableDescription?.ImportStatus !== 'IN_PROGRESS',
    );
    expect(done.ImportTableDescription).toMatchObject({
      ImportStatus: 'COMPLETED',
      ImportedItemCount: items.length + 1,
      ErrorCount: 0,
    });
    expect(await compareTables({ client: source, table: TABLE }, { client: source, table: RESTORED })).toEqual({
      missing: [],
      unexpected: [],
      changed: [],
      counts: { expected: items.length + 1, actual: items.length + 1 },
    });
  });

  it('answers the same restore again with the import already started, and starts no second one', async () => {
    const newest = exportId(exported[1] as ExportDescription);
    const again = await callRestore({ action: 'restore', snapshot: newest, targetTable: RESTORED });
    expect(again).toMatchObject({
      pipelineId: importArn,
      targetCreated: false,
      alreadyStarted: true,
      state: 'COMPLETED',
    });
    expect((await imports(RESTORED)).map((i) => i.ImportArn)).toEqual([importArn]);
  });

  it('refuses to restore an older export into the table the newest was restored into', async () => {
    await expect(
      callRestore({ action: 'restore', snapshot: exportId(exported[0] as ExportDescription), targetTable: RESTORED }),
    ).rejects.toThrow(
      new RestoreRefusedError(
        `table ${RESTORED} exists: this restore (ImportTable) creates its target table itself; restore into a new table name`,
      ),
    );
  });

  it('refuses a table with local secondary indexes before any import, naming them', async () => {
    await source.send(
      new CreateTableCommand({
        TableName: 'events',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'at', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        LocalSecondaryIndexes: [
          {
            IndexName: 'by-time',
            KeySchema: [
              { AttributeName: 'pk', KeyType: 'HASH' },
              { AttributeName: 'at', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await waitUntilTableExists({ client: source, maxWaitTime: 30 }, { TableName: 'events' });
    expect(await onboardEvent(SOURCE_A, 'events')).toMatchObject({ outcome: 'onboarded', pipelineId: 'events' });
    const e = await fire('events', NIGHTS[1] as Date);
    expect(e.ExportStatus).toBe('COMPLETED');

    await expect(
      restoreHandler(
        {
          action: 'restore',
          account: SOURCE_A,
          region: REGION,
          table: 'events',
          snapshot: exportId(e),
          targetTable: 'events-restored',
        },
        lambdaContext('restore'),
        () => undefined,
      ),
    ).rejects.toThrow(/has local secondary indexes \(by-time\), which ImportTable cannot create/);
    await expect(source.send(new DescribeTableCommand({ TableName: 'events-restored' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    expect(await imports('events-restored')).toEqual([]);
  });

  it('still gives a Data Pipeline account of the same deployment a pipeline, and its grant beside the native one', async () => {
    const result = await onboardEvent(SOURCE_B, 'invoices');
    expect(result).toMatchObject({ outcome: 'onboarded', pipelineCreated: true });
    expect(result.pipelineId).toMatch(/^df-/);
    const { pipelines } = createServices(parseConfig(process.env));
    expect((await pipelines(SOURCE_B, REGION).describe([result.pipelineId]))[0]?.state).toBe('SCHEDULED');

    const actions = await actionsGrantedTo();
    // Data Pipeline's writers read back, list and clean up their scratch; the native export only puts.
    expect(actions(SOURCE_B)).toEqual([
      's3:AbortMultipartUpload',
      's3:DeleteObject',
      's3:GetBucketLocation',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      's3:PutObjectAcl',
    ]);
    expect(actions(SOURCE_A)).toEqual(NATIVE_ACTIONS);
    const scheduler = new SchedulerClient({
      region: REGION,
      credentials: createServices(parseConfig(process.env)).roles.provider(
        `arn:aws:iam::${SOURCE_B}:role/ddb-backup-orchestrator`,
      ),
    });
    expect((await scheduler.send(new ListSchedulesCommand({}))).Schedules ?? []).toEqual([]);
  });
});
