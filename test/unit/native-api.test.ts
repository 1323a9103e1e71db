import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ImportTableCommand,
  UpdateContinuousBackupsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { NativeApi } from '../../lib/backup-engines/native/api';
import { nativeEngine } from '../../lib/backup-engines/native/engine';
import { exportSchedule, nativeSettings } from '../../lib/backup-engines/native/schedule';
import { parseConfig } from '../../lib/config';
import type { TableRecord } from '../../lib/domain/lifecycle';
import type { ClaimedTable } from '../../lib/ports/backup-engine';
import { recordingTelemetry } from '../support/telemetry';

const scheduler = mockClient(SchedulerClient);
const dynamodb = mockClient(DynamoDBClient);
beforeEach(() => {
  scheduler.reset();
  dynamodb.reset();
});

const config = parseConfig({
  BACKUP_BUCKET: 'corp-ddb-backups',
  BACKUP_ROLE_ARN: 'arn:aws:iam::999999999999:role/ddb-backup-policy-writer',
  SOURCE_ROLE_NAME: 'ddb-backup-orchestrator',
  SOURCE_ACCOUNTS: '111111111111',
  REGISTRY_TABLE: 'ddb-backup-registry',
});
const table = {
  accountId: '111111111111',
  region: 'us-east-1',
  tableName: 'orders',
  tableArn: 'arn:aws:dynamodb:us-east-1:111111111111:table/orders',
};
const want = exportSchedule(table, nativeSettings(config));
const SCHEDULE_ARN = 'arn:aws:scheduler:us-east-1:111111111111:schedule/ddb-backup-orchestrator/orders';
const api = () =>
  new NativeApi(new SchedulerClient({ region: 'us-east-1' }), new DynamoDBClient({ region: 'us-east-1' }));
const engine = nativeEngine(() => api(), { scheduleGroup: config.scheduleGroup });

/** GetSchedule's answer for a schedule written as `s`. */
const asRead = (s: typeof want) => ({
  Arn: SCHEDULE_ARN,
  Name: s.name,
  GroupName: s.group,
  Description: s.description,
  ScheduleExpression: s.expression,
  ScheduleExpressionTimezone: s.timezone,
  FlexibleTimeWindow: s.window,
  State: s.state as 'ENABLED',
  Target: { ...s.target, Input: JSON.stringify(s.target.Input) },
});

function claimOf(record: Partial<TableRecord> = {}) {
  const writes: Array<Record<string, unknown>> = [];
  const claim: ClaimedTable = {
    record: {
      pk: 'TABLE#111111111111#us-east-1#orders',
      ...table,
      status: 'PENDING',
      attempts: 1,
      generation: 1,
      createdAt: '',
      updatedAt: '',
      ...record,
    },
    recordCreated: async (fields) => {
      writes.push({ created: fields });
      return true;
    },
    note: async (fields) => {
      writes.push({ note: fields });
      return true;
    },
    markActive: async (id) => writes.push({ active: id }),
  };
  return { claim, writes };
}

function describeTable() {
  dynamodb.on(DescribeTableCommand).resolves({
    Table: {
      TableArn: table.tableArn,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'day', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'by-day',
          KeySchema: [{ AttributeName: 'day', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    },
  });
}

describe('the native engine’s calls (Scheduler and DynamoDB)', () => {
  it('writes the schedule’s Input as JSON and reads the same schedule back', async () => {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: SCHEDULE_ARN });
    await expect(api().createSchedule(want)).resolves.toBe(SCHEDULE_ARN);
    const sent = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input;
    expect(sent).toMatchObject({
      Name: 'orders',
      GroupName: 'ddb-backup-orchestrator',
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
      Target: { Arn: 'arn:aws:scheduler:::aws-sdk:dynamodb:exportTableToPointInTime' },
    });
    expect(JSON.parse(sent?.Target?.Input ?? '')).toEqual(want.target.Input);
    scheduler.on(GetScheduleCommand).resolves(asRead(want));
    await expect(api().getSchedule('ddb-backup-orchestrator', 'orders')).resolves.toEqual({
      arn: SCHEDULE_ARN,
      schedule: want,
    });
  });

  it('reads an absent schedule as none, and deleting one that is gone as done', async () => {
    scheduler
      .on(GetScheduleCommand)
      .rejects(new ResourceNotFoundException({ Message: 'no', message: 'no', $metadata: {} }));
    scheduler
      .on(DeleteScheduleCommand)
      .rejects(new ResourceNotFoundException({ Message: 'no', message: 'no', $metadata: {} }));
    await expect(api().getSchedule('g', 'orders')).resolves.toBeUndefined();
    await expect(api().deleteSchedule('g', 'orders')).resolves.toBe(false);
  });

  it('reads the table’s shape with its global secondary indexes', async () => {
    describeTable();
    await expect(api().describeTable('orders')).resolves.toEqual({
      tableArn: table.tableArn,
      shape: {
        attributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'day', AttributeType: 'S' },
        ],
        keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        globalSecondaryIndexes: [
          {
            IndexName: 'by-day',
            KeySchema: [{ AttributeName: 'day', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        localSecondaryIndexes: [],
        billingMode: 'PAY_PER_REQUEST',
      },
    });
  });

  it('imports from the bucket in the backup account, gzipped DynamoDB JSON, with the table’s shape', async () => {
    describeTable();
    const { shape } = (await api().describeTable('orders')) as {
      shape: import('../../lib/domain/lifecycle').TableShape;
    };
    dynamodb
      .on(ImportTableCommand)
      .resolves({ ImportTableDescription: { ImportArn: 'arn:imp', ImportStatus: 'IN_PROGRESS' } });
    await expect(
      api().importTable({
        clientToken: 't',
        bucket: 'b',
        bucketOwner: '999999999999',
        keyPrefix: 'p/data/',
        tableName: 'copy',
        shape,
      }),
    ).resolves.toMatchObject({ arn: 'arn:imp', status: 'IN_PROGRESS' });
    expect(dynamodb).toHaveReceivedCommandWith(ImportTableCommand, {
      ClientToken: 't',
      S3BucketSource: { S3Bucket: 'b', S3BucketOwner: '999999999999', S3KeyPrefix: 'p/data/' },
      InputFormat: 'DYNAMODB_JSON',
      InputCompressionType: 'GZIP',
      TableCreationParameters: expect.objectContaining({
        TableName: 'copy',
        BillingMode: 'PAY_PER_REQUEST',
        GlobalSecondaryIndexes: [expect.objectContaining({ IndexName: 'by-day' })],
      }),
    });
  });
});

describe('the native engine on those calls', () => {
  it('leaves PITR alone when it is on, and takes a schedule of the same definition as its own (ConflictException)', async () => {
    describeTable();
    dynamodb.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED' },
      },
    });
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ Message: 'exists', message: 'exists', $metadata: {} }));
    scheduler.on(GetScheduleCommand).resolves(asRead(want));
    const { claim, writes } = claimOf();
    const result = await engine.prepare(table, config, new Date()).ensure(claim, recordingTelemetry());
    expect(result).toEqual({ resourceId: 'orders', created: false });
    expect(dynamodb).toHaveReceivedCommandTimes(UpdateContinuousBackupsCommand, 0);
    expect(scheduler).toHaveReceivedCommandTimes(UpdateScheduleCommand, 0);
    expect(writes).toEqual([
      {
        created: expect.objectContaining({
          pipelineId: 'orders',
          uniqueId: SCHEDULE_ARN,
          engine: 'native',
          pitrEnabledByProduct: false,
        }),
      },
      { active: 'orders' },
    ]);
  });

  it('turns PITR on when it is off, notes it before making the schedule, and rewrites a schedule that differs', async () => {
    describeTable();
    dynamodb.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' },
      },
    });
    dynamodb.on(UpdateContinuousBackupsCommand).resolves({});
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ Message: 'exists', message: 'exists', $metadata: {} }));
    scheduler.on(GetScheduleCommand).resolves({ ...asRead(want), ScheduleExpression: 'cron(0 12 * * ? *)' });
    scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: SCHEDULE_ARN });
    const { claim, writes } = claimOf();
    const log = recordingTelemetry();
    await engine.prepare(table, config, new Date()).ensure(claim, log);
    expect(dynamodb).toHaveReceivedCommandWith(UpdateContinuousBackupsCommand, {
      TableName: 'orders',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(writes[0]).toEqual({ note: { pitrEnabledByProduct: true } });
    expect(scheduler).toHaveReceivedCommandWith(UpdateScheduleCommand, { ScheduleExpression: 'cron(0 3 * * ? *)' });
    expect(log.logs.find((l) => l.level === 'warn')?.extra).toMatchObject({ differences: ['ScheduleExpression'] });
  });

  it('deletes the schedule named on the record, in the group its ARN names', async () => {
    scheduler.on(DeleteScheduleCommand).resolves({});
    const { claim } = claimOf({
      pipelineId: 'orders',
      uniqueId: 'arn:aws:scheduler:us-east-1:111111111111:schedule/other-group/orders',
    });
    await engine.remove({ ...claim.record, pipelineId: 'orders' }, recordingTelemetry());
    expect(scheduler).toHaveReceivedCommandWith(DeleteScheduleCommand, { GroupName: 'other-group', Name: 'orders' });
  });
});
