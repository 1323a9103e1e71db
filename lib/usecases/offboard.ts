import type { Config } from '../config';
import { judgeDelete, laterTime, step, transition } from '../domain/lifecycle';
import { type TableRef, tableKey } from '../domain/table-ref';
import { errorFields, MetricName, type Telemetry } from '../observability';
import type { BackupEngine } from '../ports/backup-engine';
import type { TableRegistry } from '../ports/table-registry';
import { type Ignored, intake } from './intake';
import { claimTableWithWait, type LockOptions } from './lock';

export interface OffboardDeps {
  config: Config;
  registry: TableRegistry;
  engine: BackupEngine;
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
      /** What happened to the backup resource's deactivation (an engine, or an emulator, may not support it). */
      deactivation?: 'done' | 'failed';
    };

/** Entry point of the offboard function (DeleteTable via EventBridge). */
export async function offboardFromEvent(deps: OffboardDeps, event: unknown): Promise<OffboardResult> {
  const taken = intake(deps.telemetry, event, 'DeleteTable');
  if (!('event' in taken)) return taken;
  const { event: e, ignore } = taken;
  if (!deps.config.sourceAccounts.includes(e.table.accountId)) {
    return ignore('AccountNotAllowed', `account ${e.table.accountId} is not in SOURCE_ACCOUNTS`);
  }
  return offboardTable(deps, e.table, { eventTime: e.eventTime, tableId: e.tableId, eventId: e.eventId });
}

/**
 * Stops and removes the table's backup resource (the engine's) and marks the registry. Keeps
 * every backup object and the account's bucket grant (restores need them). Records the
 * DeleteTable time (and tableId) even for a table never onboarded, so that a CreateTable delivered late (older than the delete) is
 * recognised as stale instead of bringing a deleted table under backup. A DeleteTable of an older
 * incarnation than the one backed up (lib/domain/lifecycle.ts, judgeDelete) removes nothing.
 */
export async function offboardTable(
  deps: OffboardDeps,
  table: TableRef,
  event: { eventTime?: string; tableId?: string; eventId?: string } = {},
): Promise<OffboardResult> {
  const { eventTime, tableId, eventId } = event;
  const { registry, lock, telemetry } = deps;
  const owner = deps.newOwnerId();
  const claim = await claimTableWithWait(registry, table, owner, lock); // in any status
  if (!claim.claimed) throw new Error('unreachable: a claim that may not stop early returned unclaimed');
  const record = claim.record;

  const deletedEventTime = laterTime(record.deletedEventTime, eventTime);
  // The incarnation deleted last: this event's, unless the record holds a later DeleteTable.
  const deletedTableId =
    deletedEventTime === eventTime || record.status !== 'OFFBOARDED' ? (tableId ?? record.tableId) : record.tableId;
  const now = new Date(lock.now()).toISOString();
  try {
    if (record.pipelineId !== undefined && judgeDelete(record, { tableId, eventTime }) === 'stale') {
      // A DeleteTable of an older incarnation (late, redriven from the DLQ, or racing a re-create): the table exists again.
      transition(record.status, 'staleDelete');
      await registry.updateClaimed(table, owner, {}, { release: true });
      const message = `DeleteTable of ${table.tableArn} at ${eventTime}${tableId ? ` (tableId ${tableId})` : ''} is of an older incarnation than the one backed up (${
        record.tableId ? `tableId ${record.tableId}, ` : ''
      }created at ${record.createdEventTime}): its backup is kept`;
      telemetry.count(MetricName.EventIgnored, { Reason: 'StaleEvent' });
      telemetry.warn(`ignored event: ${message}`, { table: tableKey(table), pipelineId: record.pipelineId });
      return { outcome: 'ignored', reason: 'StaleEvent', message, eventId: eventId ?? '' };
    }
    if (record.status === 'OFFBOARDED' || record.pipelineId === undefined) {
      const outcome = record.status === 'OFFBOARDED' ? 'already-offboarded' : 'not-onboarded';
      await registry.updateClaimed(
        table,
        owner,
        { deletedEventTime, tableId: deletedTableId, offboardedAt: record.offboardedAt ?? now },
        {
          transition: step(outcome === 'already-offboarded' ? 'duplicateDelete' : 'deletedBeforeBackup'),
          release: true,
        },
      );
      telemetry.info(
        outcome === 'already-offboarded'
          ? 'table already offboarded: nothing to do'
          : 'table was never onboarded: nothing to do',
        {
          table: tableKey(table),
        },
      );
      return { outcome, table };
    }

    const pipelineId = record.pipelineId;
    const { deactivation } = await deps.engine.remove({ ...record, pipelineId }, telemetry);
    await registry.updateClaimed(
      table,
      owner,
      { offboardedAt: now, deletedEventTime, tableId: deletedTableId },
      { transition: step('offboarded'), release: true, remove: ['lastError'] },
    );
    telemetry.count(MetricName.TableOffboarded);
    telemetry.info('table offboarded', { table: tableKey(table), pipelineId, deactivation });
    return { outcome: 'offboarded', table, pipelineId, deactivation };
  } catch (e) {
    // Logged and counted (OffboardFailed) by the handler.
    await registry
      .updateClaimed(table, owner, { lastError: errorFields(e).errorMessage as string }, { release: true })
      .catch(() => undefined);
    throw e;
  }
}
