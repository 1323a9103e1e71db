import {
  importClientToken,
  importSource,
  likelyNewestFirst,
  runsOf,
  snapshotsOfExports,
} from '../../lib/backup-engines/native/exports';
import {
  EXPORT_TARGET_ARN,
  exportClientToken,
  exportSchedule,
  nativeSettings,
  SCHEDULED_TIME,
  scheduleDifferences,
  scheduleName,
} from '../../lib/backup-engines/native/schedule';
import { parseConfig } from '../../lib/config';
import { ConfigError } from '../../lib/errors';

const config = parseConfig({
  BACKUP_BUCKET: 'corp-ddb-backups',
  BACKUP_ROLE_ARN: 'arn:aws:iam::999999999999:role/ddb-backup-policy-writer',
  SOURCE_ROLE_NAME: 'ddb-backup-orchestrator',
  SOURCE_ACCOUNTS: '111111111111',
  REGISTRY_TABLE: 'ddb-backup-registry',
  BACKUP_TIME_UTC: '02:30',
});
const table = {
  accountId: '111111111111',
  region: 'eu-central-1',
  tableName: 'orders',
  tableArn: 'arn:aws:dynamodb:eu-central-1:111111111111:table/orders',
};

describe('the native export schedule', () => {
  it('calls ExportTableToPointInTime every night at BACKUP_TIME_UTC into the table’s prefix of the backup bucket', () => {
    expect(exportSchedule(table, nativeSettings(config))).toEqual({
      name: 'orders',
      group: 'ddb-backup-orchestrator',
      description:
        'Nightly export of arn:aws:dynamodb:eu-central-1:111111111111:table/orders to s3://corp-ddb-backups/111111111111/eu-central-1/orders/',
      expression: 'cron(30 2 * * ? *)',
      timezone: 'UTC',
      window: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
      state: 'ENABLED',
      target: {
        Arn: 'arn:aws:scheduler:::aws-sdk:dynamodb:exportTableToPointInTime',
        RoleArn: 'arn:aws:iam::111111111111:role/ddb-backup-export-scheduler',
        Input: {
          TableArn: table.tableArn,
          S3Bucket: 'corp-ddb-backups',
          S3BucketOwner: '999999999999',
          S3Prefix: '111111111111/eu-central-1/orders',
          ExportFormat: 'DYNAMODB_JSON',
          ClientToken: exportClientToken(table.tableArn),
        },
        RetryPolicy: { MaximumEventAgeInSeconds: 21600, MaximumRetryAttempts: 20 },
        DeadLetterConfig: { Arn: 'arn:aws:sqs:eu-central-1:111111111111:ddb-backup-export-dlq' },
      },
    });
    expect(EXPORT_TARGET_ARN).toBe('arn:aws:scheduler:::aws-sdk:dynamodb:exportTableToPointInTime');
  });

  it('starts at the exact time when the window is 0', () => {
    expect(exportSchedule(table, { ...nativeSettings(config), windowMinutes: 0 }).window).toEqual({ Mode: 'OFF' });
  });

  it('builds the ClientToken from the table and the scheduled time Scheduler substitutes, with no $', () => {
    const token = exportClientToken(table.tableArn);
    expect(token).toMatch(/^[0-9a-f]{16}-<aws\.scheduler\.scheduled-time>$/);
    expect(token.endsWith(SCHEDULED_TIME)).toBe(true);
    const fired = token.replace(SCHEDULED_TIME, '2026-11-27T02:41:07Z');
    expect(fired).toMatch(/^[^$]+$/);
    expect(exportClientToken(`${table.tableArn}2`)).not.toBe(token);
  });

  it('names the schedule after the table, within Scheduler’s 64 characters, so that it is found again', () => {
    expect(scheduleName('orders')).toBe('orders');
    expect(scheduleName('a'.repeat(55))).toBe('a'.repeat(55));
    const long = scheduleName(`${'x'.repeat(70)}.v1`);
    expect(long).toHaveLength(64);
    expect(long).toMatch(/^[0-9a-zA-Z\-_.]+$/);
    expect(scheduleName(`${'x'.repeat(70)}.v1`)).toBe(long);
    expect(scheduleName(`${'x'.repeat(70)}.v2`)).not.toBe(long);
  });

  it('gives no table the schedule of another: a table named after a long table’s schedule gets a schedule of its own', () => {
    const long = `${'x'.repeat(70)}.v1`;
    const lookalike = scheduleName(long); // 64 characters, a valid table name
    expect(scheduleName(lookalike)).not.toBe(scheduleName(long));
    expect(scheduleName('b'.repeat(64))).toHaveLength(64);
    expect(scheduleName('b'.repeat(64))).not.toBe('b'.repeat(64));
  });

  it('finds no difference in a schedule read back as written, and names each field that differs', () => {
    const want = exportSchedule(table, nativeSettings(config));
    expect(scheduleDifferences(want, structuredClone(want))).toEqual([]);
    const have = structuredClone(want);
    have.expression = 'cron(0 3 * * ? *)';
    have.target.Input.S3BucketOwner = '123456789012';
    expect(scheduleDifferences(want, have)).toEqual(['ScheduleExpression', 'Target.Input']);
  });

  it('refuses to build a schedule without the native settings', () => {
    const { scheduleGroup: _, ...partial } = config;
    expect(() => nativeSettings(partial)).toThrow(ConfigError);
  });
});

describe('reading exports', () => {
  const arn = (id: string) => `${table.tableArn}/export/${id}`;
  const info = (id: string, status: string, time: string) => ({
    arn: arn(id),
    status,
    type: 'FULL_EXPORT',
    time,
    bucket: 'corp-ddb-backups',
    prefix: '111111111111/eu-central-1/orders',
    itemCount: 12,
    sizeBytes: 3400,
  });

  it('lists the completed exports newest first as snapshots, and the others as incomplete', () => {
    expect(
      snapshotsOfExports([
        info('01764200000000-aaaaaaaa', 'COMPLETED', '2025-11-27T02:40:00.000Z'),
        info('01764300000000-bbbbbbbb', 'FAILED', '2025-11-28T02:40:00.000Z'),
        info('01764400000000-cccccccc', 'COMPLETED', '2025-11-29T02:40:00.000Z'),
      ]),
    ).toEqual({
      snapshots: [
        {
          snapshot: '01764400000000-cccccccc',
          time: '2025-11-29T02:40:00.000Z',
          location: 's3://corp-ddb-backups/111111111111/eu-central-1/orders/AWSDynamoDB/01764400000000-cccccccc/',
          itemCount: 12,
          sizeBytes: 3400,
        },
        expect.objectContaining({ snapshot: '01764200000000-aaaaaaaa' }),
      ],
      incomplete: ['01764300000000-bbbbbbbb'],
    });
  });

  it('imports from the export’s data folder', () => {
    expect(importSource('s3://corp-ddb-backups/111111111111/eu-central-1/orders/AWSDynamoDB/0176-x/')).toEqual({
      bucket: 'corp-ddb-backups',
      keyPrefix: '111111111111/eu-central-1/orders/AWSDynamoDB/0176-x/data/',
    });
  });

  it('tells the newest export and the newest completed one', () => {
    expect(
      runsOf([
        info('01764200000000-aaaaaaaa', 'COMPLETED', '2025-11-27T02:40:00.000Z'),
        info('01764300000000-bbbbbbbb', 'FAILED', '2025-11-28T02:40:00.000Z'),
      ]),
    ).toEqual({
      newest: {
        id: '01764300000000-bbbbbbbb',
        status: 'FAILED',
        time: '2025-11-28T02:40:00.000Z',
        itemCount: 12,
        sizeBytes: 3400,
        failure: undefined,
      },
      newestCompletedTime: '2025-11-27T02:40:00.000Z',
    });
    expect(runsOf([])).toEqual({});
  });

  it('orders export ids by their leading digits only when every id has them', () => {
    expect(likelyNewestFirst([arn('01764200000000-a1b2c3d4'), arn('01764400000000-a1b2c3d4')])).toEqual({
      arns: [arn('01764400000000-a1b2c3d4'), arn('01764200000000-a1b2c3d4')],
      ordered: true,
    });
    expect(likelyNewestFirst([arn('0f1e2d3c'), arn('01764400000000-a1b2c3d4')]).ordered).toBe(false);
  });

  it('makes one import token per target and export, so that the same restore again is the same import', () => {
    const a = importClientToken('arn:t1', 's3://b/p/AWSDynamoDB/1/');
    expect(a).toBe(importClientToken('arn:t1', 's3://b/p/AWSDynamoDB/1/'));
    expect(a).not.toBe(importClientToken('arn:t2', 's3://b/p/AWSDynamoDB/1/'));
    expect(a).not.toBe(importClientToken('arn:t1', 's3://b/p/AWSDynamoDB/2/'));
  });
});
