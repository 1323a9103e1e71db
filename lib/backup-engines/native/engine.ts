import type { CompleteBackup } from '../../domain/freshness';
import { isReborn, type TableRecord, type TableShape } from '../../domain/lifecycle';
import { LeaseLostError, RestoreRefusedError } from '../../errors';
import type {
  BackupEngine,
  BackupEngineName,
  BackupHealth,
  BackupRuns,
  PreparedBackup,
  PreparedRestore,
  RestoreFound,
} from '../../ports/backup-engine';
import type { ExportInfo, NativeCalls } from './api';
import { exportContents } from './contents';
import { importClientToken, importSource, likelyNewestFirst, runsOf, snapshotsOfExports } from './exports';
import { checkExportUnaltered } from './integrity';
import { NATIVE_EXPORT_S3_ACCESS } from './s3-access';
import {
  type ExportSchedule,
  exportSchedule,
  type NativeSettings,
  nativeSettings,
  scheduleDifferences,
  scheduleName,
  tableNameOf,
} from './schedule';

const NATIVE: BackupEngineName = 'native';

/** At most this many of a table's exports are described to find its newest completed one (health). */
const MAX_DESCRIBED = 5;

/** Why ImportTable cannot restore a table of this shape, if it cannot. */
function shapeRefusal(table: string, shape: TableShape): string | undefined {
  if (shape.localSecondaryIndexes.length === 0) return undefined;
  return `${table} has local secondary indexes (${shape.localSecondaryIndexes.join(', ')}), which ImportTable cannot create: a restore of its export would lose them, so none is started (restore it with RestoreTableToPointInTime within its recovery window, or by hand)`;
}

/**
 * The fields in which a table's live schedule differs from the one the product writes for it (empty: none, or no
 * such schedule any more); a differing Input is named by its fields (`Target.Input.S3Prefix`, …).
 */
async function scheduleDrift(api: NativeCalls, r: TableRecord, group: string, s: NativeSettings): Promise<string[]> {
  const have = await api.getSchedule(group, r.pipelineId as string);
  if (have === undefined) return [];
  const want = { ...exportSchedule(r, s), group };
  return scheduleDifferences(want, have.schedule).flatMap((field) => {
    if (field !== 'Target.Input') return [field];
    const a = want.target.Input as unknown as Record<string, unknown>;
    const b = (have.schedule.target.Input ?? {}) as unknown as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    const differing = keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    return differing.length === 0 ? [field] : differing.map((k) => `Target.Input.${k}`);
  });
}

/**
 * The second engine: DynamoDB's own export. Per table, point-in-time recovery on and an
 * EventBridge Scheduler schedule in the table's account and region (group SCHEDULE_GROUP) whose
 * universal target starts ExportTableToPointInTime into the backup bucket every night; restores are
 * ImportTable into a new table. `calls` acts in a source account through the function's source role.
 */
export function nativeEngine(
  calls: (accountId: string, region: string) => NativeCalls,
  defaults: { scheduleGroup: string },
): BackupEngine {
  /** The schedule group a record's schedule is in: its ARN says (`…:schedule/GROUP/NAME`), else the configured one. */
  const groupOf = (uniqueId: string | undefined) =>
    /^arn:aws[a-z-]*:scheduler:[^:]*:\d{12}:schedule\/([^/]+)\//.exec(uniqueId ?? '')?.[1] ?? defaults.scheduleGroup;

  /** Creates the schedule, or reads back the one of its name and rewrites it if it differs. */
  async function ensureSchedule(
    api: NativeCalls,
    want: ExportSchedule,
    log: { warn(message: string, extra?: Record<string, unknown>): void },
  ): Promise<{ arn: string; created: boolean }> {
    try {
      return { arn: await api.createSchedule(want), created: true };
    } catch (e) {
      if ((e as Error).name !== 'ConflictException') throw e;
    }
    const have = await api.getSchedule(want.group, want.name);
    // Deleted between the two calls (an offboarding racing this one): the retry creates it again.
    if (have === undefined)
      throw new Error(`schedule ${want.group}/${want.name} vanished while it was being read back`);
    const differences = scheduleDifferences(want, have.schedule);
    if (differences.length === 0) return { arn: have.arn, created: false };
    log.warn('the table’s schedule differs from the product’s definition: rewriting it', {
      schedule: `${want.group}/${want.name}`,
      differences,
    });
    return { arn: await api.updateSchedule(want), created: false };
  }

  /** The table's newest export, and when its newest completed one was taken (ListExports, then DescribeExport of the newest few). */
  async function runs(api: NativeCalls, tableArn: string): Promise<BackupRuns> {
    const listed = likelyNewestFirst((await api.listExports(tableArn)).map((e) => e.arn));
    const described: ExportInfo[] = [];
    for (const arn of listed.arns) {
      const info = await api.describeExport(arn);
      described.push(info);
      if (listed.ordered && (info.status === 'COMPLETED' || described.length >= MAX_DESCRIBED)) break;
    }
    return runsOf(described);
  }

  /**
   * A table's newest COMPLETED full export: ListExports gives each export's status, so only completed ones are
   * described, newest first, until a full one (an incremental export cannot be restored on its own); when the ids do
   * not order the list, every completed one is described.
   */
  async function newestCompleted(api: NativeCalls, tableArn: string): Promise<CompleteBackup | undefined> {
    const completed = (await api.listExports(tableArn)).filter(
      (e) => e.status === undefined || e.status === 'COMPLETED',
    );
    const listed = likelyNewestFirst(completed.map((e) => e.arn));
    const described: ExportInfo[] = [];
    for (const arn of listed.arns) {
      const info = await api.describeExport(arn);
      described.push(info);
      if (listed.ordered && info.status === 'COMPLETED' && (info.type === undefined || info.type === 'FULL_EXPORT'))
        break;
    }
    const newest = snapshotsOfExports(described).snapshots[0];
    return newest === undefined
      ? undefined
      : {
          id: newest.snapshot,
          time: newest.time,
          ...(newest.sizeBytes !== undefined ? { sizeBytes: newest.sizeBytes } : {}),
        };
  }

  return {
    name: NATIVE,
    writerAccess: NATIVE_EXPORT_S3_ACCESS,

    // DynamoDB's export and Scheduler both run in the table's own region.
    placement: (tableRegion) => ({ region: tableRegion }),

    prepare(table, settings): PreparedBackup {
      const want = exportSchedule(table, nativeSettings(settings));
      const api = () => calls(table.accountId, table.region);
      return {
        region: table.region,
        warm: () => api().warm(),
        async ensure(claim, log) {
          const { record } = claim;
          const reborn = isReborn(record);
          const calls = api();
          const described = await calls.describeTable(table.tableName);
          if (described === undefined) throw new Error(`table ${table.tableArn} does not exist (yet, or any more)`);
          // Exports need point-in-time recovery: turned on if off, and the registry told that the product did it.
          let pitrByProduct = !reborn && record.pitrEnabledByProduct === true;
          if (!(await calls.pitrEnabled(table.tableName))) {
            await calls.enablePitr(table.tableName);
            pitrByProduct = true;
            if ((await claim.note?.({ pitrEnabledByProduct: true })) === false)
              throw new LeaseLostError(`lost the registry lease on ${table.tableArn} after turning on its PITR`);
          }
          const { arn, created } = await ensureSchedule(calls, want, log);
          if (reborn || record.pipelineId === undefined) {
            const generation = reborn ? record.generation + 1 : record.generation;
            const saved = await claim.recordCreated({
              pipelineId: want.name,
              pipelineRegion: table.region,
              uniqueId: arn,
              generation,
              engine: NATIVE,
              shape: described.shape,
              pitrEnabledByProduct: pitrByProduct,
            });
            if (!saved)
              throw new LeaseLostError(`lost the registry lease on ${table.tableArn} after making its schedule`);
          }
          // A schedule is enabled as it is made: there is no separate activation to wait for.
          await claim.markActive(want.name);
          return { resourceId: want.name, created };
        },
      };
    },

    // Point-in-time recovery is left as it is: AWS keeps a deleted table's recovery window (see README).
    async remove(record) {
      await calls(record.accountId, record.pipelineRegion ?? record.region).deleteSchedule(
        groupOf(record.uniqueId),
        record.pipelineId,
      );
      return { deactivation: 'done' };
    },

    async health(accountId, region, records, settings) {
      const api = calls(accountId, region);
      const groups = [...new Set(records.map((r) => groupOf(r.uniqueId)))];
      const schedules = new Map<string, string | undefined>();
      for (const group of groups)
        for (const s of await api.listSchedules(group)) schedules.set(`${group}/${s.name}`, s.state);
      // What the product writes, to compare each live schedule with (without the settings, only its state is judged).
      const native = settings === undefined ? undefined : nativeSettings(settings);
      return Promise.all(
        records.map(async (r): Promise<BackupHealth> => {
          const group = groupOf(r.uniqueId);
          const key = `${group}/${r.pipelineId}`;
          const found = await runs(api, r.tableArn);
          if (!schedules.has(key)) return { status: 'vanished', runs: found };
          const state = schedules.get(key);
          const drift = native === undefined ? [] : await scheduleDrift(api, r, group, native);
          if (drift.length > 0)
            return {
              status: 'error',
              state,
              error: `the schedule ${key} differs from the product's definition in ${drift.join(', ')} (edited in the source account?): backfill rewrites it`,
              latestRunTime: found.newest?.time,
              runs: found,
            };
          return {
            status: state === 'ENABLED' ? 'ok' : 'not-scheduled',
            state,
            latestRunTime: found.newest?.time,
            runs: found,
          };
        }),
      );
    },

    async inventory(accountId, region) {
      const names = new Set((await calls(accountId, region).listSchedules(defaults.scheduleGroup)).map((s) => s.name));
      return {
        count: names.size,
        covers: (tableArn) => names.has(scheduleName(tableNameOf(tableArn))),
        bounded: false,
      };
    },

    async snapshots({ table }) {
      const api = calls(table.accountId, table.region);
      const listed = await api.listExports(table.tableArn);
      return snapshotsOfExports(await Promise.all(listed.map((e) => api.describeExport(e.arn))));
    },

    async newestBackups({ accountId, region, records }) {
      const api = calls(accountId, region);
      return Promise.all(records.map((r) => newestCompleted(api, r.tableArn)));
    },

    prepareRestore({ source, target, snapshot, record, bucket }, settings): PreparedRestore {
      const s = nativeSettings(settings);
      if (record?.shape !== undefined) {
        const refusal = shapeRefusal(source.tableArn, record.shape);
        if (refusal !== undefined) throw new RestoreRefusedError(refusal);
      }
      const api = () => calls(target.accountId, target.region);
      const from = importSource(snapshot.location);
      const states = new Map<string, string>();
      return {
        region: target.region,
        createsTarget: true,
        async find(): Promise<RestoreFound> {
          // ImportTable makes its table: no table, no import into it.
          if ((await api().describeTable(target.tableName)) === undefined) return { kind: 'none' };
          const imports = await api().listImports(target.tableArn);
          const same = imports.find((i) => i.bucket === from.bucket && i.keyPrefix === from.keyPrefix);
          if (same !== undefined) return { kind: 'started', resourceId: same.arn, state: same.status };
          const other = imports.find((i) => i.status === 'IN_PROGRESS');
          return other === undefined
            ? { kind: 'none' }
            : {
                kind: 'other',
                description: `from s3://${other.bucket}/${other.keyPrefix} by import ${other.arn} (${other.status})`,
              };
        },
        async start() {
          const shape = record?.shape ?? (await api().describeTable(source.tableName))?.shape;
          if (shape === undefined)
            throw new RestoreRefusedError(
              `the shape of ${source.tableArn} is unknown: the table no longer exists and the registry holds no copy of it`,
            );
          const refusal = shapeRefusal(source.tableArn, shape);
          if (refusal !== undefined) throw new RestoreRefusedError(refusal);
          // The export must be the table's and as DynamoDB wrote it: its source account can add files to it.
          if (bucket !== undefined) await checkExportUnaltered(source, snapshot, s.bucket, bucket);
          const started = await api().importTable({
            clientToken: importClientToken(target.tableArn, snapshot.location),
            bucket: from.bucket,
            bucketOwner: s.bucketOwner,
            keyPrefix: from.keyPrefix,
            tableName: target.tableName,
            shape,
          });
          states.set(started.arn, started.status);
          return started.arn;
        },
        async state(importArn) {
          // The status ImportTable answered serves the first look only (restore's); later looks (a drill's wait) ask again.
          const answered = states.get(importArn);
          states.delete(importArn);
          return answered ?? (await api().describeImport(importArn)).status;
        },
      };
    },

    contents: ({ snapshot, files, sampleSize }) => exportContents(snapshot, files, sampleSize),
  };
}
