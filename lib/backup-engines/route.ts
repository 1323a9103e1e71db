import { type Config, engineFor } from '../config';
import type { CompleteBackup } from '../domain/freshness';
import { isReborn, type TableRecord } from '../domain/lifecycle';
import {
  type BackupEngine,
  type BackupEngineName,
  type BackupHealth,
  type ClaimedTable,
  type PreparedBackup,
  recordEngine,
} from '../ports/backup-engine';

/**
 * Both engines behind the one port, so that the use cases stay engine-agnostic: a table already
 * in the registry is served by the engine its record names (absent: Data Pipeline), a new one (or
 * one deleted and created again) by its account's engine (engineFor: NATIVE_EXPORT_ACCOUNTS, else
 * BACKUP_ENGINE). The engine that makes a backup resource is written on the record with it.
 */
export function routeEngines(
  engines: Readonly<Record<BackupEngineName, BackupEngine>>,
  config: Pick<Config, 'backupEngine' | 'nativeExportAccounts'>,
): BackupEngine {
  const ofAccount = (accountId: string) => engines[engineFor(config, accountId)];
  const ofTable = (accountId: string, record: TableRecord | undefined) =>
    record === undefined ? ofAccount(accountId) : engines[recordEngine(record)];
  const fallback = engines[config.backupEngine];
  const recordingEngine = (claim: ClaimedTable, name: BackupEngineName): ClaimedTable => ({
    ...claim,
    recordCreated: (fields) => claim.recordCreated({ ...fields, engine: name }),
  });

  return {
    name: config.backupEngine,
    writerAccess: fallback.writerAccess,

    placement: (tableRegion, settings, accountId) =>
      (accountId === undefined ? fallback : ofAccount(accountId)).placement(tableRegion, settings, accountId),

    prepare(table, settings, now): PreparedBackup {
      const chosen = ofAccount(table.accountId);
      const prepared = chosen.prepare(table, settings, now);
      return {
        region: prepared.region,
        warm: () => prepared.warm(),
        ensure(claim, log) {
          const { record } = claim;
          // A resource made before the account changed engine (and not yet active): the retry completes it with its own engine.
          const maker = !isReborn(record) && record.pipelineId !== undefined ? engines[recordEngine(record)] : chosen;
          if (maker === chosen) return prepared.ensure(recordingEngine(claim, chosen.name), log);
          return maker.prepare(table, settings, now).ensure(recordingEngine(claim, maker.name), log);
        },
      };
    },

    remove: (record, log) => engines[recordEngine(record)].remove(record, log),

    async health(accountId, region, records, settings) {
      const found = new Array<BackupHealth>(records.length);
      for (const name of Object.keys(engines) as BackupEngineName[]) {
        const mine = records.flatMap((r, i) => (recordEngine(r) === name ? [i] : []));
        if (mine.length === 0) continue;
        const answers = await engines[name].health(
          accountId,
          region,
          mine.map((i) => records[i] as TableRecord),
          settings,
        );
        mine.forEach((at, j) => {
          found[at] = answers[j] as BackupHealth;
        });
      }
      return found;
    },

    inventory: (accountId, region) => ofAccount(accountId).inventory(accountId, region),

    snapshots: (query) => ofTable(query.table.accountId, query.record).snapshots(query),

    prepareRestore: (request, settings) =>
      ofTable(request.source.accountId, request.record).prepareRestore(request, settings),

    async newestBackups(query) {
      const found = new Array<CompleteBackup | undefined>(query.records.length);
      for (const name of Object.keys(engines) as BackupEngineName[]) {
        const mine = query.records.flatMap((r, i) => (recordEngine(r) === name ? [i] : []));
        if (mine.length === 0) continue;
        const answers = await engines[name].newestBackups({
          ...query,
          records: mine.map((i) => query.records[i] as TableRecord),
        });
        mine.forEach((at, j) => {
          found[at] = answers[j];
        });
      }
      return found;
    },
    contents: async (query) => ofTable(query.source.accountId, query.record).contents?.(query),
  };
}
