import type { CoverageRow } from '../domain/coverage';
import { type CompleteBackup, type Freshness, judgeFreshness } from '../domain/freshness';
import type { TableRecord } from '../domain/lifecycle';
import type { Report, ReportRow } from '../domain/report';
import { tableKey } from '../domain/table-ref';
import { errorFields, MetricName } from '../observability';
import type { BackupEngine } from '../ports/backup-engine';
import type { BackupBucket } from '../ports/bucket-policy-store';
import type { TableRegistry } from '../ports/table-registry';
import { type CoverageDeps, type CoverageReport, checkCoverage } from './coverage';
import { mapPool } from './pool';

export interface ReportDeps extends CoverageDeps {
  /** Each protected table's newest complete backup (native: ListExports / DescribeExport through the report's source role). */
  engine: BackupEngine;
  /**
   * The backup bucket through the snapshot-reader role (list only, nothing else): Data Pipeline's run folders, one
   * listing of ACCOUNT/REGION/ per account and region with Data Pipeline tables.
   */
  snapshots: BackupBucket;
}

/** How many account-regions' backups are read at a time. */
const CONCURRENCY = 8;

/**
 * The operator's report: the coverage of every watched account and region, one row per table,
 * with its engine, newest complete backup and its age, last drill and last error, and the totals.
 * A protected table over the recovery point objective (RPO_HOURS), or with no complete backup a
 * day after onboarding, is a finding: the gauges TablesOverObjective and WorstBackupAgeHours are
 * set every run, zero included. The last drill is what the registry records (the drill's result:
 * lib/usecases/drill.ts); the failed-drills total counts them.
 */
export async function buildReport(deps: ReportDeps, input: unknown, now: Date = new Date()): Promise<Report> {
  // Coverage and freshness read the same registry records: one Scan serves both.
  const records = once(() => deps.registry.listTables());
  const coverage = await checkCoverage({ ...deps, registry: withListing(deps.registry, records) }, input, now);
  const fresh = await freshness(deps, coverage, await records(), now);
  return reportFrom(coverage, fresh);
}

type Judged = Freshness | { error: string };

/** Each protected row's freshness, by table key; one engine call per account and region. */
async function freshness(
  deps: ReportDeps,
  coverage: CoverageReport,
  records: readonly TableRecord[],
  now: Date,
): Promise<Map<string, Judged>> {
  const { config, telemetry } = deps;
  const byKey = new Map(records.map((r) => [tableKey(r), r]));
  const places = new Map<string, TableRecord[]>();
  for (const row of coverage.rows.filter((r) => r.status === 'protected')) {
    const record = byKey.get(keyOf(row));
    if (record === undefined) continue;
    const place = `${row.account}/${row.region}`;
    places.set(place, [...(places.get(place) ?? []), record]);
  }
  const groups = [...places.values()];
  const read = await mapPool(groups, CONCURRENCY, (group) => {
    const first = group[0] as TableRecord;
    return deps.engine.newestBackups({
      bucket: config.backupBucket,
      accountId: first.accountId,
      region: first.region,
      records: group,
      objects: () => deps.snapshots.listObjects(`${first.accountId}/${first.region}/`),
    });
  });
  const judged = new Map<string, Judged>();
  for (const [i, settled] of read.entries()) {
    const group = groups[i] as TableRecord[];
    if (settled.status === 'rejected') {
      const error = `its backups could not be read: ${errorFields(settled.reason).errorMessage as string}`;
      telemetry.warn('report could not read the backups of an account and region', {
        account: group[0]?.accountId,
        region: group[0]?.region,
        ...errorFields(settled.reason),
      });
      for (const r of group) judged.set(tableKey(r), { error });
      continue;
    }
    group.forEach((r, j) => {
      const newest: CompleteBackup | undefined = settled.value[j];
      judged.set(tableKey(r), judgeFreshness(newest, r.activatedAt ?? r.createdAt, now, config.rpoHours));
    });
  }

  const known = [...judged.values()].filter((f): f is Freshness => !('error' in f));
  const over = known.filter((f) => f.overObjective);
  const worst = Math.max(0, ...known.map((f) => f.exposureHours));
  telemetry.gauge(MetricName.TablesOverObjective, over.length);
  telemetry.gauge(MetricName.WorstBackupAgeHours, worst);
  const unread = judged.size - known.length;
  (over.length > 0 || unread > 0 ? telemetry.warn : telemetry.info)('freshness', {
    rpoHours: config.rpoHours,
    protected: judged.size,
    overObjective: over.length,
    worstBackupAgeHours: worst,
    unread,
  });
  return judged;
}

function reportFrom(coverage: CoverageReport, fresh: ReadonlyMap<string, Judged>): Report {
  const rows = coverage.rows.map((c) => row(c, fresh.get(keyOf(c))));
  return {
    generatedAt: coverage.checkedAt,
    regions: coverage.regions,
    rows,
    totals: {
      ...coverage.totals,
      overObjective: rows.filter((r) => r.overObjective === true).length,
      failedDrills: rows.filter((r) => r.lastDrill?.result === 'failed').length,
    },
    unreachable: coverage.unreachable,
    repairs: coverage.repairs,
  };
}

function row(c: CoverageRow, f: Judged | undefined): ReportRow {
  return {
    account: c.account,
    region: c.region,
    table: c.table,
    status: c.status,
    finding: c.finding,
    ...(c.engine !== undefined ? { engine: c.engine } : {}),
    ...(c.exclusion !== undefined ? { cause: c.exclusion.by, detail: c.exclusion.message } : {}),
    ...(c.cause !== undefined ? { cause: c.cause, detail: c.detail } : {}),
    ...(c.lastError !== undefined ? { lastError: c.lastError } : {}),
    ...freshnessColumns(f),
    ...(c.lastDrill !== undefined ? { lastDrill: c.lastDrill } : {}),
  };
}

function freshnessColumns(f: Judged | undefined): Partial<ReportRow> {
  if (f === undefined) return {};
  if ('error' in f) return { backupError: f.error };
  return {
    ...(f.newestBackup !== undefined
      ? {
          newestBackup: {
            time: f.newestBackup.time,
            ageHours: f.newestBackup.ageHours,
            ...(f.newestBackup.sizeBytes !== undefined ? { sizeBytes: f.newestBackup.sizeBytes } : {}),
          },
        }
      : {}),
    overObjective: f.overObjective,
    ...(f.why !== undefined ? { freshness: f.why } : {}),
  };
}

const keyOf = (c: Pick<CoverageRow, 'account' | 'region' | 'table'>) =>
  tableKey({ accountId: c.account, region: c.region, tableName: c.table });

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= make();
    return p;
  };
}

/** The registry with its listing answered by `records` (the rest as it is). */
function withListing(registry: TableRegistry, records: () => Promise<TableRecord[]>): TableRegistry {
  return Object.assign(Object.create(registry) as TableRegistry, { listTables: records });
}
