import { type Config, engineFor } from '../config';
import { tableOutputUri } from '../domain/layout';
import {
  type Incarnation,
  isReborn,
  judgeCreate,
  ONBOARDING_CLAIMS,
  type RecordFields,
  step,
  type TableRecord,
  transition,
} from '../domain/lifecycle';
import { selectTable } from '../domain/selection';
import { type KeyAttribute, type TableRef, tableKey } from '../domain/table-ref';
import { ActivationFailedError, LockBusyError } from '../errors';
import { errorFields, MetricName, type Telemetry } from '../observability';
import type { BackupEngine, ClaimedTable, PreparedBackup } from '../ports/backup-engine';
import type { BucketPolicyStore } from '../ports/bucket-policy-store';
import type { GrantCatalog } from '../ports/grant-catalog';
import type { TableRegistry } from '../ports/table-registry';
import { ensureGrant, type GrantResult, grantDepsFrom } from './grant';
import { type Ignored, intake } from './intake';
import { claimTableWithWait, type LockOptions } from './lock';

export interface OnboardDeps {
  config: Config;
  registry: TableRegistry;
  grants: GrantCatalog;
  engine: BackupEngine;
  policy: BucketPolicyStore;
  telemetry: Telemetry;
  lock: LockOptions;
  newOwnerId: () => string;
}

export type OnboardResult =
  | Ignored
  | {
      outcome: 'onboarded' | 'already-onboarded';
      table: TableRef;
      pipelineId: string;
      pipelineRegion: string;
      outputLocation: string;
      pipelineCreated: boolean;
      grant: GrantResult;
    };

/** Entry point of the onboard function: one EventBridge event in, one result out. */
export async function onboardFromEvent(deps: OnboardDeps, event: unknown): Promise<OnboardResult> {
  const taken = intake(deps.telemetry, event, 'CreateTable');
  if (!('event' in taken)) return taken;
  const { event: e, ignore } = taken;
  const skip = selectTable(e.table, e.tags, deps.config);
  if (skip !== undefined) return ignore(skip.reason, skip.message);
  return onboardTable(deps, e.table, {
    eventTime: e.eventTime,
    eventId: e.eventId,
    keySchema: e.keySchema,
    tableId: e.tableId,
  });
}

/**
 * Brings one table under backup: its backup resource made by the engine (source account) and
 * its account's grant in the bucket policy (backup account), in parallel. Both are idempotent; a
 * failure of either fails the call so that it is retried, after the other has finished. The
 * result names the engine's resource `pipelineId` / `pipelineRegion` (the function's output).
 */
export async function onboardTable(
  deps: OnboardDeps,
  table: TableRef,
  event: { eventTime?: string; eventId?: string; keySchema?: KeyAttribute[]; tableId?: string } = {},
): Promise<OnboardResult> {
  const { config, telemetry } = deps;
  // Offline checks first (a region the engine cannot serve, an invalid definition): nothing is written.
  const prepared = deps.engine.prepare(table, config, new Date(deps.lock.now()));
  const pipelineRegion = prepared.region;

  const [pipeline, grant] = await Promise.allSettled([
    ensureBackup(deps, table, prepared, { tableId: event.tableId, eventTime: event.eventTime }, event.keySchema),
    // The grant of the engine that backs up the account's new tables (a resource an earlier engine left half-made is
    // completed by that engine, whose grant the account already holds from that earlier attempt).
    ensureGrant(grantDepsFrom(config, deps), table.accountId, engineFor(config, table.accountId)),
  ]);
  const context = { table: tableKey(table), pipelineRegion };
  if (grant.status === 'rejected') {
    telemetry.count(MetricName.PolicyFailed);
    // The error thrown is reported by the caller (the handler's middleware, or backfill's summary); this one only when it is not the one thrown.
    if (pipeline.status === 'rejected')
      telemetry.error('bucket policy update failed', { ...context, ...errorFields(grant.reason) });
  } else if (grant.value.policyWritten) {
    telemetry.count(MetricName.PolicyUpdated);
    telemetry.info('bucket policy updated', {
      ...context,
      layout: grant.value.layout,
      statements: grant.value.statementsWritten,
      removed: grant.value.statementsRemoved,
      policyBytes: grant.value.policyBytes,
    });
  }
  if (pipeline.status === 'rejected') {
    if (pipeline.reason instanceof ActivationFailedError) telemetry.count(MetricName.ActivationFailed);
    throw pipeline.reason;
  }
  if (grant.status === 'rejected') throw grant.reason;
  if (pipeline.value.stale !== undefined) {
    const message = `CreateTable of ${table.tableArn} ${pipeline.value.stale}`;
    telemetry.count(MetricName.EventIgnored, { Reason: 'StaleEvent' });
    telemetry.warn(`ignored event: ${message}`, context);
    return { outcome: 'ignored', reason: 'StaleEvent', message, eventId: event.eventId ?? '' };
  }
  const { record, created, recreated } = pipeline.value;
  const outcome = record.already ? 'already-onboarded' : 'onboarded';
  telemetry.count(record.already ? MetricName.TableAlreadyOnboarded : MetricName.TableOnboarded);
  telemetry.info(
    recreated
      ? 'table created again: the registry holds its new incarnation, its backup resource stays'
      : `table ${outcome}`,
    {
      ...context,
      pipelineId: record.pipelineId,
      pipelineCreated: created,
      tableId: event.tableId,
    },
  );
  return {
    outcome,
    table,
    pipelineId: record.pipelineId,
    pipelineRegion: record.pipelineRegion,
    outputLocation: tableOutputUri(config.backupBucket, table),
    pipelineCreated: created,
    grant: grant.value,
  };
}

interface EnsuredBackup {
  record: { pipelineId: string; pipelineRegion: string; already: boolean };
  created: boolean;
  /** Set (to why, after the table's ARN) when this CreateTable is of an incarnation deleted or older than the record's: nothing was done. */
  stale?: string;
  /** A newer incarnation of a table already backed up: the record took its tableId. */
  recreated?: boolean;
}

/** Why a CreateTable judged stale is, in words (after "CreateTable of <arn> "). */
function staleReason(record: TableRecord, e: Incarnation): string {
  if (record.status === 'OFFBOARDED') {
    if (record.tableId !== undefined && e.tableId === record.tableId) {
      return `(tableId ${e.tableId}) is of the incarnation deleted at ${record.deletedEventTime ?? 'an unknown time'}`;
    }
    return `at ${e.eventTime} is older than its DeleteTable at ${record.deletedEventTime}`;
  }
  return `at ${e.eventTime} (tableId ${e.tableId}) is older than the incarnation the registry holds (tableId ${record.tableId}, created at ${record.createdEventTime})`;
}

async function ensureBackup(
  deps: OnboardDeps,
  table: TableRef,
  prepared: PreparedBackup,
  incarnation: Incarnation,
  keySchema: KeyAttribute[] | undefined,
): Promise<EnsuredBackup> {
  const { registry, lock } = deps;
  const owner = deps.newOwnerId();
  const pipelineRegion = prepared.region;
  const warming = prepared.warm(); // the source role's credentials, fetched while the table is claimed
  warming.catch(() => undefined); // awaited below; a failure surfaces there
  const claim = await claimTableWithWait(registry, table, owner, lock, {
    statuses: ONBOARDING_CLAIMS,
    stopWhen: (r) => r.status === 'ACTIVE' && r.pipelineId !== undefined,
  });
  if (!claim.claimed) {
    const existing = claim.record as TableRecord;
    const judged = judgeCreate(existing, incarnation);
    if (judged === 'stale') {
      transition(existing.status, 'staleCreate');
      return {
        record: { pipelineId: '', pipelineRegion, already: false },
        created: false,
        stale: staleReason(existing, incarnation),
      };
    }
    const already = {
      record: {
        pipelineId: existing.pipelineId as string,
        pipelineRegion: existing.pipelineRegion ?? pipelineRegion,
        already: true,
      },
      created: false,
    };
    if (judged === 'newer')
      return { ...already, recreated: await adoptIncarnation(deps, table, incarnation, keySchema) };
    transition(existing.status, 'duplicateCreate');
    return already;
  }
  const record = claim.record;
  if (judgeCreate(record, incarnation) === 'stale') {
    transition(record.status, 'staleCreate');
    await registry.updateClaimed(table, owner, {}, { release: true });
    return {
      record: { pipelineId: '', pipelineRegion, already: false },
      created: false,
      stale: staleReason(record, incarnation),
    };
  }
  // The incarnation this onboarding backs up. A table onboarded again without one (backfill) drops the deleted one's.
  const incarnationFields: RecordFields = { tableId: incarnation.tableId, createdEventTime: incarnation.eventTime };
  const dropOld: (keyof RecordFields)[] =
    incarnation.tableId === undefined && isReborn(record) ? ['tableId', 'createdEventTime'] : [];
  const claimed: ClaimedTable = {
    record,
    recordCreated: (fields: RecordFields) =>
      registry.updateClaimed(
        table,
        owner,
        { ...fields, keySchema, ...incarnationFields },
        { transition: step(isReborn(record) ? 'reonboarded' : 'backupCreated'), remove: dropOld },
      ),
    note: (fields) => registry.updateClaimed(table, owner, fields),
    // ACTIVE, with the lease expired rather than removed: duplicates see ACTIVE and stop, while the
    // lease owner stays recorded so that a failed activation can still overwrite the mark.
    markActive: (pipelineId) =>
      registry.updateClaimed(
        table,
        owner,
        { activatedAt: new Date(lock.now()).toISOString(), pipelineId, ...incarnationFields },
        { transition: step('activated'), expireLease: true, remove: ['lastError'] },
      ),
  };
  try {
    await warming;
    const result = await prepared.ensure(claimed, deps.telemetry);
    return { record: { pipelineId: result.resourceId, pipelineRegion, already: false }, created: result.created };
  } catch (e) {
    const failed = e instanceof ActivationFailedError ? step('activationFailed') : undefined;
    // Best effort: release the lease at once so the retry need not wait for it to expire.
    await registry
      .updateClaimed(
        table,
        owner,
        { lastError: errorFields(e).errorMessage as string },
        { transition: failed, release: true },
      )
      .catch(() => undefined);
    throw e;
  }
}

/**
 * A CreateTable of a newer incarnation of a table the registry holds ACTIVE: the table was deleted
 * and created again, and its DeleteTable has not arrived (or was lost). The backup resource names
 * the table, not the incarnation, so it stays; the record takes the new tableId, so that the old
 * incarnation's DeleteTable, when it comes, is recognised as stale instead of removing it.
 * Returns whether this call wrote it (false when another delivery did first).
 */
async function adoptIncarnation(
  deps: OnboardDeps,
  table: TableRef,
  incarnation: Incarnation,
  keySchema: KeyAttribute[] | undefined,
): Promise<boolean> {
  const owner = deps.newOwnerId();
  const claim = await claimTableWithWait(deps.registry, table, owner, deps.lock, {
    statuses: ['ACTIVE'],
    stopWhen: (r) => r.status !== 'ACTIVE' || judgeCreate(r, incarnation) !== 'newer',
  });
  if (!claim.claimed) {
    if (claim.record?.status === 'ACTIVE') return false; // another delivery recorded it first
    // Offboarded (or being onboarded again) meanwhile: the retry takes the table from where it is now.
    throw new LockBusyError(
      `table ${tableKey(table)} moved to ${claim.record?.status} while its new incarnation was being recorded`,
    );
  }
  if (judgeCreate(claim.record, incarnation) !== 'newer') {
    await deps.registry.updateClaimed(table, owner, {}, { release: true });
    return false;
  }
  transition(claim.record.status, 'recreated');
  await deps.registry.updateClaimed(
    table,
    owner,
    { tableId: incarnation.tableId, createdEventTime: incarnation.eventTime, keySchema },
    { transition: step('recreated'), release: true },
  );
  return true;
}
