import { z } from 'zod';
import {
  DEFAULT_PIPELINE_INSTANCE_TYPE,
  DEFAULT_PIPELINE_ROLES,
  isPipelineInstanceType,
  PIPELINE_INSTANCE_FAMILIES,
  type PipelineRoles,
} from './backup-engines/datapipeline/definition';
import { DATA_PIPELINE_REGIONS } from './backup-engines/datapipeline/regions';
import { isScheduleExpression } from './domain/drill';
import { POLICY_LAYOUTS, type PolicyLayout } from './domain/policy';
import { isRegion } from './domain/regions';
import { compileNamePattern, type NamePattern } from './domain/table-ref';
import { ConfigError } from './errors';
import type { BackupEngineName } from './ports/backup-engine';

const ACCOUNT_ID = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** S3 bucket naming rules (general purpose buckets). */
const BUCKET = /^(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

const DEFAULT_OPT_OUT_TAG = 'ddb-backup';
/** The engines a deployment may choose (BACKUP_ENGINE); the first is the default. */
const BACKUP_ENGINES = ['datapipeline', 'native'] as const satisfies readonly BackupEngineName[];
/** EventBridge Scheduler's schedule group names: 1-64 of 0-9 a-z A-Z - _ . (Scheduler API, CreateScheduleGroup). */
const SCHEDULE_GROUP_NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;
/** SQS standard queue names: 1-80 letters, digits, - and _ (SQS API, CreateQueue). */
const QUEUE_NAME = /^[\w-]{1,80}$/;
/** Tag values (case-insensitive) that opt a table out of backups. */
export const OPT_OUT_VALUES = ['off', 'false', 'no', 'none', 'disabled', 'skip', 'exclude'] as const;

const text = (name: string) =>
  z
    .string({ required_error: `${name} environment variable is not set` })
    .trim()
    .min(1, `${name} environment variable is empty`);

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));

/** An optional number variable: its default when unset, else a number within [min, max] (whole if asked). */
const numberVar = (name: string, o: { fallback: number; min: number; max: number; integer?: boolean; what: string }) =>
  optionalText.transform((v, ctx) => {
    if (v === undefined) return o.fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < o.min || n > o.max || (o.integer === true && !Number.isInteger(n))) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${name} must be ${o.what}, got "${v}"` });
      return z.NEVER;
    }
    return n;
  });

/** A comma-separated list of 12-digit account ids, each kept once; `required`: at least one. */
const accountIds = (
  name: string,
  value: z.ZodType<string | undefined, z.ZodTypeDef, unknown>,
  o: { required?: boolean } = {},
) =>
  value.transform((v, ctx) => {
    const ids = (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const bad = ids.filter((id) => !ACCOUNT_ID.test(id));
    if (bad.length > 0) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `${name} holds values that are not 12-digit account ids: ${bad.join(', ')}`,
      });
      return z.NEVER;
    }
    if (o.required === true && ids.length === 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${name} lists no account` });
      return z.NEVER;
    }
    return [...new Set(ids)];
  });

/** An optional true/false variable (any case): false when unset. */
const booleanVar = (name: string) =>
  optionalText.transform((v, ctx) => {
    const value = (v ?? 'false').toLowerCase();
    if (value !== 'true' && value !== 'false') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${name} must be true or false, got "${v}"` });
      return z.NEVER;
    }
    return value === 'true';
  });

/** An optional role-name variable: its default when unset. */
const roleName = (name: string, fallback: string) =>
  optionalText.transform((v, ctx) => {
    const value = v ?? fallback;
    if (!ROLE_NAME.test(value)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `${name} must be an IAM role name (not an ARN): letters, digits and +=,.@_- only`,
      });
      return z.NEVER;
    }
    return value;
  });

const schema = z.object({
  BACKUP_BUCKET: text('BACKUP_BUCKET').refine((v) => BUCKET.test(v), {
    message: 'BACKUP_BUCKET is not a valid S3 bucket name',
  }),
  BACKUP_ROLE_ARN: text('BACKUP_ROLE_ARN').refine((v) => ROLE_ARN.test(v), {
    message: 'BACKUP_ROLE_ARN must be an IAM role ARN such as arn:aws:iam::123456789012:role/name',
  }),
  SNAPSHOT_READER_ROLE_ARN: optionalText.refine((v) => v === undefined || ROLE_ARN.test(v), {
    message:
      'SNAPSHOT_READER_ROLE_ARN must be an IAM role ARN such as arn:aws:iam::123456789012:role/ddb-backup-snapshot-reader',
  }),
  // The prefix of the per-function roles (<prefix>-healthCheck is the longest): at most 50 characters, as the source
  // template's OrchestratorRoleName allows.
  SOURCE_ROLE_NAME: text('SOURCE_ROLE_NAME').refine((v) => ROLE_NAME.test(v) && v.length <= 50, {
    message:
      'SOURCE_ROLE_NAME must be an IAM role name prefix (not an ARN) of the source roles: at most 50 letters, digits and +=,.@_-',
  }),
  PIPELINE_ROLE: roleName('PIPELINE_ROLE', DEFAULT_PIPELINE_ROLES.role),
  PIPELINE_RESOURCE_ROLE: roleName('PIPELINE_RESOURCE_ROLE', DEFAULT_PIPELINE_ROLES.resourceRole),
  RESTORE_RESOURCE_ROLE: roleName('RESTORE_RESOURCE_ROLE', DEFAULT_PIPELINE_ROLES.restoreResourceRole),
  SOURCE_ACCOUNTS: accountIds('SOURCE_ACCOUNTS', text('SOURCE_ACCOUNTS'), { required: true }),
  REGISTRY_TABLE: text('REGISTRY_TABLE').refine((v) => /^[a-zA-Z0-9_.-]{3,255}$/.test(v), {
    message: 'REGISTRY_TABLE is not a valid DynamoDB table name',
  }),
  EXTERNAL_ID: optionalText.refine((v) => v === undefined || /^[\w+=,.@:/-]{2,1224}$/.test(v), {
    message: 'EXTERNAL_ID must be 2-1224 characters of letters, digits and +=,.@:/-_',
  }),
  BACKUP_TIME_UTC: optionalText.transform((v, ctx) => {
    const value = v ?? '03:00';
    const m = HH_MM.exec(value);
    if (!m) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `BACKUP_TIME_UTC must be HH:MM (24-hour, UTC), got "${value}"`,
      });
      return z.NEVER;
    }
    return { hour: Number(m[1]), minute: Number(m[2]) };
  }),
  READ_THROUGHPUT_RATIO: numberVar('READ_THROUGHPUT_RATIO', {
    fallback: 0.25,
    min: 0.1,
    max: 1,
    what: 'a number from 0.1 to 1.0',
  }),
  PIPELINE_REGION: optionalText.refine((v) => v === undefined || DATA_PIPELINE_REGIONS.includes(v), {
    message: `PIPELINE_REGION must be a region with a Data Pipeline endpoint: ${DATA_PIPELINE_REGIONS.join(', ')}`,
  }),
  TABLE_EXCLUDE_PATTERN: optionalText.transform((v, ctx) => {
    if (v === undefined) return undefined;
    const pattern = compileNamePattern(v, 'TABLE_EXCLUDE_PATTERN');
    if ('error' in pattern) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: pattern.error });
      return z.NEVER;
    }
    return pattern;
  }),
  OPT_OUT_TAG: optionalText.transform((v) => v ?? DEFAULT_OPT_OUT_TAG),
  ALARM_TOPIC_ARN: optionalText.refine(
    (v) => v === undefined || /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/.test(v),
    {
      message: 'ALARM_TOPIC_ARN must be an SNS topic ARN',
    },
  ),
  ALARM_TOPIC_NAME: optionalText.refine((v) => v === undefined || /^[\w-]{1,256}$/.test(v), {
    message: 'ALARM_TOPIC_NAME must be an SNS topic name (letters, digits, - and _)',
  }),
  POLICY_LAYOUT: optionalText.transform((v, ctx) => {
    const value = v ?? 'per-account';
    if (!(POLICY_LAYOUTS as readonly string[]).includes(value)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `POLICY_LAYOUT must be one of ${POLICY_LAYOUTS.join(', ')}, got "${value}"`,
      });
      return z.NEVER;
    }
    return value as PolicyLayout;
  }),
  ORGANIZATION_ID: optionalText.refine((v) => v === undefined || /^o-[a-z0-9]{10,32}$/.test(v), {
    message: 'ORGANIZATION_ID must be an AWS Organizations id such as o-a1b2c3d4e5',
  }),
  DATA_PIPELINE_RATE: numberVar('DATA_PIPELINE_RATE', {
    fallback: 1,
    min: 0.001,
    max: 1000,
    what: 'calls per second, above 0 and at most 1000',
  }),
  DATA_PIPELINE_BURST: numberVar('DATA_PIPELINE_BURST', {
    fallback: 100,
    min: 1,
    max: 10_000,
    integer: true,
    what: 'a whole number from 1 to 10000',
  }),
  LOCK_LEASE_SECONDS: numberVar('LOCK_LEASE_SECONDS', {
    fallback: 60,
    min: 5,
    max: 900,
    integer: true,
    what: 'a whole number from 5 to 900',
  }),
  PIPELINE_INSTANCE_TYPE: optionalText.transform((v, ctx) => {
    const value = v ?? DEFAULT_PIPELINE_INSTANCE_TYPE;
    if (!isPipelineInstanceType(value)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `PIPELINE_INSTANCE_TYPE must be an EC2 instance type the export clusters' EMR release (emr-5.23.0) runs, xlarge or larger, of the families ${PIPELINE_INSTANCE_FAMILIES.join(', ')} (such as ${DEFAULT_PIPELINE_INSTANCE_TYPE}), got "${value}"`,
      });
      return z.NEVER;
    }
    return value;
  }),
  WATCH_REGIONS: optionalText.transform((v, ctx) => {
    if (v === undefined) return undefined;
    const regions = [
      ...new Set(
        v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      ),
    ];
    const bad = regions.filter((r) => !isRegion(r));
    if (bad.length > 0 || regions.length === 0) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `WATCH_REGIONS must be a comma-separated list of AWS region names such as us-east-1,eu-west-1${bad.length > 0 ? `; not regions: ${bad.join(', ')}` : ''}`,
      });
      return z.NEVER;
    }
    return regions;
  }),
  COVERAGE_GRACE_MINUTES: numberVar('COVERAGE_GRACE_MINUTES', {
    fallback: 60,
    min: 0,
    max: 10_080,
    integer: true,
    what: 'a whole number of minutes from 0 to 10080',
  }),
  AUTO_REPAIR_COVERAGE: booleanVar('AUTO_REPAIR_COVERAGE'),
  BACKUP_ENGINE: optionalText.transform((v, ctx) => {
    const value = v ?? BACKUP_ENGINES[0];
    if (!(BACKUP_ENGINES as readonly string[]).includes(value)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `BACKUP_ENGINE must be one of ${BACKUP_ENGINES.join(', ')}, got "${value}"`,
      });
      return z.NEVER;
    }
    return value as BackupEngineName;
  }),
  NATIVE_EXPORT_ACCOUNTS: accountIds('NATIVE_EXPORT_ACCOUNTS', optionalText),
  SCHEDULE_GROUP: optionalText.refine((v) => v === undefined || SCHEDULE_GROUP_NAME.test(v), {
    message: 'SCHEDULE_GROUP must be an EventBridge Scheduler group name: 1-64 letters, digits and -_. only',
  }),
  EXPORT_SCHEDULER_ROLE: roleName('EXPORT_SCHEDULER_ROLE', 'ddb-backup-export-scheduler'),
  EXPORT_DLQ_NAME: optionalText.refine((v) => v === undefined || QUEUE_NAME.test(v), {
    message: 'EXPORT_DLQ_NAME must be an SQS standard queue name (not a URL or ARN): 1-80 letters, digits, - and _',
  }),
  EXPORT_WINDOW_MINUTES: numberVar('EXPORT_WINDOW_MINUTES', {
    fallback: 60,
    min: 0,
    max: 1440,
    integer: true,
    what: 'a whole number of minutes from 0 (no window) to 1440',
  }),
  RPO_HOURS: numberVar('RPO_HOURS', {
    fallback: 26,
    min: 1,
    max: 8760,
    what: 'a number of hours from 1 to 8760 (the recovery point objective, e.g. 26 for a nightly backup)',
  }),
  DRILL_TABLES_PER_RUN: numberVar('DRILL_TABLES_PER_RUN', {
    fallback: 3,
    min: 1,
    max: 50,
    integer: true,
    what: 'a whole number from 1 to 50 (ImportTable runs at most 50 imports at once)',
  }),
  DRILL_CADENCE: optionalText.refine((v) => v === undefined || isScheduleExpression(v), {
    message: 'DRILL_CADENCE must be an EventBridge schedule expression such as rate(7 days) or cron(0 4 ? * SUN *)',
  }),
  DRILL_DATAPIPELINE: booleanVar('DRILL_DATAPIPELINE'),
  DRILL_SAMPLE_SIZE: numberVar('DRILL_SAMPLE_SIZE', {
    fallback: 25,
    min: 0,
    max: 1000,
    integer: true,
    what: 'a whole number of items from 0 to 1000',
  }),
  DRILL_WAIT_SECONDS: numberVar('DRILL_WAIT_SECONDS', {
    fallback: 600,
    min: 0,
    max: 840,
    integer: true,
    what: 'a whole number of seconds from 0 to 840 (within the drill function’s 900 s timeout)',
  }),
});

export interface Config {
  backupBucket: string;
  backupRoleArn: string;
  backupAccountId: string;
  /** The backup-account role restore lists a table's snapshots with (and nothing else). */
  snapshotReaderRoleArn?: string;
  /** Prefix of the per-function roles in every source account: `<sourceRoleName>-<function>`. */
  sourceRoleName: string;
  /** The roles the pipelines run as in the source accounts (PIPELINE_ROLE, PIPELINE_RESOURCE_ROLE, RESTORE_RESOURCE_ROLE; the source template's defaults). */
  pipelineRoles?: PipelineRoles;
  sourceAccounts: readonly string[];
  registryTable: string;
  externalId?: string;
  backupTimeUtc: { hour: number; minute: number };
  readThroughputRatio: number;
  pipelineRegion?: string;
  /** Matched in linear time (RE2): see lib/domain/table-ref.ts. */
  tableExcludePattern?: NamePattern;
  optOutTag: string;
  lockLeaseSeconds: number;
  /** When set, every pipeline notifies this topic of a failed run (onFail SnsAlarm). */
  alarmTopicArn?: string;
  /** A topic in the function's own account and region, named rather than given as an ARN. */
  alarmTopicName?: string;
  policyLayout: PolicyLayout;
  organizationId?: string;
  /** Pace of our Data Pipeline calls per account and region (calls a second, and burst). */
  dataPipelineRate: number;
  dataPipelineBurst: number;
  /** The Data Pipeline engine's cluster instance type, master and core (PIPELINE_INSTANCE_TYPE; the definition's default when absent). */
  pipelineInstanceType?: string;
  /** The regions the coverage report lists tables in (WATCH_REGIONS); unset: the regions the registry has seen. */
  watchRegions?: readonly string[];
  /** An unprotected table younger than this is an onboarding in flight, not a finding (COVERAGE_GRACE_MINUTES). */
  coverageGraceMinutes: number;
  /** Whether the coverage report has the unprotected tables it finds onboarded (AUTO_REPAIR_COVERAGE). */
  autoRepairCoverage: boolean;
  /** The engine a table is backed up with unless its account is listed below (BACKUP_ENGINE). */
  backupEngine: BackupEngineName;
  /** Accounts that use the native export whatever BACKUP_ENGINE says (NATIVE_EXPORT_ACCOUNTS; each in SOURCE_ACCOUNTS). */
  nativeExportAccounts: readonly string[];
  /** The native engine's EventBridge Scheduler group in every source account and region (SCHEDULE_GROUP). */
  scheduleGroup: string;
  /** The role, in every source account, the export schedules run as (EXPORT_SCHEDULER_ROLE, a name). */
  exportSchedulerRole: string;
  /** The SQS queue, in every source account and region, that holds exports Scheduler could not start (EXPORT_DLQ_NAME). */
  exportDlqName: string;
  /** The schedules' flexible window in minutes (EXPORT_WINDOW_MINUTES; 0: exactly at BACKUP_TIME_UTC). */
  exportWindowMinutes: number;
  /** The recovery point objective in hours (RPO_HOURS): a protected table whose newest complete backup is older is a finding. */
  rpoHours: number;
  /** Restore drills: tables per run, the run's schedule expression, whether Data Pipeline tables are drilled (an EMR cluster each), items compared, and how long a run waits for its restores. */
  drillTablesPerRun: number;
  drillCadence: string;
  drillDataPipeline: boolean;
  drillSampleSize: number;
  drillWaitSeconds: number;
}

/** Parses the environment once; throws a ConfigError naming every missing or malformed variable. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => i.message);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = result.data;
  if (e.POLICY_LAYOUT === 'organization' && e.ORGANIZATION_ID === undefined) {
    throw new ConfigError('Invalid configuration: POLICY_LAYOUT=organization needs ORGANIZATION_ID');
  }
  const strays = e.NATIVE_EXPORT_ACCOUNTS.filter((id) => !e.SOURCE_ACCOUNTS.includes(id));
  if (strays.length > 0) {
    throw new ConfigError(
      `Invalid configuration: NATIVE_EXPORT_ACCOUNTS lists accounts not in SOURCE_ACCOUNTS: ${strays.join(', ')}`,
    );
  }
  const backupAccountId = ROLE_ARN.exec(e.BACKUP_ROLE_ARN)?.[1] as string;
  return {
    backupBucket: e.BACKUP_BUCKET,
    backupRoleArn: e.BACKUP_ROLE_ARN,
    backupAccountId,
    snapshotReaderRoleArn: e.SNAPSHOT_READER_ROLE_ARN,
    sourceRoleName: e.SOURCE_ROLE_NAME,
    pipelineRoles: {
      role: e.PIPELINE_ROLE,
      resourceRole: e.PIPELINE_RESOURCE_ROLE,
      restoreResourceRole: e.RESTORE_RESOURCE_ROLE,
    },
    sourceAccounts: e.SOURCE_ACCOUNTS,
    registryTable: e.REGISTRY_TABLE,
    externalId: e.EXTERNAL_ID,
    backupTimeUtc: e.BACKUP_TIME_UTC,
    readThroughputRatio: e.READ_THROUGHPUT_RATIO,
    pipelineRegion: e.PIPELINE_REGION,
    tableExcludePattern: e.TABLE_EXCLUDE_PATTERN,
    optOutTag: e.OPT_OUT_TAG,
    lockLeaseSeconds: e.LOCK_LEASE_SECONDS,
    alarmTopicArn: e.ALARM_TOPIC_ARN,
    alarmTopicName: e.ALARM_TOPIC_NAME,
    policyLayout: e.POLICY_LAYOUT,
    organizationId: e.ORGANIZATION_ID,
    dataPipelineRate: e.DATA_PIPELINE_RATE,
    dataPipelineBurst: e.DATA_PIPELINE_BURST,
    pipelineInstanceType: e.PIPELINE_INSTANCE_TYPE,
    watchRegions: e.WATCH_REGIONS,
    coverageGraceMinutes: e.COVERAGE_GRACE_MINUTES,
    autoRepairCoverage: e.AUTO_REPAIR_COVERAGE,
    backupEngine: e.BACKUP_ENGINE,
    nativeExportAccounts: e.NATIVE_EXPORT_ACCOUNTS,
    scheduleGroup: e.SCHEDULE_GROUP ?? 'ddb-backup-orchestrator',
    exportSchedulerRole: e.EXPORT_SCHEDULER_ROLE,
    exportDlqName: e.EXPORT_DLQ_NAME ?? 'ddb-backup-export-dlq',
    exportWindowMinutes: e.EXPORT_WINDOW_MINUTES,
    rpoHours: e.RPO_HOURS,
    drillTablesPerRun: e.DRILL_TABLES_PER_RUN,
    drillCadence: e.DRILL_CADENCE ?? 'rate(7 days)',
    drillDataPipeline: e.DRILL_DATAPIPELINE,
    drillSampleSize: e.DRILL_SAMPLE_SIZE,
    drillWaitSeconds: e.DRILL_WAIT_SECONDS,
  };
}

/** The engine that backs up a new table of `accountId`: native for the accounts NATIVE_EXPORT_ACCOUNTS lists, else BACKUP_ENGINE. */
export function engineFor(
  config: Pick<Config, 'backupEngine' | 'nativeExportAccounts'>,
  accountId: string,
): BackupEngineName {
  return config.nativeExportAccounts.includes(accountId) ? 'native' : config.backupEngine;
}

/** The orchestrator's functions, by the names serverless.yml gives them (and their roles: `<service>-<stage>-<function>`). */
export const FUNCTIONS = [
  'onboard',
  'offboard',
  'backfill',
  'restore',
  'healthCheck',
  'revoke',
  'report',
  'drill',
] as const;
export type FunctionName = (typeof FUNCTIONS)[number];
/** The functions that act in source accounts, each through a role of its own there (templates/source-account.yml). */
export const SOURCE_ROLE_FUNCTIONS = [
  'onboard',
  'offboard',
  'backfill',
  'restore',
  'healthCheck',
  'report',
  'drill',
] as const satisfies readonly FunctionName[];
export type SourceRoleFunction = (typeof SOURCE_ROLE_FUNCTIONS)[number];

export function hasSourceRole(fn: FunctionName): fn is SourceRoleFunction {
  return (SOURCE_ROLE_FUNCTIONS as readonly string[]).includes(fn);
}

/** The role function `fn` assumes in a source account: `<SOURCE_ROLE_NAME>-<fn>`, the only one of them its own role may assume. */
export function sourceRoleArn(
  config: Pick<Config, 'sourceRoleName'>,
  accountId: string,
  fn: SourceRoleFunction,
): string {
  return `arn:aws:iam::${accountId}:role/${config.sourceRoleName}-${fn}`;
}

/**
 * The session name a function's assumed roles carry, which the other account's CloudTrail records as who acted:
 * `ddb-backup-<function>`, and `ddb-backup-<function>-<requestId>` inside an invocation. STS allows 2-64 characters
 * of letters, digits and +=,.@_-; anything else in the request id becomes `-`, and the name is cut at 64.
 */
export function roleSessionName(fn: FunctionName, requestId?: string): string {
  const base = `ddb-backup-${fn}`;
  if (requestId === undefined || requestId === '') return base;
  return `${base}-${requestId.replace(/[^\w+=,.@-]/g, '-')}`.slice(0, 64);
}

/**
 * The alarm topic's ARN: ALARM_TOPIC_ARN as given, or ALARM_TOPIC_NAME in the account and region
 * of the running function (read from its own ARN, so that the stack need not put a
 * CloudFormation reference in the environment, which `sls invoke local` cannot resolve).
 */
export function withAlarmTopic(config: Config, invokedFunctionArn: string | undefined): Config {
  if (config.alarmTopicArn !== undefined || config.alarmTopicName === undefined || invokedFunctionArn === undefined)
    return config;
  const [, partition, , region, account] = invokedFunctionArn.split(':');
  if (partition === undefined || region === undefined || account === undefined || !ACCOUNT_ID.test(account))
    return config;
  return { ...config, alarmTopicArn: `arn:${partition}:sns:${region}:${account}:${config.alarmTopicName}` };
}
