import { z } from 'zod';
import type { Config } from '../config';
import { tablePrefix } from '../domain/layout';
import type { TableRecord } from '../domain/lifecycle';
import { isRegion } from '../domain/regions';
import { SNAPSHOT_NAME, type Snapshot } from '../domain/snapshots';
import { ACCOUNT_ID, type KeyAttribute, TABLE_NAME, type TableRef, tableArn } from '../domain/table-ref';
import { PRODUCT_NAME, TAG_MANAGED_BY, TAG_RESTORED_FROM } from '../domain/tags';
import { InvalidEventError, RestoreRefusedError } from '../errors';
import type { Telemetry } from '../observability';
import type { BackupEngine } from '../ports/backup-engine';
import type { BackupBucket } from '../ports/bucket-policy-store';
import type { SourceTables, SourceTablesOf } from '../ports/source-tables';
import type { TableRegistry } from '../ports/table-registry';

export { RestoreRefusedError };

/** A native export's id (AWS: `01695353076000-06e2188f`); a snapshot is named by its run folder or by its export id. */
const EXPORT_ID = /^(?=[^-]*\d)[0-9A-Za-z][0-9A-Za-z-]{7,63}$/;

export interface RestoreDeps {
  config: Config;
  registry: TableRegistry;
  backupBucket: BackupBucket;
  sourceTables: SourceTablesOf;
  engine: BackupEngine;
  telemetry: Telemetry;
}

const tableName = (field: string) =>
  z
    .string({ required_error: `${field} is required` })
    .regex(TABLE_NAME, `${field} is not a valid DynamoDB table name (3-255 characters of a-z A-Z 0-9 _ - .)`);
/** The target as a name, or as the table's ARN (which must then name the same account and region). */
const TABLE_ARN = /^arn:aws[a-z-]*:dynamodb:([a-z0-9-]+):(\d{12}):table\/([a-zA-Z0-9_.-]{3,255})$/;
const targetTable = z
  .string({ required_error: 'targetTable is required' })
  .refine(
    (v) => TABLE_NAME.test(v) || TABLE_ARN.test(v),
    'targetTable is not a valid DynamoDB table name (3-255 characters of a-z A-Z 0-9 _ - .) or table ARN',
  );
const where = {
  account: z
    .string({ required_error: 'account is required' })
    .regex(ACCOUNT_ID, 'account must be a 12-digit account id'),
  region: z.string({ required_error: 'region is required' }).refine(isRegion, 'region is not an AWS region name'),
  table: tableName('table'),
};
const schema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('list'), ...where }).strict(),
  z
    .object({
      action: z.literal('restore'),
      ...where,
      snapshot: z
        .string({ required_error: 'snapshot is required (a name from "list")' })
        .refine(
          (v) => SNAPSHOT_NAME.test(v) || EXPORT_ID.test(v),
          'snapshot must be a run folder name such as 2026-11-26-03-00-00, or an export id from "list"',
        ),
      targetTable,
      /** Who the operator says they are: recorded beside what Lambda says, never instead of it. */
      requestedBy: z
        .string({ invalid_type_error: 'requestedBy must be text' })
        .trim()
        .min(1, 'requestedBy is empty')
        .max(256, 'requestedBy is longer than 256 characters')
        .optional(),
    })
    .strict(),
]);
export type RestoreInput = z.infer<typeof schema>;

function parseRestoreInput(input: unknown, allowedAccounts: readonly string[]): RestoreInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidEventError(
      'restore input must be a JSON object such as {"action":"list","account":"…","region":"…","table":"…"}',
    );
  }
  if ('force' in input && (input as { action?: unknown }).action === 'restore') {
    throw new InvalidEventError(
      'invalid restore input: "force" is no longer accepted: a restore never writes into a table that holds items (restore into a new table)',
    );
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      if (i.code === 'invalid_union_discriminator') return 'action must be "list" or "restore"';
      if (i.code === 'unrecognized_keys') return `unknown field(s) ${i.keys.join(', ')}`;
      return i.message;
    });
    throw new InvalidEventError(`invalid restore input: ${problems.join('; ')}`);
  }
  if (!allowedAccounts.includes(parsed.data.account)) {
    throw new InvalidEventError(`invalid restore input: account ${parsed.data.account} is not in SOURCE_ACCOUNTS`);
  }
  const data = parsed.data;
  if (data.action === 'list') return data;
  const arn = TABLE_ARN.exec(data.targetTable);
  if (arn !== null && (arn[1] !== data.region || arn[2] !== data.account)) {
    throw new RestoreRefusedError(
      `targetTable ${data.targetTable} is not in ${data.account}/${data.region}: a restore writes into the source table's account and region only`,
    );
  }
  const target = arn === null ? data.targetTable : (arn[3] as string);
  // Table names are case-sensitive, but a target that differs from the source only in case is a slip, not a plan.
  if (target.toLowerCase() === data.table.toLowerCase()) {
    throw new RestoreRefusedError(
      `targetTable ${data.targetTable} is the source table ${data.table}: a restore never writes into the table it restores; choose a new table name`,
    );
  }
  return { ...data, targetTable: target };
}

/**
 * Who asked for a restore. Lambda gives a function no IAM identity of its caller: `context.identity` is set only for
 * invocations through the mobile SDKs with Amazon Cognito, `context.clientContext` only when the caller sent one.
 * For `sls invoke` (the Invoke API with IAM credentials) neither is set; CloudTrail then holds who called, in the
 * Lambda `Invoke` data event (when a trail records Lambda data events), found by the request id.
 */
export interface Requester {
  /** The invocation's request id (context.awsRequestId). */
  requestId: string;
  /** context.identity.cognitoIdentityId, when Lambda gives one. */
  cognitoIdentityId?: string;
  /** context.clientContext.client.app_title, when the caller sent a client context. */
  clientApp?: string;
  /** The request's own `requestedBy`: what the caller says, not verified. */
  claimed?: string;
}

export type RestoreResult =
  | { action: 'list'; table: string; snapshots: Snapshot[]; incomplete: string[] }
  | {
      action: 'restore';
      source: string;
      snapshot: string;
      targetTable: string;
      /** Whether this call created the target table. */
      targetCreated: boolean;
      /** The engine's restore resource (Data Pipeline: the import pipeline) and its region. */
      pipelineId: string;
      pipelineRegion: string;
      /** True when the same restore (same target, same snapshot) had been started before: nothing was done. */
      alreadyStarted: boolean;
      /** The restore's state, when its engine tells one (native: the import's status, e.g. IN_PROGRESS). */
      state?: string;
      /** Who asked for this call (see Requester). */
      requestedBy: Requester;
    };

/**
 * `sls invoke -f restore --data '{…}'`: list a table's snapshots, or restore one into a table.
 * A restore is idempotent: the same request again (same target table, same snapshot) returns the
 * restore already started, and resumes one whose attempt died before starting it. A different
 * request for a target table another restore may still be writing into is refused.
 * A restore never writes into its source table, nor into a table that holds items; an existing empty
 * table is first tagged as the product's (the import's resource role writes only tables so tagged).
 */
export async function restore(
  deps: RestoreDeps,
  raw: unknown,
  requester: Omit<Requester, 'claimed'> = { requestId: 'none' },
): Promise<RestoreResult> {
  const { config, engine } = deps;
  const claimed =
    typeof raw === 'object' && raw !== null && typeof (raw as { requestedBy?: unknown }).requestedBy === 'string'
      ? (raw as { requestedBy: string }).requestedBy
      : undefined;
  const requestedBy: Requester = { ...requester, ...(claimed === undefined ? {} : { claimed }) };
  let input: RestoreInput;
  try {
    input = parseRestoreInput(raw, config.sourceAccounts);
  } catch (e) {
    if (e instanceof RestoreRefusedError) deps.telemetry.warn('restore refused', { requestedBy, reason: e.message });
    throw e;
  }
  const source: TableRef = {
    accountId: input.account,
    region: input.region,
    tableName: input.table,
    tableArn: tableArn(input.region, input.account, input.table),
  };
  // The engine that backed the table up reads its snapshots: the record names it (a router picks by it).
  const record = await deps.registry.getTable(source);
  const listing = await engine.snapshots({
    bucket: config.backupBucket,
    table: source,
    record,
    keys: () => deps.backupBucket.listKeys(tablePrefix(source)),
  });
  if (input.action === 'list') {
    return { action: 'list', table: source.tableArn, snapshots: listing.snapshots, incomplete: listing.incomplete };
  }

  const refuse = (reason: string): never => {
    deps.telemetry.warn('restore refused', { requestedBy, reason });
    throw new RestoreRefusedError(reason);
  };
  const snapshot = listing.snapshots.find((s) => s.snapshot === input.snapshot);
  if (snapshot === undefined) {
    const folder = SNAPSHOT_NAME.test(input.snapshot);
    const why = listing.incomplete.includes(input.snapshot)
      ? folder
        ? 'its run folder has no manifest (the export did not finish)'
        : 'its export has not COMPLETED'
      : folder
        ? 'there is no such run folder'
        : 'there is no such export of the table';
    return refuse(`snapshot ${input.snapshot} of ${source.tableArn} cannot be restored: ${why}`);
  }
  const target: TableRef = {
    ...source,
    tableName: input.targetTable,
    tableArn: tableArn(input.region, input.account, input.targetTable),
  };
  let prepared: ReturnType<typeof engine.prepareRestore>;
  try {
    // Offline: a region without the engine, an invalid definition, a table shape the engine cannot recreate.
    prepared = engine.prepareRestore({ source, target, snapshot, record, bucket: deps.backupBucket }, config);
  } catch (e) {
    if (e instanceof RestoreRefusedError) return refuse(e.message);
    throw e;
  }
  const started = (
    pipelineId: string,
    targetCreated: boolean,
    alreadyStarted: boolean,
    state: string | undefined,
  ): RestoreResult => ({
    action: 'restore',
    source: source.tableArn,
    snapshot: input.snapshot,
    targetTable: target.tableArn,
    targetCreated,
    pipelineId,
    pipelineRegion: prepared.region,
    alreadyStarted,
    ...(state === undefined ? {} : { state }),
    requestedBy,
  });

  // Before looking at the target: the restore started earlier has created it, and may be filling it.
  const earlier = await prepared.find();
  if (earlier.kind === 'started') {
    deps.telemetry.info('restore already started', {
      source: source.tableArn,
      snapshot: input.snapshot,
      target: target.tableArn,
      pipelineId: earlier.resourceId,
      requestedBy,
    });
    return started(earlier.resourceId, false, true, earlier.state);
  }
  if (earlier.kind === 'other') {
    return refuse(`table ${input.targetTable} is already being restored ${earlier.description}`);
  }

  const tables = deps.sourceTables(input.account, input.region);
  const existing = await tables.describe(input.targetTable);
  if (prepared.createsTarget === true) {
    // ImportTable always creates its table: the target must be a name no table has.
    if (existing !== undefined)
      return refuse(
        `table ${input.targetTable} exists: this restore (ImportTable) creates its target table itself; restore into a new table name`,
      );
    const resourceId = await prepared.start(earlier.kind === 'unfinished' ? earlier.resourceId : undefined);
    const state = await prepared.state?.(resourceId);
    deps.telemetry.info('restore started', {
      source: source.tableArn,
      snapshot: input.snapshot,
      target: target.tableArn,
      pipelineId: resourceId,
      state,
      targetCreated: true,
      requestedBy,
    });
    return started(resourceId, true, false, state);
  }
  if (existing !== undefined && (await tables.hasItems(input.targetTable))) {
    return refuse(
      `table ${input.targetTable} exists and holds items: a restore never writes into a table that holds items; restore into a new table`,
    );
  }
  const tags = { [TAG_MANAGED_BY]: PRODUCT_NAME, [TAG_RESTORED_FROM]: `${input.table}@${input.snapshot}` };
  const keySchema = existing === undefined ? await keySchemaOf(record, source, tables) : existing.keySchema;
  // The import's resource role writes only tables tagged as the product's: a new target is created with the tags,
  // an existing empty one is tagged before the import starts.
  if (existing === undefined) await tables.create(input.targetTable, keySchema, tags);
  else await tables.tag(target.tableArn, tags);

  const pipelineId = await prepared.start(earlier.kind === 'unfinished' ? earlier.resourceId : undefined);
  deps.telemetry.info('restore started', {
    source: source.tableArn,
    snapshot: input.snapshot,
    target: target.tableArn,
    pipelineId,
    targetCreated: existing === undefined,
    requestedBy,
  });
  return started(pipelineId, existing === undefined, false, undefined);
}

/** The source table's key schema: from the registry (kept from its CreateTable), else DescribeTable. */
async function keySchemaOf(
  record: TableRecord | undefined,
  source: TableRef,
  tables: SourceTables,
): Promise<KeyAttribute[]> {
  if (record?.keySchema !== undefined && record.keySchema.length > 0) return record.keySchema;
  const described = await tables.describe(source.tableName);
  if (described !== undefined && described.keySchema.length > 0) return described.keySchema;
  throw new RestoreRefusedError(
    `the key schema of ${source.tableArn} is unknown: the table no longer exists and the registry holds no copy of it`,
  );
}
