import { ListPipelinesCommand } from '@aws-sdk/client-data-pipeline';
import { DescribeTableCommand, ListTagsOfResourceCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Handler } from 'aws-lambda';
import { parseConfig } from '../../lib/config';
import { InvalidEventError } from '../../lib/errors';
import { RestoreRefusedError } from '../../lib/usecases/restore';
import { createServices } from '../../lib/wiring';
import { lambdaContext } from '../../scripts/lambda-context';
import { provisionSandbox } from '../../scripts/sandbox';
import { accountClients, BUCKET, describeWithMoto, SOURCE_A, useMoto } from '../support/integration';

const REGION = 'us-east-1';
const prefix = `${SOURCE_A}/${REGION}/orders/`;

/** What the export writes for one run (emr-dynamodb-tools on EMRFS), and a run that never finished. */
const objects = [
  ...['2026-11-24-03-00-00', '2026-11-26-03-00-00', '2026-11-25-03-00-00'].flatMap((run) => [
    `${prefix}${run}/ae10f955-6f0c-4b43-9c2c-71d6fbbd46b1_000000`,
    `${prefix}${run}/ae10f955-6f0c-4b43-9c2c-71d6fbbd46b1_000001`,
    `${prefix}${run}/manifest`,
    `${prefix}${run}_$folder$`,
  ]),
  `${prefix}2026-11-27-03-00-00/ae10f955-6f0c-4b43-9c2c-71d6fbbd46b1_000000`, // still running: no manifest
  `${prefix}logs/df-0123456789ABCDEF/TableBackupActivity/attempt.log`,
  `${SOURCE_A}/${REGION}/orders-archive/2026-11-26-03-00-00/manifest`, // another table sharing the name's start
];

describeWithMoto('restore (against moto_server)', () => {
  useMoto();
  let handler: Handler;
  let clients: ReturnType<typeof accountClients>;
  const invoke = (input: unknown) => handler(input, lambdaContext('restore'), () => undefined);

  beforeAll(async () => {
    const config = parseConfig(process.env);
    // No bucket policy in this file: moto enforces the orchestrator's TLS-only deny on plain HTTP.
    await provisionSandbox(config, [{ accountId: SOURCE_A, region: REGION, tableName: 'orders' }]);
    clients = accountClients();
    for (const key of objects)
      await clients.backupS3().send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: key,
          Body: key.endsWith('manifest') ? '{"name":"DynamoDB-export","version":3,"entries":[]}' : 'x',
        }),
      );
    ({ handler } = await import('../../functions/restore'));
  });

  it('lists the complete snapshots of a table, newest first, and names the incomplete ones apart', async () => {
    const result = await invoke({ action: 'list', account: SOURCE_A, region: REGION, table: 'orders' });
    expect(result.snapshots).toEqual([
      {
        snapshot: '2026-11-26-03-00-00',
        time: '2026-11-26T03:00:00Z',
        location: `s3://${BUCKET}/${prefix}2026-11-26-03-00-00/`,
        objects: 3,
      },
      {
        snapshot: '2026-11-25-03-00-00',
        time: '2026-11-25T03:00:00Z',
        location: `s3://${BUCKET}/${prefix}2026-11-25-03-00-00/`,
        objects: 3,
      },
      {
        snapshot: '2026-11-24-03-00-00',
        time: '2026-11-24T03:00:00Z',
        location: `s3://${BUCKET}/${prefix}2026-11-24-03-00-00/`,
        objects: 3,
      },
    ]);
    expect(result.incomplete).toEqual(['2026-11-27-03-00-00']);
  });

  it('restores a snapshot into a new table with the source key schema and an import pipeline reading it', async () => {
    const result = await invoke({
      action: 'restore',
      account: SOURCE_A,
      region: REGION,
      table: 'orders',
      snapshot: '2026-11-25-03-00-00',
      targetTable: 'orders-restored',
    });
    expect(result).toMatchObject({
      action: 'restore',
      targetCreated: true,
      pipelineRegion: REGION,
      targetTable: `arn:aws:dynamodb:${REGION}:${SOURCE_A}:table/orders-restored`,
    });
    const table = await clients.dynamodb(SOURCE_A).send(new DescribeTableCommand({ TableName: 'orders-restored' }));
    expect(table.Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(table.Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');

    const services = createServices(parseConfig(process.env));
    const definition = await services.pipelines(SOURCE_A, REGION).getDefinition(result.pipelineId);
    const byId = Object.fromEntries(definition.map((o) => [o.id, o.fields]));
    expect(byId.Default).toMatchObject({ scheduleType: 'ONDEMAND' });
    expect(byId.S3InputDataNode).toMatchObject({
      directoryPath: `s3://${BUCKET}/${prefix}2026-11-25-03-00-00/`,
      precondition: { ref: 'S3PrefixNotEmpty' },
    });
    expect(byId.S3PrefixNotEmpty).toMatchObject({ s3Prefix: `s3://${BUCKET}/${prefix}2026-11-25-03-00-00/` });
    expect(byId.DDBDestinationTable).toMatchObject({ type: 'DynamoDBDataNode', tableName: 'orders-restored' });
    expect(String(byId.TableLoadActivity?.step)).toContain(
      'org.apache.hadoop.dynamodb.tools.DynamoDBImport,#{input.directoryPath},#{output.tableName},#{output.writeThroughputPercent}',
    );
    const [status] = await services.pipelines(SOURCE_A, REGION).describe([result.pipelineId]);
    expect(status?.state).toBe('SCHEDULED');
  });

  it('refuses a snapshot without a manifest, naming the reason, and creates nothing', async () => {
    await expect(
      invoke({
        action: 'restore',
        account: SOURCE_A,
        region: REGION,
        table: 'orders',
        snapshot: '2026-11-27-03-00-00',
        targetTable: 'never-made',
      }),
    ).rejects.toThrow(/snapshot 2026-11-27-03-00-00 .* cannot be restored: its run folder has no manifest/);
    await expect(
      invoke({
        action: 'restore',
        account: SOURCE_A,
        region: REGION,
        table: 'orders',
        snapshot: '2026-01-01-03-00-00',
        targetTable: 'never-made',
      }),
    ).rejects.toThrow(RestoreRefusedError);
    await expect(
      clients.dynamodb(SOURCE_A).send(new DescribeTableCommand({ TableName: 'never-made' })),
    ).rejects.toThrow(/not found|ResourceNotFound/i);
  });

  describe('Given a target that must never be written', () => {
    const importPipelines = async () =>
      ((await clients.pipelines(SOURCE_A).send(new ListPipelinesCommand({}))).pipelineIdList ?? []).map((p) => p.name);
    const tagsOf = async (table: string) =>
      (
        await clients
          .dynamodb(SOURCE_A)
          .send(new ListTagsOfResourceCommand({ ResourceArn: `arn:aws:dynamodb:${REGION}:${SOURCE_A}:table/${table}` }))
      ).Tags ?? [];

    it.each([
      ['by name', 'orders'],
      ['by a name differing only in case', 'Orders'],
      ['by ARN', `arn:aws:dynamodb:${REGION}:${SOURCE_A}:table/orders`],
    ])(
      'refuses to restore into the source table (%s), and leaves it untagged with no import pipeline',
      async (_how, targetTable) => {
        const before = await importPipelines();
        await expect(
          invoke({
            action: 'restore',
            account: SOURCE_A,
            region: REGION,
            table: 'orders',
            snapshot: '2026-11-26-03-00-00',
            targetTable,
          }),
        ).rejects.toThrow(/a restore never writes into the table it restores/);
        expect(await importPipelines()).toEqual(before);
        expect(await tagsOf('orders')).toEqual([]);
      },
    );

    it('refuses to restore into another table that holds items, and "force" is no longer a way round it', async () => {
      await provisionSandbox(parseConfig(process.env), [{ accountId: SOURCE_A, region: REGION, tableName: 'ledger' }]);
      await clients
        .dynamodb(SOURCE_A)
        .send(new PutItemCommand({ TableName: 'ledger', Item: { pk: { S: 'entry-1' } } }));
      const input = {
        action: 'restore',
        account: SOURCE_A,
        region: REGION,
        table: 'orders',
        snapshot: '2026-11-26-03-00-00',
        targetTable: 'ledger',
      };
      const before = await importPipelines();
      await expect(invoke(input)).rejects.toThrow(
        'table ledger exists and holds items: a restore never writes into a table that holds items; restore into a new table',
      );
      await expect(invoke({ ...input, force: true })).rejects.toThrow(/"force" is no longer accepted/);
      expect(await importPipelines()).toEqual(before);
      expect(await tagsOf('ledger')).toEqual([]);
    });
  });

  it('imports into an existing empty table after tagging it as the product’s, and names who asked', async () => {
    await provisionSandbox(parseConfig(process.env), [
      { accountId: SOURCE_A, region: REGION, tableName: 'empty-target' },
    ]);
    const result = await invoke({
      action: 'restore',
      account: SOURCE_A,
      region: REGION,
      table: 'orders',
      snapshot: '2026-11-26-03-00-00',
      targetTable: 'empty-target',
      requestedBy: 'alice',
    });
    expect(result).toMatchObject({
      targetCreated: false,
      requestedBy: { requestId: expect.stringMatching(/^req-/), claimed: 'alice' },
    });
    const tags = await clients
      .dynamodb(SOURCE_A)
      .send(
        new ListTagsOfResourceCommand({ ResourceArn: `arn:aws:dynamodb:${REGION}:${SOURCE_A}:table/empty-target` }),
      );
    expect(tags.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'ddb-backup:managed-by', Value: 'ddb-backup-orchestrator' },
        { Key: 'ddb-backup:restored-from', Value: 'orders@2026-11-26-03-00-00' },
      ]),
    );
  });

  it('takes the key schema from the registry when the source table no longer exists', async () => {
    const services = createServices(parseConfig(process.env));
    const gone = {
      accountId: SOURCE_A,
      region: REGION,
      tableName: 'orders-deleted',
      tableArn: `arn:aws:dynamodb:${REGION}:${SOURCE_A}:table/orders-deleted`,
    };
    // What onboarding keeps from the table's CreateTable event.
    const claim = await services.registry.claimTable(gone, 'test', 10_000);
    await services.registry.updateClaimed(
      gone,
      'test',
      {
        keySchema: [
          { name: 'tenant', type: 'S', keyType: 'HASH' },
          { name: 'seq', type: 'N', keyType: 'RANGE' },
        ],
      },
      { release: true },
    );
    expect(claim.claimed).toBe(true);
    await clients.backupS3().send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${SOURCE_A}/${REGION}/orders-deleted/2026-11-20-03-00-00/manifest`,
        Body: '{}',
      }),
    );
    const result = await invoke({
      action: 'restore',
      account: SOURCE_A,
      region: REGION,
      table: 'orders-deleted',
      snapshot: '2026-11-20-03-00-00',
      targetTable: 'orders-deleted-restored',
    });
    expect(result).toMatchObject({ targetCreated: true });
    const table = await clients
      .dynamodb(SOURCE_A)
      .send(new DescribeTableCommand({ TableName: 'orders-deleted-restored' }));
    expect(table.Table?.KeySchema).toEqual([
      { AttributeName: 'tenant', KeyType: 'HASH' },
      { AttributeName: 'seq', KeyType: 'RANGE' },
    ]);
  });

  it('refuses when the source is gone and the registry holds no key schema', async () => {
    await clients.backupS3().send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${SOURCE_A}/${REGION}/unknown-table/2026-11-20-03-00-00/manifest`,
        Body: '{}',
      }),
    );
    await expect(
      invoke({
        action: 'restore',
        account: SOURCE_A,
        region: REGION,
        table: 'unknown-table',
        snapshot: '2026-11-20-03-00-00',
        targetTable: 'unknown-restored',
      }),
    ).rejects.toThrow(/the key schema of .*unknown-table is unknown/);
  });

  describe('Given the same restore asked for again', () => {
    const restorePipelines = async (target: string) =>
      ((await clients.pipelines(SOURCE_A).send(new ListPipelinesCommand({}))).pipelineIdList ?? [])
        .filter((p) => p.name === `ddb-restore-${target}`)
        .map((p) => p.id);
    const input = {
      action: 'restore',
      account: SOURCE_A,
      region: REGION,
      table: 'orders',
      snapshot: '2026-11-24-03-00-00',
      targetTable: 'orders-again',
    };

    it('returns the restore already started, with its pipeline, and makes no second one', async () => {
      const first = await invoke(input);
      expect(first).toMatchObject({ targetCreated: true, alreadyStarted: false });
      const again = await invoke(input);
      expect(again).toEqual({
        ...first,
        targetCreated: false,
        alreadyStarted: true,
        requestedBy: { requestId: expect.stringMatching(/^req-/) },
      });
      expect(again.requestedBy.requestId).not.toBe(first.requestedBy.requestId);
      expect(await restorePipelines('orders-again')).toEqual([first.pipelineId]);
    });

    it('refuses a different snapshot into that table while its import pipeline is active, naming it', async () => {
      const [pipelineId] = await restorePipelines('orders-again');
      await expect(invoke({ ...input, snapshot: '2026-11-25-03-00-00' })).rejects.toThrow(RestoreRefusedError);
      await expect(invoke({ ...input, snapshot: '2026-11-25-03-00-00' })).rejects.toThrow(
        `table orders-again is already being restored from s3://${BUCKET}/${prefix}2026-11-24-03-00-00/ by pipeline ${pipelineId} (SCHEDULED); delete that pipeline once its import has finished to restore into the table again`,
      );
      expect(await restorePipelines('orders-again')).toEqual([pipelineId]);
    });

    it('starts one import pipeline for two identical restores at the same moment (CreatePipeline is idempotent on its uniqueId)', async () => {
      await provisionSandbox(parseConfig(process.env), [
        { accountId: SOURCE_A, region: REGION, tableName: 'orders-twice' },
      ]);
      const twice = { ...input, targetTable: 'orders-twice' };
      const [a, b] = await Promise.all([invoke(twice), invoke(twice)]);
      expect(a.pipelineId).toBe(b.pipelineId);
      expect(await restorePipelines('orders-twice')).toEqual([a.pipelineId]);
    });
  });

  it.each([
    [{ action: 'undo', account: SOURCE_A, region: REGION, table: 'orders' }, /action must be "list" or "restore"/],
    [{ action: 'list', account: '123', region: REGION, table: 'orders' }, /account must be a 12-digit account id/],
    [{ action: 'list', account: '444444444444', region: REGION, table: 'orders' }, /not in SOURCE_ACCOUNTS/],
    [
      {
        action: 'restore',
        account: SOURCE_A,
        region: REGION,
        table: 'orders',
        snapshot: 'yesterday',
        targetTable: 'x-restored',
      },
      /snapshot must be a run folder name/,
    ],
    [
      { action: 'restore', account: SOURCE_A, region: REGION, table: 'orders', snapshot: '2026-11-26-03-00-00' },
      /targetTable is required/,
    ],
    [
      { action: 'list', account: SOURCE_A, region: REGION, table: 'orders', snapshot: 'x' },
      /unknown field\(s\) snapshot/,
    ],
    ['list', /must be a JSON object/],
  ])('rejects %j with a clear error', async (input, message) => {
    await expect(invoke(input)).rejects.toThrow(InvalidEventError);
    await expect(invoke(input)).rejects.toThrow(message);
  });
});
