import type { BucketPolicyStore } from '../adapters/bucket-policy';
import type { Registry, TableRecord } from '../adapters/registry';
import type { Config } from '../config';
import { tableOutputUri } from '../domain/layout';
import { requirePipelineRegion } from '../domain/regions';
import { nextRunStart } from '../domain/schedule';
import { selectTable } from '../domain/selection';
import { type KeyAttribute, tableKey, type TableRef } from '../domain/table-ref';
import type { PipelineApi } from '../engine/datapipeline/api';
import { buildExportDefinition } from '../engine/datapipeline/definition';
import { assertValidDefinition, provisionExportPipeline } from '../engine/datapipeline/provision';
import { ActivationFailedError } from '../errors';
import { errorFields, MetricName, type Telemetry } from '../observability';
import { type GrantResult, ensureGrant } from './grant';
import { type Ignored, intake } from './intake';
import { claimTableWithWait, type LockOptions } from './lock';

export interface OnboardDeps {
  config: Config;
  registry: Registry;
  pipelines: (accountId: string, region: string) => PipelineApi;
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
  return onboardTable(deps, e.table, { eventTime: e.eventTime, eventId: e.eventId, keySchema: e.keySchema });
}

/**
 * Brings one table under backup: its export pipeline (source account) and its account's grant
 * in the bucket policy (backup account), in parallel. Both are idempotent; a failure of either
 * fails the call so that it is retried, after the other has finished.
 */
export async function onboardTable(
  deps: OnboardDeps,
  table: TableRef,
  event: { eventTime?: string; eventId?: string; keySchema?: KeyAttribute[] } = {},
): Promise<OnboardResult> {
  const { config, telemetry } = deps;
  const pipelineRegion = requirePipelineRegion(table.region, config.pipelineRegion);
  const definition = buildExportDefinition({
    table,
    bucket: config.backupBucket,
    readThroughputRatio: config.readThroughputRatio,
    startDateTime: nextRunStart(new Date(deps.lock.now()), config.backupTimeUtc),
    alarmTopicArn: config.alarmTopicArn,
  });
  assertValidDefinition(definition);

  const [pipeline, grant] = await Promise.allSettled([
    ensurePipeline(deps, table, pipelineRegion, definition, event.eventTime, event.keySchema),
    ensureGrant(
      {
        bucket: config.backupBucket,
        layout: config.policyLayout,
        organizationId: config.organizationId,
        registry: deps.registry,
        policy: deps.policy,
        lock: deps.lock,
        newOwnerId: deps.newOwnerId,
      },
      table.accountId,
    ),
  ]);
  const context = { table: tableKey(table), pipelineRegion };
  if (grant.status === 'rejected') {
    telemetry.count(MetricName.PolicyFailed);
    // The error thrown is reported by the caller (the handler's middleware, or backfill's summary); this one only when it is not the one thrown.
    if (pipeline.status === 'rejected') telemetry.error('bucket policy update failed', { ...context, ...errorFields(grant.reason) });
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
    const message = `CreateTable of ${table.tableArn} at ${event.eventTime} is older than its DeleteTable at ${pipeline.value.stale}`;
    telemetry.count(MetricName.EventIgnored, { Reason: 'StaleEvent' });
    telemetry.warn(`ignored event: ${message}`, context);
    return { outcome: 'ignored', reason: 'StaleEvent', message, eventId: event.eventId ?? '' };
  }
  const { record, created } = pipeline.value;
  const outcome = record.already ? 'already-onboarded' : 'onboarded';
  telemetry.count(record.already ? MetricName.TableAlreadyOnboarded : MetricName.TableOnboarded);
  telemetry.info(`table ${outcome}`, { ...context, pipelineId: record.pipelineId, pipelineCreated: created });
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

interface EnsuredPipeline {
  record: { pipelineId: string; pipelineRegion: string; already: boolean };
  created: boolean;
  /** Set (to the DeleteTable time) when the table was deleted after this CreateTable: nothing was done. */
  stale?: string;
}

async function ensurePipeline(
  deps: OnboardDeps,
  table: TableRef,
  pipelineRegion: string,
  definition: Parameters<typeof provisionExportPipeline>[0]['definition'],
  eventTime: string | undefined,
  keySchema: KeyAttribute[] | undefined,
): Promise<EnsuredPipeline> {
  const { registry, lock } = deps;
  const owner = deps.newOwnerId();
  const api = deps.pipelines(table.accountId, pipelineRegion);
  const warming = api.warm(); // the source role's credentials, fetched while the table is claimed
  warming.catch(() => undefined); // awaited below; a failure surfaces there
  const claim = await claimTableWithWait(registry, table, owner, lock, { stopWhen: (r) => r.status === 'ACTIVE' && r.pipelineId !== undefined });
  if (!claim.claimed) {
    const existing = claim.record as TableRecord;
    return {
      record: { pipelineId: existing.pipelineId as string, pipelineRegion: existing.pipelineRegion ?? pipelineRegion, already: true },
      created: false,
    };
  }
  const record = claim.record;
  const deletedAt = record.deletedEventTime;
  if (record.status === 'OFFBOARDED' && eventTime !== undefined && deletedAt !== undefined && eventTime <= deletedAt) {
    await registry.updateClaimed(table, owner, {}, { release: true });
    return { record: { pipelineId: '', pipelineRegion, already: false }, created: false, stale: deletedAt };
  }
  const save = (fields: Partial<TableRecord>) => registry.updateClaimed(table, owner, { ...fields, keySchema });
  // ACTIVE, with the lease expired rather than removed: duplicates see ACTIVE and stop, while the
  // lease owner stays recorded so that a failed activation can still overwrite the mark.
  const markActive = (pipelineId: string) =>
    registry.updateClaimed(
      table,
      owner,
      { status: 'ACTIVE', activatedAt: new Date(lock.now()).toISOString(), pipelineId },
      { expireLease: true, remove: ['lastError'] },
    );
  try {
    await warming;
    const result = await provisionExportPipeline({ table, record, pipelineRegion, definition, api, save, markActive });
    if (result.warnings.length > 0) deps.telemetry.warn('Data Pipeline reported warnings', { warnings: result.warnings });
    return { record: { pipelineId: result.pipelineId, pipelineRegion, already: false }, created: result.created };
  } catch (e) {
    const status = e instanceof ActivationFailedError ? 'ACTIVATION_FAILED' : undefined;
    // Best effort: release the lease at once so the retry need not wait for it to expire.
    await registry
      .updateClaimed(table, owner, { status, lastError: errorFields(e).errorMessage as string }, { release: true })
      .catch(() => undefined);
    throw e;
  }
}
