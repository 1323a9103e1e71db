import type { CoverageRow } from '../domain/coverage';
import type { Report, ReportRow } from '../domain/report';
import { type CoverageDeps, type CoverageReport, checkCoverage } from './coverage';

/**
 * The operator's report: the coverage of every watched account and region, one row per table,
 * with its engine, newest complete backup, last drill and last error, and the totals. The backup
 * and drill columns are typed and filled with what the registry records (the drill's result: lib/usecases/drill.ts);
 * their totals count what is filled in.
 */
export async function buildReport(deps: CoverageDeps, input: unknown, now: Date = new Date()): Promise<Report> {
  return reportFrom(await checkCoverage(deps, input, now));
}

function reportFrom(coverage: CoverageReport): Report {
  const rows = coverage.rows.map(row);
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

function row(c: CoverageRow): ReportRow {
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
    ...(c.lastDrill !== undefined ? { lastDrill: c.lastDrill } : {}),
  };
}
