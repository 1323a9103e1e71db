import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import {
  CreateTableCommand,
  DescribeExportCommand,
  type DescribeExportCommandOutput,
  DescribeImportCommand,
  type DynamoDBClient,
  type ExportDescription,
  ExportTableToPointInTimeCommand,
  ImportTableCommand,
  ListExportsCommand,
  ListImportsCommand,
  UpdateContinuousBackupsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectLockConfigurationCommand,
} from '@aws-sdk/client-s3';
import { CreateScheduleCommand, CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { STSClient } from '@aws-sdk/client-sts';
import { RoleAssumer } from '../../lib/adapters/credentials';
import { accountClients, BUCKET, describeWithMoto, OUTSIDER, SOURCE_A, useMoto } from '../support/integration';
import { compareTables, ITEMS_KEY, itemsOfEveryType, writeItems } from '../support/items';
import { until } from '../support/poll';
import { fireSchedule } from '../support/scheduler';

const REGION = 'us-east-1';
/** The backup account (the bucket's owner), as in test/support/integration.ts. */
const BACKUP = '999999999999';
const TABLE = 'orders-native';
const PREFIX = `${SOURCE_A}/${REGION}/${TABLE}`;
const GROUP = 'ddb-backup';
const SCHEDULE = TABLE;
const NIGHT = new Date('2026-11-27T03:00:00Z');
const EXPORT_ACTIONS = ['s3:PutObject', 's3:AbortMultipartUpload', 's3:PutObjectAcl'];

/** The backup bucket's policy: the export actions for SOURCE_A on its prefix, and the read its restore needs. */
const bucketPolicy = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Export',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${SOURCE_A}:root` },
      Action: EXPORT_ACTIONS,
      Resource: `arn:aws:s3:::${BUCKET}/${SOURCE_A}/*`,
    },
    {
      Sid: 'RestoreRead',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${SOURCE_A}:root` },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/${SOURCE_A}/*`,
    },
    {
      Sid: 'RestoreList',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${SOURCE_A}:root` },
      Action: 's3:ListBucket',
      Resource: `arn:aws:s3:::${BUCKET}`,
    },
  ],
};

describeWithMoto('the local emulator follows AWS for native export, import and Scheduler (against moto_server)', () => {
  const moto = useMoto();
  let clients: ReturnType<typeof accountClients>;
  let source: DynamoDBClient;
  let tableArn: string;
  const items = itemsOfEveryType();

  const finished = (client: DynamoDBClient, arn: string) =>
    until(
      `export ${arn}`,
      () => client.send(new DescribeExportCommand({ ExportArn: arn })),
      (o: DescribeExportCommandOutput) => o.ExportDescription?.ExportStatus !== 'IN_PROGRESS',
    ).then((o) => o.ExportDescription as ExportDescription);
  const keysUnder = async (prefix: string) =>
    ((await clients.backupS3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? [])
      .map((o) => o.Key as string)
      .sort();
  const read = async (key: string) =>
    Buffer.from(
      await ((
        await clients.backupS3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
      ).Body?.transformToByteArray() ?? new Uint8Array()),
    );
  const fire = (scheduledTime: Date) =>
    fireSchedule({
      endpoint: moto.endpoint,
      accountId: SOURCE_A,
      region: REGION,
      groupName: GROUP,
      scheduleName: SCHEDULE,
      scheduledTime,
    }) as Promise<{ ExportDescription: ExportDescription }>;
  const tableWithPitr = async (client: DynamoDBClient, name: string) => {
    const out = await client.send(
      new CreateTableCommand({ TableName: name, ...ITEMS_KEY, BillingMode: 'PAY_PER_REQUEST' }),
    );
    await client.send(
      new UpdateContinuousBackupsCommand({
        TableName: name,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    );
    return out.TableDescription?.TableArn as string;
  };

  beforeAll(async () => {
    clients = accountClients(REGION);
    source = clients.dynamodb(SOURCE_A);
    await clients.backupS3().send(new CreateBucketCommand({ Bucket: BUCKET, ObjectOwnership: 'BucketOwnerEnforced' }));
    await clients.backupS3().send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(bucketPolicy) }));
    tableArn = await tableWithPitr(source, TABLE);
    expect(await writeItems(source, TABLE, items)).toBe(items.length);

    const roles = new RoleAssumer(new STSClient({ region: REGION }));
    const scheduler = new SchedulerClient({
      region: REGION,
      credentials: roles.provider(`arn:aws:iam::${SOURCE_A}:role/ddb-backup-orchestrator`),
    });
    await scheduler.send(new CreateScheduleGroupCommand({ Name: GROUP }));
    await scheduler.send(
      new CreateScheduleCommand({
        GroupName: GROUP,
        Name: SCHEDULE,
        ScheduleExpression: 'cron(0 3 * * ? *)',
        FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
        Target: {
          Arn: 'arn:aws:scheduler:::aws-sdk:dynamodb:exportTableToPointInTime',
          RoleArn: `arn:aws:iam::${SOURCE_A}:role/ddb-backup-export`,
          Input: JSON.stringify({
            TableArn: tableArn,
            S3Bucket: BUCKET,
            S3BucketOwner: BACKUP,
            S3Prefix: PREFIX,
            ExportFormat: 'DYNAMODB_JSON',
            ClientToken: `${TABLE}-<aws.scheduler.scheduled-time>`,
          }),
        },
      }),
    );
    await scheduler.send(
      new CreateScheduleCommand({
        GroupName: GROUP,
        Name: 'not-universal',
        ScheduleExpression: 'rate(1 day)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: `arn:aws:lambda:${REGION}:${SOURCE_A}:function:something`,
          RoleArn: `arn:aws:iam::${SOURCE_A}:role/ddb-backup-export`,
        },
      }),
    );
  }, 60_000);

  let first: ExportDescription;
  let base: string;

  it("fires the schedule as its role, with Scheduler's context attributes in its input, and the export writes AWS's layout", async () => {
    const started = await fire(NIGHT);
    expect(started.ExportDescription).toMatchObject({
      ExportStatus: 'IN_PROGRESS',
      ClientToken: `${TABLE}-2026-11-27T03:00:00Z`,
    });
    first = await finished(source, started.ExportDescription.ExportArn as string);
    expect(first).toMatchObject({
      ExportStatus: 'COMPLETED',
      ItemCount: items.length,
      S3BucketOwner: BACKUP,
      S3Prefix: PREFIX,
    });
    const exportId = (first.ExportArn as string).split('/').pop() as string;
    expect(first.ExportArn).toBe(`${tableArn}/export/${exportId}`);
    expect(exportId).toMatch(/^\d{14}-[0-9a-f]{8}$/);
    base = `${PREFIX}/AWSDynamoDB/${exportId}/`;
    expect(first.ExportManifest).toBe(`${base}manifest-summary.json`);

    const keys = await keysUnder(`${PREFIX}/`);
    const dataKeys = keys.filter((k) => k.startsWith(`${base}data/`));
    expect(dataKeys.length).toBeGreaterThan(0);
    for (const k of dataKeys) expect(k).toMatch(/\/data\/[a-z0-9]+\.json\.gz$/);
    expect(keys.filter((k) => !dataKeys.includes(k))).toEqual(
      [
        '_started',
        'manifest-files.checksum',
        'manifest-files.json',
        'manifest-summary.checksum',
        'manifest-summary.json',
      ].map((f) => base + f),
    );
    expect((await read(`${base}_started`)).length).toBe(0);

    const summary = JSON.parse((await read(`${base}manifest-summary.json`)).toString());
    expect(summary).toMatchObject({
      exportArn: first.ExportArn,
      tableArn,
      s3Bucket: BUCKET,
      s3Prefix: PREFIX,
      manifestFilesS3Key: `${base}manifest-files.json`,
      itemCount: items.length,
      outputFormat: 'DYNAMODB_JSON',
    });
    for (const field of ['startTime', 'endTime', 'exportTime'])
      expect(summary[field]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(summary.billedSizeBytes).toBeGreaterThan(0);

    const files = (await read(summary.manifestFilesS3Key))
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(files.map((f) => f.dataFileS3Key).sort()).toEqual(dataKeys);
    expect(files.reduce((n, f) => n + f.itemCount, 0)).toBe(items.length);
    let lines = 0;
    for (const f of files) {
      const body = await read(f.dataFileS3Key);
      expect(f.etag).toBe(createHash('md5').update(body).digest('hex'));
      expect(f.md5Checksum).toBe(createHash('md5').update(body).digest('base64'));
      const records = gunzipSync(body).toString().trim().split('\n');
      for (const r of records) expect(Object.keys(JSON.parse(r))).toEqual(['Item']);
      lines += records.length;
    }
    expect(lines).toBe(items.length);
  });

  it('writes the start marker first and the summary manifest last', async () => {
    const state = (await (await fetch(`${moto.endpoint}/moto-api/data.json`)).json()) as {
      s3: { FakeKey: Array<{ name: string; bucket_name: string }> };
    };
    const order = state.s3.FakeKey.filter((k) => k.bucket_name === BUCKET && k.name.startsWith(base)).map(
      (k) => k.name,
    );
    expect(order[0]).toBe(`${base}_started`);
    expect(order.filter((k) => !k.endsWith('.checksum')).pop()).toBe(`${base}manifest-summary.json`);
  });

  it('starts no second export when the schedule fires again for the same scheduled time (ClientToken)', async () => {
    const again = await fire(NIGHT);
    expect(again.ExportDescription.ExportArn).toBe(first.ExportArn);
    const exports = await source.send(new ListExportsCommand({ TableArn: tableArn }));
    expect(exports.ExportSummaries?.map((e) => e.ExportArn)).toEqual([first.ExportArn]);
    expect((await keysUnder(`${PREFIX}/AWSDynamoDB/`)).filter((k) => k.endsWith('/_started'))).toHaveLength(1);
  });

  it('starts a new export for the next night, under its own export id', async () => {
    const next = await fire(new Date('2026-11-28T03:00:00Z'));
    expect(next.ExportDescription.ExportArn).not.toBe(first.ExportArn);
    await finished(source, next.ExportDescription.ExportArn as string);
    const exports = await source.send(new ListExportsCommand({ TableArn: tableArn }));
    expect(exports.ExportSummaries?.map((e) => [e.ExportArn, e.ExportStatus])).toEqual([
      [first.ExportArn, 'COMPLETED'],
      [next.ExportDescription.ExportArn, 'COMPLETED'],
    ]);
  });

  it('refuses the same ClientToken with other parameters', async () => {
    await expect(
      source.send(
        new ExportTableToPointInTimeCommand({
          TableArn: tableArn,
          S3Bucket: BUCKET,
          S3BucketOwner: BACKUP,
          S3Prefix: `${PREFIX}-elsewhere`,
          ClientToken: `${TABLE}-2026-11-27T03:00:00Z`,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ExportConflictException' });
  });

  it('imports the export from the backup account into a new table that holds exactly the items written', async () => {
    const started = await source.send(
      new ImportTableCommand({
        S3BucketSource: { S3Bucket: BUCKET, S3BucketOwner: BACKUP, S3KeyPrefix: `${base}data/` },
        InputFormat: 'DYNAMODB_JSON',
        InputCompressionType: 'GZIP',
        TableCreationParameters: { TableName: `${TABLE}-restored`, ...ITEMS_KEY, BillingMode: 'PAY_PER_REQUEST' },
      }),
    );
    const arn = started.ImportTableDescription?.ImportArn as string;
    const done = await until(
      `import ${arn}`,
      () => source.send(new DescribeImportCommand({ ImportArn: arn })),
      (o) => o.ImportTableDescription?.ImportStatus !== 'IN_PROGRESS',
    );
    expect(done.ImportTableDescription).toMatchObject({
      ImportStatus: 'COMPLETED',
      ImportedItemCount: items.length,
      ErrorCount: 0,
    });
    const imports = await source.send(new ListImportsCommand({}));
    expect(imports.ImportSummaryList?.map((i) => [i.ImportArn, i.ImportStatus])).toEqual([[arn, 'COMPLETED']]);

    const difference = await compareTables(
      { client: source, table: TABLE },
      { client: source, table: `${TABLE}-restored` },
    );
    expect(difference).toEqual({
      missing: [],
      unexpected: [],
      changed: [],
      counts: { expected: items.length, actual: items.length },
    });
  });

  it('reports an item changed after the export as a difference, attribute by attribute', async () => {
    await writeItems(source, TABLE, [{ pk: { S: 'string-set' }, v: { SS: ['banana', 'apple'] } }]);
    const difference = await compareTables(
      { client: source, table: TABLE },
      { client: source, table: `${TABLE}-restored` },
    );
    expect(difference.changed).toEqual([
      {
        key: '{"pk":{"S":"string-set"}}',
        expected: { pk: { S: 'string-set' }, v: { SS: ['apple', 'banana'] } },
        actual: { pk: { S: 'string-set' }, v: { SS: ['', 'apple', 'banana', 'cherry'] } },
      },
    ]);
  });

  it('fails an export or import by an account the bucket policy does not grant, as S3 would refuse it', async () => {
    const outsider = clients.dynamodb(OUTSIDER);
    const arn = await tableWithPitr(outsider, 'outsider-table');
    const out = await outsider.send(
      new ExportTableToPointInTimeCommand({
        TableArn: arn,
        S3Bucket: BUCKET,
        S3BucketOwner: BACKUP,
        S3Prefix: `${SOURCE_A}/${REGION}/outsider-table`,
      }),
    );
    expect(await finished(outsider, out.ExportDescription?.ExportArn as string)).toMatchObject({
      ExportStatus: 'FAILED',
      FailureCode: 'S3AccessDenied',
    });
    const imported = await outsider.send(
      new ImportTableCommand({
        S3BucketSource: { S3Bucket: BUCKET, S3BucketOwner: BACKUP, S3KeyPrefix: `${base}data/` },
        InputFormat: 'DYNAMODB_JSON',
        InputCompressionType: 'GZIP',
        TableCreationParameters: { TableName: 'stolen', ...ITEMS_KEY, BillingMode: 'PAY_PER_REQUEST' },
      }),
    );
    const arnOfImport = imported.ImportTableDescription?.ImportArn as string;
    const done = await until(
      `import ${arnOfImport}`,
      () => outsider.send(new DescribeImportCommand({ ImportArn: arnOfImport })),
      (o) => o.ImportTableDescription?.ImportStatus !== 'IN_PROGRESS',
    );
    expect(done.ImportTableDescription).toMatchObject({ ImportStatus: 'FAILED', FailureCode: 'S3AccessDenied' });
  });

  it("gives every object of the export the bucket's default object-lock retention", async () => {
    const locked = `${BUCKET}-locked`;
    const s3 = clients.backupS3();
    await s3.send(new CreateBucketCommand({ Bucket: locked, ObjectLockEnabledForBucket: true }));
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: locked,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
        },
      }),
    );
    await s3.send(
      new PutBucketPolicyCommand({ Bucket: locked, Policy: JSON.stringify(bucketPolicy).replaceAll(BUCKET, locked) }),
    );
    const out = await source.send(
      new ExportTableToPointInTimeCommand({
        TableArn: tableArn,
        S3Bucket: locked,
        S3BucketOwner: BACKUP,
        S3Prefix: PREFIX,
      }),
    );
    const done = await finished(source, out.ExportDescription?.ExportArn as string);
    expect(done.ExportStatus).toBe('COMPLETED');
    const keys =
      (await s3.send(new ListObjectsV2Command({ Bucket: locked }))).Contents?.map((o) => o.Key as string) ?? [];
    expect(keys).toHaveLength(6);
    for (const Key of keys) {
      // HeadObject: moto 5.2.1 answers GetObjectRetention with the object itself.
      const head = await s3.send(new HeadObjectCommand({ Bucket: locked, Key }));
      expect(head.ObjectLockMode).toBe('GOVERNANCE');
      expect(head.ObjectLockRetainUntilDate?.getTime()).toBeGreaterThan(Date.now());
    }
  });

  it('refuses an incremental export rather than writing a full dump as one', async () => {
    await expect(
      source.send(
        new ExportTableToPointInTimeCommand({
          TableArn: tableArn,
          S3Bucket: BUCKET,
          S3BucketOwner: BACKUP,
          S3Prefix: PREFIX,
          ExportType: 'INCREMENTAL_EXPORT',
          IncrementalExportSpecification: {
            ExportFromTime: new Date(Date.now() - 3_600_000),
            ExportToTime: new Date(),
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('says which targets it cannot fire', async () => {
    await expect(
      fireSchedule({
        endpoint: moto.endpoint,
        accountId: SOURCE_A,
        region: REGION,
        groupName: GROUP,
        scheduleName: 'not-universal',
      }),
    ).rejects.toThrow(/is not a universal target/);
  });
});
