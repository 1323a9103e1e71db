import { DescribeContinuousBackupsCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateScheduleGroupCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { STSClient } from '@aws-sdk/client-sts';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Handler } from 'aws-lambda';
import { RoleAssumer } from '../../lib/adapters/credentials';
import { exportClientToken, scheduleName } from '../../lib/backup-engines/native/schedule';
import { parseConfig } from '../../lib/config';
import { lambdaContext } from '../../scripts/lambda-context';
import { provisionSandbox } from '../../scripts/sandbox';
import { tableEvent } from '../support/fixtures';
import { accountClients, BUCKET, describeWithMoto, REGISTRY, SOURCE_A, useMoto } from '../support/integration';

const REGION = 'us-east-1';
const GROUP = 'ddb-backup-orchestrator';
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${SOURCE_A}:table/orders`;

describeWithMoto('the native engine (against moto_server)', () => {
  useMoto({ NATIVE_EXPORT_ACCOUNTS: SOURCE_A });
  let onboard: Handler;
  let offboard: Handler;
  let clients: ReturnType<typeof accountClients>;
  let scheduler: SchedulerClient;
  const invoke = (handler: Handler, fn: 'onboard' | 'offboard', event: unknown) =>
    handler(event, lambdaContext(fn), () => undefined);
  const schedule = () => scheduler.send(new GetScheduleCommand({ GroupName: GROUP, Name: scheduleName('orders') }));
  const pitr = async () =>
    (await clients.dynamodb(SOURCE_A).send(new DescribeContinuousBackupsCommand({ TableName: 'orders' })))
      .ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus;

  beforeAll(async () => {
    clients = accountClients();
    await provisionSandbox(parseConfig(process.env), [{ accountId: SOURCE_A, region: REGION, tableName: 'orders' }]);
    // The schedule group the source template makes in every account and region.
    const roles = new RoleAssumer(new STSClient({ region: REGION }));
    scheduler = new SchedulerClient({
      region: REGION,
      credentials: roles.provider(`arn:aws:iam::${SOURCE_A}:role/ddb-backup-orchestrator`),
    });
    await scheduler.send(new CreateScheduleGroupCommand({ Name: GROUP }));
    ({ handler: onboard } = await import('../../functions/onboard'));
    ({ handler: offboard } = await import('../../functions/offboard'));
  });

  it('onboards a table with a schedule that exports it into its prefix, PITR on, and the registry told', async () => {
    expect(await pitr()).toBe('DISABLED');
    const result = await invoke(onboard, 'onboard', tableEvent('create-table', SOURCE_A, 'orders'));
    expect(result).toMatchObject({ outcome: 'onboarded', pipelineId: 'orders', pipelineCreated: true });

    const s = await schedule();
    expect(s).toMatchObject({
      Name: 'orders',
      GroupName: GROUP,
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
      Target: {
        Arn: 'arn:aws:scheduler:::aws-sdk:dynamodb:exportTableToPointInTime',
        RoleArn: `arn:aws:iam::${SOURCE_A}:role/ddb-backup-export-scheduler`,
        DeadLetterConfig: { Arn: `arn:aws:sqs:${REGION}:${SOURCE_A}:ddb-backup-export-dlq` },
      },
    });
    expect(JSON.parse(s.Target?.Input ?? '')).toEqual({
      TableArn: TABLE_ARN,
      S3Bucket: BUCKET,
      S3BucketOwner: '999999999999',
      S3Prefix: `${SOURCE_A}/${REGION}/orders`,
      ExportFormat: 'DYNAMODB_JSON',
      ClientToken: exportClientToken(TABLE_ARN),
    });
    expect(await pitr()).toBe('ENABLED');

    const item = await clients
      .registry()
      .send(new GetItemCommand({ TableName: REGISTRY, Key: { pk: { S: `TABLE#${SOURCE_A}#${REGION}#orders` } } }));
    expect(unmarshall(item.Item ?? {})).toMatchObject({
      status: 'ACTIVE',
      engine: 'native',
      pipelineId: 'orders',
      uniqueId: s.Arn,
      pitrEnabledByProduct: true,
      shape: { keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], localSecondaryIndexes: [] },
    });
  });

  it('makes no second schedule for the same event again', async () => {
    const again = await invoke(onboard, 'onboard', tableEvent('create-table', SOURCE_A, 'orders'));
    expect(again).toMatchObject({ outcome: 'already-onboarded', pipelineId: 'orders' });
    const listed = await scheduler.send(new ListSchedulesCommand({ GroupName: GROUP }));
    expect((listed.Schedules ?? []).map((x) => x.Name)).toEqual(['orders']);
  });

  it('offboards the table by deleting its schedule, and leaves PITR on', async () => {
    const result = await invoke(
      offboard,
      'offboard',
      tableEvent('delete-table', SOURCE_A, 'orders', new Date(Date.now() + 60_000).toISOString()),
    );
    expect(result).toMatchObject({ outcome: 'offboarded', pipelineId: 'orders' });
    await expect(schedule()).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(await pitr()).toBe('ENABLED');
  });
});
