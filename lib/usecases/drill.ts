import type { Config } from '../config';
import {
  DRILL_ABANDONED_MS,
  type DrillOutcome,
  type DrillRecord,
  dueForDrill,
  isScratchTable,
  keyOf,
  runsPerMonth,
  sameItem,
  scratchTableName,
  TAG_DRILL_OF,
} from '../domain/drill';
import { tablePrefix } from '../domain/layout';
import type { TableRecord } from '../domain/lifecycle';
import type { Snapshot } from '../domain/snapshots';
import { type KeyAttribute, type TableRef, tableArn } from '../domain/table-ref';
import { PRODUCT_NAME, TAG_MANAGED_BY } from '../domain/tags';
import { InvalidEventError, RestoreRefusedError } from '../errors';
import { errorFields, MetricName, type Telemetry } from '../observability';
import { type BackupEngine, type PreparedRestore, recordEngine } from '../ports/backup-engine';
import type { BackupFilesOf, ScratchTablesOf } from '../ports/drill';
import type { TableRegistry } from '../ports/table-registry';

export interface DrillDeps {
  config: Config;
  registry: TableRegistry;
  engine: Pick<BackupEngine, 'snapshots' | 'prepareRestore' | 'contents'>;
  /** The scratch tables and the backup's files of a source account, through its drill role. */
  scratchTables: ScratchTablesOf;
  backupFiles: BackupFilesOf;
  telemetry: Telemetry;
  /** Waits between looks at a running restore (a test's clock moves instead). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** One table's drill in this run. */
export interface DrillReport {
  table: string;
  engine: string;
  result: DrillOutcome | 'running';
  why?: string;
  snapshot?: string;
  scratchTable?: string;
  expectedItems?: number;
  actualItems?: number;
  sampled?: number;
}

export interface DrillRunResult {
  drills: DrillReport[];
  /** Tables that can be drilled, and how many this schedule drills in 30 days (when its expression says). */
  eligible: number;
  monthlyCapacity?: number;
  text: string;
}

/** How often a running restore is looked at. */
const POLL_MS = 5_000;

class DrillFailure extends Error {}

/**
 * The scheduled restore drill (and `sls invoke -f drill [--data '{"tables":["ACCOUNT/REGION/TABLE"]}']`): the tables
 * due (an earlier drill's leftovers first, then the least recently drilled, DRILL_TABLES_PER_RUN of them) each have
 * their newest complete backup restored into a scratch table in their own account, compared with the backup (its
 * manifest's item count against a count of the scratch table, and a sample of its items read back), and the scratch
 * table deleted — also after a failure. A restore still running when the run's wait (DRILL_WAIT_SECONDS) is over is
 * left to the next run, which finishes it. The result goes on the table's registry record.
 */
export async function runDrills(deps: DrillDeps, input: unknown, nowDate: Date = new Date()): Promise<DrillRunResult> {
  const { config, telemetry } = deps;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const asked = parseDrillInput(input);
  const records = await deps.registry.listTables();
  const eligible = dueForDrill(records, records.length);
  const due =
    asked === undefined
      ? dueForDrill(records, config.drillTablesPerRun)
      : asked.map((key) => {
          const found = records.find((r) => `${r.accountId}/${r.region}/${r.tableName}` === key);
          if (found === undefined) throw new InvalidEventError(`invalid drill input: ${key} has no registry record`);
          return found;
        });
  const deadline = now() + config.drillWaitSeconds * 1000;
  const drills = await Promise.all(due.map((record) => drillTable({ ...deps, now, sleep }, record, nowDate, deadline)));
  for (const d of drills) {
    if (d.result === 'passed') telemetry.count(MetricName.DrillPassed);
    if (d.result === 'failed') telemetry.count(MetricName.DrillFailed);
    if (d.result === 'skipped') telemetry.count(MetricName.DrillSkipped);
  }
  const runs = runsPerMonth(config.drillCadence);
  const monthlyCapacity = runs === undefined ? undefined : Math.floor(runs * config.drillTablesPerRun);
  if (monthlyCapacity !== undefined && monthlyCapacity < eligible.length)
    telemetry.warn('the drill schedule visits fewer tables in 30 days than there are', {
      eligible: eligible.length,
      monthlyCapacity,
      cadence: config.drillCadence,
      perRun: config.drillTablesPerRun,
    });
  const tally = (r: DrillReport['result']) => drills.filter((d) => d.result === r).length;
  return {
    drills,
    eligible: eligible.length,
    ...(monthlyCapacity === undefined ? {} : { monthlyCapacity }),
    text: `drills: ${tally('passed')} passed, ${tally('failed')} failed, ${tally('skipped')} skipped, ${tally('running')} still running; ${eligible.length} tables to drill${monthlyCapacity === undefined ? '' : `, ${monthlyCapacity} drilled per 30 days at ${config.drillCadence}`}`,
  };
}

function parseDrillInput(input: unknown): string[] | undefined {
  if (input === undefined || input === null || input === '') return undefined;
  // A scheduled invocation hands over EventBridge's Scheduled Event: the tables due.
  if (typeof input === 'object' && (input as Record<string, unknown>)['detail-type'] === 'Scheduled Event')
    return undefined;
  if (typeof input === 'object' && !Array.isArray(input) && Object.keys(input).length === 0) return undefined;
  const tables = (input as { tables?: unknown }).tables;
  if (
    typeof input !== 'object' ||
    Array.isArray(input) ||
    Object.keys(input).some((k) => k !== 'tables') ||
    !Array.isArray(tables) ||
    tables.length === 0 ||
    tables.some((t) => typeof t !== 'string' || !/^\d{12}\/[a-z0-9-]+\/[a-zA-Z0-9_.-]{3,255}$/.test(t))
  )
    throw new InvalidEventError(
      'invalid drill input: give nothing (the tables due), or {"tables":["ACCOUNT/REGION/TABLE", …]}',
    );
  return tables as string[];
}

type Ctx = DrillDeps & { now: () => number; sleep: (ms: number) => Promise<void> };

async function drillTable(deps: Ctx, record: TableRecord, nowDate: Date, deadline: number): Promise<DrillReport> {
  const { config, telemetry } = deps;
  const engine = recordEngine(record);
  const source: TableRef = {
    accountId: record.accountId,
    region: record.region,
    tableName: record.tableName,
    tableArn: record.tableArn,
  };
  const iso = () => new Date(deps.now()).toISOString();
  const tables = deps.scratchTables(record.accountId, record.region);
  const report = (d: DrillRecord): DrillReport => ({
    table: record.tableArn,
    engine,
    result: d.state,
    ...(d.why === undefined ? {} : { why: d.why }),
    ...(d.snapshot === undefined ? {} : { snapshot: d.snapshot }),
    ...(d.scratchTable === undefined ? {} : { scratchTable: d.scratchTable }),
    ...(d.expectedItems === undefined ? {} : { expectedItems: d.expectedItems }),
    ...(d.actualItems === undefined ? {} : { actualItems: d.actualItems }),
    ...(d.sampled === undefined ? {} : { sampled: d.sampled }),
  });
  const save = async (d: DrillRecord): Promise<DrillReport> => {
    await deps.registry.recordDrill(source, d);
    const log = d.state === 'failed' ? telemetry.error : telemetry.info;
    log(`drill ${d.state}`, { table: record.tableArn, ...d });
    return report(d);
  };
  /** Deletes a scratch table; a name that is not a scratch table's is never deleted. */
  const remove = async (name: string) => {
    if (!isScratchTable(name)) throw new Error(`refusing to delete ${name}: not a scratch table (${TAG_DRILL_OF})`);
    return tables.delete(name);
  };

  try {
    // What an earlier drill left: a restore to finish, or the scratch table of one that crashed or was abandoned.
    const earlier = record.drill;
    let resume: { scratch: string; importId: string; snapshot: string; startedAt: string } | undefined;
    if (earlier?.scratchTable !== undefined) {
      const started = Date.parse(earlier.startedAt ?? earlier.time);
      if (
        earlier.state === 'running' &&
        earlier.importId !== undefined &&
        earlier.snapshot !== undefined &&
        deps.now() - started < DRILL_ABANDONED_MS
      ) {
        resume = {
          scratch: earlier.scratchTable,
          importId: earlier.importId,
          snapshot: earlier.snapshot,
          startedAt: earlier.startedAt ?? earlier.time,
        };
      } else {
        const removed = await remove(earlier.scratchTable);
        telemetry.warn('removed the scratch table of an earlier drill that did not finish', {
          table: record.tableArn,
          scratchTable: earlier.scratchTable,
          existed: removed,
          earlier: earlier.state,
        });
        await deps.registry.recordDrill(source, { ...earlier, scratchTable: undefined });
      }
    }

    if (resume === undefined && engine === 'datapipeline' && !config.drillDataPipeline)
      return await save({
        state: 'skipped',
        time: iso(),
        why: 'Data Pipeline drills are off (DRILL_DATAPIPELINE=false): each would start an EMR cluster',
      });

    const listing = await deps.engine.snapshots({
      bucket: config.backupBucket,
      table: source,
      record,
      keys: () => deps.backupFiles(record.accountId).listKeys(tablePrefix(source)),
    });
    const snapshot =
      resume === undefined ? listing.snapshots[0] : listing.snapshots.find((s) => s.snapshot === resume?.snapshot);
    if (snapshot === undefined)
      return await save({
        state: resume === undefined ? 'skipped' : 'failed',
        time: iso(),
        why:
          resume === undefined
            ? 'no complete backup of the table yet'
            : `the snapshot ${resume.snapshot} being restored is no longer listed`,
      });

    const scratch = resume?.scratch ?? scratchTableName(record.tableArn, nowDate);
    const target: TableRef = {
      ...source,
      tableName: scratch,
      tableArn: tableArn(source.region, source.accountId, scratch),
    };
    let prepared: PreparedRestore;
    try {
      prepared = deps.engine.prepareRestore({ source, target, snapshot, record }, config);
    } catch (e) {
      if (e instanceof RestoreRefusedError)
        return await save({ state: 'skipped', time: iso(), why: e.message, snapshot: snapshot.snapshot });
      throw e;
    }

    const running: DrillRecord = {
      state: 'running',
      time: resume?.startedAt ?? iso(),
      startedAt: resume?.startedAt ?? iso(),
      snapshot: snapshot.snapshot,
      scratchTable: scratch,
      ...(resume === undefined ? {} : { importId: resume.importId }),
    };
    let outcome: DrillRecord | undefined;
    try {
      let importId = resume?.importId;
      if (importId === undefined) {
        // Recorded before anything is made: a crash from here on leaves a pointer to the scratch table.
        await deps.registry.recordDrill(source, running);
        if ((await tables.describe(scratch)) !== undefined) await remove(scratch); // a same-day drill's leftover
        if (prepared.createsTarget !== true)
          await tables.create(scratch, await keySchema(record), {
            [TAG_MANAGED_BY]: PRODUCT_NAME,
            [TAG_DRILL_OF]: record.tableArn,
          });
        importId = await prepared.start();
        running.importId = importId;
        await deps.registry.recordDrill(source, running);
      }
      const state = await waitFor(deps, prepared, importId, deadline);
      if (state === 'IN_PROGRESS') {
        outcome = running;
        return await save(running);
      }
      if (state !== 'COMPLETED')
        throw new DrillFailure(
          `the restore ${importId} of ${snapshot.snapshot} ended ${state ?? 'in a state the engine cannot tell'}`,
        );
      if (prepared.createsTarget === true)
        await tables.tag(target.tableArn, { [TAG_MANAGED_BY]: PRODUCT_NAME, [TAG_DRILL_OF]: record.tableArn });
      outcome = await check(deps, record, source, snapshot, scratch);
    } catch (e) {
      outcome = {
        state: 'failed',
        time: iso(),
        why: e instanceof DrillFailure ? e.message : `the drill stopped: ${(e as Error).message}`,
        snapshot: snapshot.snapshot,
      };
      if (!(e instanceof DrillFailure)) telemetry.error('drill error', { table: record.tableArn, ...errorFields(e) });
    } finally {
      if (outcome?.state !== 'running') {
        try {
          await remove(scratch);
        } catch (e) {
          // Left for the next run, which removes it first.
          outcome = {
            ...(outcome ?? { state: 'failed', time: iso() }),
            state: 'failed',
            scratchTable: scratch,
            why: `${outcome?.why ?? ''}${outcome?.why ? '; ' : ''}the scratch table ${scratch} could not be deleted: ${(e as Error).message}`,
          };
        }
      }
    }
    return await save(outcome as DrillRecord);
  } catch (e) {
    return await save({ state: 'failed', time: iso(), why: `the drill stopped: ${(e as Error).message}` });
  }
}

/** The restore's state once it is over, or IN_PROGRESS when the deadline comes first. */
async function waitFor(deps: Ctx, prepared: PreparedRestore, importId: string, deadline: number) {
  for (;;) {
    const state = prepared.state === undefined ? undefined : await prepared.state(importId);
    if (state !== 'IN_PROGRESS') return state;
    if (deps.now() + POLL_MS > deadline) return state;
    await deps.sleep(POLL_MS);
  }
}

/** Compares the scratch table with the backup: the manifest's item count, then a sample of the items. */
async function check(
  deps: Ctx,
  record: TableRecord,
  source: TableRef,
  snapshot: Snapshot,
  scratch: string,
): Promise<DrillRecord> {
  const tables = deps.scratchTables(record.accountId, record.region);
  const base = { time: new Date(deps.now()).toISOString(), snapshot: snapshot.snapshot };
  let contents: Awaited<ReturnType<NonNullable<DrillDeps['engine']['contents']>>>;
  try {
    contents = await deps.engine.contents?.({
      source,
      record,
      snapshot,
      files: deps.backupFiles(record.accountId),
      sampleSize: deps.config.drillSampleSize,
    });
  } catch (e) {
    throw new DrillFailure(`the backup ${snapshot.snapshot} cannot be read: ${(e as Error).message}`);
  }
  const actualItems = await tables.count(scratch);
  if (contents === undefined)
    return {
      ...base,
      state: 'passed',
      actualItems,
      why: `the restore completed with ${actualItems} items; this engine's backup tells no item count to compare`,
    };
  const expectedItems = contents.itemCount;
  if (actualItems !== expectedItems)
    return {
      ...base,
      state: 'failed',
      expectedItems,
      actualItems,
      why: `the restored table holds ${actualItems} items, the backup's manifest says ${expectedItems}`,
    };
  const keyNames = (record.shape?.keySchema ?? []).map((k) => k.AttributeName);
  const names = keyNames.length > 0 ? keyNames : (record.keySchema ?? []).map((k) => k.name);
  let sampled = 0;
  for (const item of contents.sample) {
    const key = keyOf(item, names);
    if (key === undefined)
      return {
        ...base,
        state: 'failed',
        expectedItems,
        actualItems,
        why: 'an item of the backup lacks its key attributes',
      };
    const got = await tables.getItem(scratch, key);
    if (got === undefined || !sameItem(item, got))
      return {
        ...base,
        state: 'failed',
        expectedItems,
        actualItems,
        sampled,
        why: `the item ${JSON.stringify(key)} of the backup is ${got === undefined ? 'missing from' : 'different in'} the restored table`,
      };
    sampled++;
  }
  return {
    ...base,
    state: 'passed',
    expectedItems,
    actualItems,
    sampled,
    why: `${actualItems} items as the manifest says; ${sampled} sampled items equal`,
  };
}

async function keySchema(record: TableRecord): Promise<KeyAttribute[]> {
  if (record.keySchema !== undefined && record.keySchema.length > 0) return record.keySchema;
  const shape = record.shape;
  if (shape !== undefined)
    return shape.keySchema.map((k) => ({
      name: k.AttributeName,
      type: shape.attributeDefinitions.find((a) => a.AttributeName === k.AttributeName)
        ?.AttributeType as KeyAttribute['type'],
      keyType: k.KeyType as KeyAttribute['keyType'],
    }));
  throw new DrillFailure(`the key schema of ${record.tableArn} is unknown: the registry holds no copy of it`);
}
