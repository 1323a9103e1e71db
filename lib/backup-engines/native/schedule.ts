import { createHash } from 'node:crypto';
import { tablePrefix } from '../../domain/layout';
import type { TableRef } from '../../domain/table-ref';
import { ConfigError } from '../../errors';
import type { EngineSettings } from '../../ports/backup-engine';

/**
 * The native engine's nightly trigger, as data (pure): one EventBridge Scheduler schedule per
 * table, in the table's account and region, whose universal target calls DynamoDB's
 * ExportTableToPointInTime with the export's request as its Input.
 */

/** Scheduler's universal target for the export (Scheduler UG, managing-targets-universal). */
export const EXPORT_TARGET_ARN = 'arn:aws:scheduler:::aws-sdk:dynamodb:exportTableToPointInTime';

/** Scheduler replaces this keyword in a schedule's Input with the invocation's scheduled time, e.g. 2022-03-22T18:59:43Z (Scheduler UG, managing-schedule-context-attributes). */
export const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';

/** Schedule names: 1-64 characters of 0-9 a-z A-Z - _ . (Scheduler API, CreateSchedule). */
const MAX_NAME = 64;
const HASH_CHARS = 8;

/**
 * Scheduler's retries of one invocation: within six hours, so that every retry of a night's export
 * stays inside ExportTableToPointInTime's eight-hour ClientToken window (one export per night,
 * however often Scheduler retries); what still fails lands in the dead-letter queue.
 */
const EXPORT_RETRY = { MaximumEventAgeInSeconds: 6 * 3600, MaximumRetryAttempts: 20 } as const;

/** What the native engine reads from the settings, all present. */
export interface NativeSettings {
  bucket: string;
  /** The backup bucket's account (BACKUP_ROLE_ARN's): S3BucketOwner, without which a cross-account export is denied. */
  bucketOwner: string;
  group: string;
  schedulerRole: string;
  dlqName: string;
  windowMinutes: number;
  time: { hour: number; minute: number };
}

export function nativeSettings(settings: EngineSettings): NativeSettings {
  const { backupAccountId, scheduleGroup, exportSchedulerRole, exportDlqName, exportWindowMinutes } = settings;
  if (
    backupAccountId === undefined ||
    scheduleGroup === undefined ||
    exportSchedulerRole === undefined ||
    exportDlqName === undefined ||
    exportWindowMinutes === undefined
  ) {
    throw new ConfigError(
      'the native engine needs BACKUP_ROLE_ARN, SCHEDULE_GROUP, EXPORT_SCHEDULER_ROLE, EXPORT_DLQ_NAME and EXPORT_WINDOW_MINUTES',
    );
  }
  return {
    bucket: settings.backupBucket,
    bucketOwner: backupAccountId,
    group: scheduleGroup,
    schedulerRole: exportSchedulerRole,
    dlqName: exportDlqName,
    windowMinutes: exportWindowMinutes,
    time: settings.backupTimeUtc,
  };
}

const shortHash = (text: string, chars: number) => createHash('sha256').update(text).digest('hex').slice(0, chars);

/**
 * The table's schedule name, found again from the table's name alone. Table names use Scheduler's
 * own characters ([a-zA-Z0-9_.-]), so a name of up to 55 characters is the table's; a longer one
 * keeps its first 55 and ends in `-` and 8 hex digits of its SHA-256 (two long names that share
 * their first 55 characters still differ). Every name over 55 characters is hashed — also those
 * that would fit Scheduler's 64 — so that no table can be named after another's hashed name and
 * share (and rewrite, or delete) its schedule.
 */
export function scheduleName(tableName: string): string {
  const kept = MAX_NAME - HASH_CHARS - 1;
  if (tableName.length <= kept) return tableName;
  return `${tableName.slice(0, kept)}-${shortHash(tableName, HASH_CHARS)}`;
}

/** The export's S3Prefix: the table's prefix of the layout both engines share (ACCOUNT/REGION/TABLE), without its slash (the export adds `/AWSDynamoDB/…`). */
function exportPrefix(table: Pick<TableRef, 'accountId' | 'region' | 'tableName'>): string {
  return tablePrefix(table).replace(/\/$/, '');
}

/**
 * The export's ClientToken: 16 hex digits of the table ARN's SHA-256 and the invocation's scheduled
 * time (substituted by Scheduler), so that Scheduler's retries of one night's invocation start one
 * export, and each night starts its own. No `$` (ExportTableToPointInTime: pattern ^[^$]+$).
 */
export function exportClientToken(tableArn: string): string {
  return `${shortHash(tableArn, 16)}-${SCHEDULED_TIME}`;
}

/** The ExportTableToPointInTime request the schedule sends (the API's own names). */
export interface ExportInput {
  TableArn: string;
  S3Bucket: string;
  S3BucketOwner: string;
  S3Prefix: string;
  ExportFormat: 'DYNAMODB_JSON';
  ClientToken: string;
}

/** A schedule as the product defines it (and reads it back to compare). */
export interface ExportSchedule {
  name: string;
  group: string;
  description: string;
  expression: string;
  timezone: string;
  window: { Mode: 'OFF' } | { Mode: 'FLEXIBLE'; MaximumWindowInMinutes: number };
  state: string;
  target: {
    Arn: string;
    RoleArn: string;
    Input: ExportInput;
    RetryPolicy: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number };
    DeadLetterConfig: { Arn: string };
  };
}

/** The table's schedule: daily at BACKUP_TIME_UTC (cron, UTC) within the flexible window. */
export function exportSchedule(table: TableRef, s: NativeSettings): ExportSchedule {
  return {
    name: scheduleName(table.tableName),
    group: s.group,
    description: `Nightly export of ${table.tableArn} to s3://${s.bucket}/${exportPrefix(table)}/`.slice(0, 512),
    expression: `cron(${s.time.minute} ${s.time.hour} * * ? *)`,
    timezone: 'UTC',
    window: s.windowMinutes === 0 ? { Mode: 'OFF' } : { Mode: 'FLEXIBLE', MaximumWindowInMinutes: s.windowMinutes },
    state: 'ENABLED',
    target: {
      Arn: EXPORT_TARGET_ARN,
      RoleArn: `arn:aws:iam::${table.accountId}:role/${s.schedulerRole}`,
      Input: {
        TableArn: table.tableArn,
        S3Bucket: s.bucket,
        S3BucketOwner: s.bucketOwner,
        S3Prefix: exportPrefix(table),
        ExportFormat: 'DYNAMODB_JSON',
        ClientToken: exportClientToken(table.tableArn),
      },
      RetryPolicy: { ...EXPORT_RETRY },
      DeadLetterConfig: { Arn: `arn:aws:sqs:${table.region}:${table.accountId}:${s.dlqName}` },
    },
  };
}

/** The fields in which a schedule read back differs from the one wanted (empty: the same). */
export function scheduleDifferences(want: ExportSchedule, have: ExportSchedule): string[] {
  const fields: Array<[string, unknown, unknown]> = [
    ['ScheduleExpression', want.expression, have.expression],
    ['ScheduleExpressionTimezone', want.timezone, have.timezone],
    ['FlexibleTimeWindow', want.window, have.window],
    ['State', want.state, have.state],
    ['Target.Arn', want.target.Arn, have.target.Arn],
    ['Target.RoleArn', want.target.RoleArn, have.target.RoleArn],
    ['Target.Input', want.target.Input, have.target.Input],
    ['Target.RetryPolicy', want.target.RetryPolicy, have.target.RetryPolicy],
    ['Target.DeadLetterConfig', want.target.DeadLetterConfig, have.target.DeadLetterConfig],
  ];
  return fields.filter(([, a, b]) => canonical(a) !== canonical(b)).map(([name]) => name);
}

/** JSON with sorted keys: equal values, equal text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** The table name in a table ARN. */
export function tableNameOf(tableArn: string): string {
  return tableArn.slice(tableArn.indexOf(':table/') + ':table/'.length);
}
