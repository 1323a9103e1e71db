import type { Registry } from '../adapters/registry';
import type { Config } from '../config';
import { tableKey, type TableRef } from '../domain/table-ref';
import type { PipelineApi } from '../engine/datapipeline/api';
import { errorFields, MetricName, type Telemetry } from '../observability';
import { type Ignored, intake } from './intake';
import { claimTableWithWait, type LockOptions } from './lock';

export interface OffboardDeps {
  config: Config;
  registry: Registry;
  pipelines: (accountId: string, region: string) => PipelineApi;
  telemetry: Telemetry;
  lock: LockOptions;
  newOwnerId: () => string;
}

export type OffboardResult =
  | Ignored
  | {
      outcome: 'offboarded' | 'not-onboarded' | 'already-offboarded';
      table: TableRef;
      pipelineId?: string;
      /** What happened to the pipeline's deactivation (Data Pipeline, or an emulator, may not support it). */
      deactivation?: 'done' | 'failed';
    };

const GONE = new Set(['PipelineNotFoundException', 'PipelineDeletedException']);

/** Entry point of the offboard function (DeleteTable via EventBridge). */
export async function offboardFromEvent(deps: OffboardDeps, event: unknown): Promise<OffboardResult> {
  const taken = intake(deps.telemetry, event, 'DeleteTable');
  if (!('event' in taken)) return taken;
  const { event: e, ignore } = taken;
  if (!deps.config.sourceAccounts.includes(e.table.accountId)) {
    return ignore('AccountNotAllowed', `account ${e.table.accountId} is not in SOURCE_ACCOUNTS`);
  }
  return offboardTable(deps, e.table, e.eventTime);
}

/**
 * Stops and deletes the table's pipeline and marks the registry. Keeps every backup object and
 * the account's bucket grant (restores need them). Records the DeleteTable time even for a
 * table never onboarded, so that a CreateTable delivered late (older than the delete) is
 * recognised as stale instead of bringing a deleted table under backup.
 */
export async function offboardTable(deps: OffboardDeps, table: TableRef, eventTime?: string): Promise<OffboardResult> {
  const { registry, lock, telemetry } = deps;
  const owner = deps.newOwnerId();
  const claim = await claimTableWithWait(registry, table, owner, lock, { evenIfActive: true });
  if (!claim.claimed) throw new Error('unreachable: a claim that may not stop early returned unclaimed');
  const record = claim.record;

  const deletedEventTime = [record.deletedEventTime, eventTime].filter((t): t is string => t !== undefined).sort().pop();
  const now = new Date(lock.now()).toISOString();
  try {
    if (record.status === 'OFFBOARDED' || record.pipelineId === undefined) {
      const outcome = record.status === 'OFFBOARDED' ? 'already-offboarded' : 'not-onboarded';
      await registry.updateClaimed(table, owner, { status: 'OFFBOARDED', deletedEventTime, offboardedAt: record.offboardedAt ?? now }, { release: true });
      telemetry.info(outcome === 'already-offboarded' ? 'table already offboarded: nothing to do' : 'table was never onboarded: nothing to do', {
        table: tableKey(table),
      });
      return { outcome, table };
    }

    const api = deps.pipelines(table.accountId, record.pipelineRegion ?? table.region);
    const pipelineId = record.pipelineId;
    let deactivation: 'done' | 'failed' = 'done';
    try {
      await api.deactivate(pipelineId);
    } catch (e) {
      // Deletion stops the pipeline anyway; deactivation first only lets a running export be cancelled cleanly.
      if (!GONE.has((e as Error).name)) {
        deactivation = 'failed';
        telemetry.warn('DeactivatePipeline failed; deleting the pipeline anyway', { pipelineId, ...errorFields(e) });
      }
    }
    try {
      await api.delete(pipelineId);
    } catch (e) {
      if (!GONE.has((e as Error).name)) throw e;
    }
    await registry.updateClaimed(
      table,
      owner,
      { status: 'OFFBOARDED', offboardedAt: now, deletedEventTime },
      { release: true, remove: ['lastError'] },
    );
    telemetry.count(MetricName.TableOffboarded);
    telemetry.info('table offboarded', { table: tableKey(table), pipelineId, deactivation });
    return { outcome: 'offboarded', table, pipelineId, deactivation };
  } catch (e) {
    // Logged and counted (OffboardFailed) by the handler.
    await registry.updateClaimed(table, owner, { lastError: errorFields(e).errorMessage as string }, { release: true }).catch(() => undefined);
    throw e;
  }
}
