import type { Config } from '../config';
import {
  type CoverageRow,
  type CoverageTotals,
  classify,
  coverageTotals,
  exactNameFilters,
  isProtected,
  type ListedTable,
  parseCoverageInput,
  watchedRegions,
  withinGrace,
} from '../domain/coverage';
import type { TableRecord } from '../domain/lifecycle';
import { selectTable } from '../domain/selection';
import { tableArn, tableKey } from '../domain/table-ref';
import { errorFields, MetricName, type Telemetry } from '../observability';
import type { CoverageRepair } from '../ports/coverage-repair';
import type { ForwardingRuleState, ForwardingRulesOf } from '../ports/forwarding-rules';
import type { SourceTablesOf } from '../ports/source-tables';
import type { TableRegistry } from '../ports/table-registry';
import { type BackfillDeps, backfill } from './backfill';
import { mapPool } from './pool';

export interface CoverageDeps {
  config: Config;
  registry: TableRegistry;
  /** ListTables, DescribeTable and ListTagsOfResource through the report's source role. */
  sourceTables: SourceTablesOf;
  /** DescribeRule on the source template's forwarding rule, through the same role. */
  forwardingRules: ForwardingRulesOf;
  /** Used only with AUTO_REPAIR_COVERAGE=true. */
  repair?: CoverageRepair;
  telemetry: Telemetry;
}

/** What auto-repair did (or, when it is off, would do) in one account and region. */
export interface RepairAction {
  account: string;
  region: string;
  tables: string[];
  /** `would-onboard` when AUTO_REPAIR_COVERAGE is off. */
  outcome: 'would-onboard' | 'requested' | 'failed';
  message: string;
}

export interface CoverageReport {
  checkedAt: string;
  regions: string[];
  /** Where the regions came from. */
  regionsFrom: 'input' | 'WATCH_REGIONS' | 'registry';
  graceMinutes: number;
  rows: CoverageRow[];
  totals: CoverageTotals;
  /** Accounts and regions whose tables could not be listed: their tables are in no row. */
  unreachable: Array<{ account: string; region: string; error: string }>;
  autoRepair: boolean;
  repairs: RepairAction[];
  /** What the run read in the source accounts: account-regions listed (ListTables, one call a page), and the other calls. */
  calls: { placesListed: number; describeTable: number; listTags: number; describeRule: number };
}

/** How many tables (or account-regions) are read at a time. */
const CONCURRENCY = 8;

/**
 * Lists the tables of every SOURCE_ACCOUNTS account in every watched region and compares them with
 * the registry. Calls are kept to what the answer needs: ListTables pages everywhere; for a table
 * not ACTIVE in the registry, ListTagsOfResource (unless its name already excludes it) and
 * DescribeTable (its age, unless a tag excludes it); DescribeRule once per account and region, and
 * only where a table the registry never heard of is past the grace period. Sets the gauges
 * UnprotectedTables, CoveragePercent and CoverageUnreachable, zero included.
 */
export async function checkCoverage(
  deps: CoverageDeps,
  rawInput: unknown,
  now: Date = new Date(),
): Promise<CoverageReport> {
  const { config, telemetry } = deps;
  const input = parseCoverageInput(rawInput);
  const records = await deps.registry.listTables();
  const { regions, from } = watchedRegions(input, config.watchRegions, records);
  const byKey = new Map<string, TableRecord>(records.map((r) => [tableKey(r), r]));
  const calls = { placesListed: 0, describeTable: 0, listTags: 0, describeRule: 0 };

  // 1. ListTables in every account and region.
  const places = config.sourceAccounts.flatMap((account) => regions.map((region) => ({ account, region })));
  const listed = await mapPool(places, CONCURRENCY, (p) => {
    calls.placesListed++;
    return deps.sourceTables(p.account, p.region).listNames();
  });
  const unreachable: CoverageReport['unreachable'] = [];
  const tables: ListedTable[] = [];
  for (const [i, l] of listed.entries()) {
    const p = places[i] as { account: string; region: string };
    if (l.status === 'rejected') {
      unreachable.push({ ...p, error: errorFields(l.reason).errorMessage as string });
      continue;
    }
    for (const table of l.value) {
      tables.push({
        ...p,
        table,
        record: byKey.get(tableKey({ accountId: p.account, region: p.region, tableName: table })),
      });
    }
  }

  // 2. Tables not ACTIVE in the registry: the exclusions (name first: no call), then tags and age.
  const open = tables.filter((t) => !isProtected(t.record));
  for (const t of open) t.excluded = selectTable({ accountId: t.account, tableName: t.table }, {}, config);
  const toRead = open.filter((t) => t.excluded === undefined);
  const read = await mapPool(toRead, CONCURRENCY, async (t) => {
    const source = deps.sourceTables(t.account, t.region);
    calls.listTags++;
    const tags = await source.tags(tableArn(t.region, t.account, t.table));
    t.excluded = selectTable({ accountId: t.account, tableName: t.table }, tags, config);
    if (t.excluded !== undefined) return true;
    calls.describeTable++;
    const described = await source.describe(t.table);
    if (described === undefined) return false; // deleted since ListTables
    t.createdAt = described.createdAt;
    return true;
  });
  const gone = new Set<ListedTable>();
  for (const [i, r] of read.entries()) {
    const t = toRead[i] as ListedTable;
    if (r.status === 'rejected') {
      // Unread, it is still not protected: reported as such, with the error in place of the cause.
      t.excluded = undefined;
      t.readError = errorFields(r.reason).errorMessage as string;
      telemetry.warn('coverage could not read a table', {
        table: `${t.account}/${t.region}/${t.table}`,
        ...errorFields(r.reason),
      });
    } else if (!r.value) gone.add(t);
  }

  // 3. The forwarding rule, where a table the registry never heard of is past the grace period.
  const grace = config.coverageGraceMinutes;
  const placeKey = (t: { account: string; region: string }) => `${t.account}/${t.region}`;
  const ruleNeeded = [
    ...new Set(
      open
        .filter((t) => !gone.has(t) && t.excluded === undefined && t.record === undefined && t.readError === undefined)
        .filter((t) => !withinGrace(t.createdAt, now, grace))
        .map(placeKey),
    ),
  ];
  const ruleStates = await mapPool(ruleNeeded, CONCURRENCY, (key) => {
    const [account, region] = key.split('/') as [string, string];
    calls.describeRule++;
    return deps.forwardingRules(account, region).state();
  });
  const rules = new Map<string, ForwardingRuleState | { error: string }>(
    ruleNeeded.map((k, i) => {
      const s = ruleStates[i] as PromiseSettledResult<ForwardingRuleState>;
      return [k, s.status === 'fulfilled' ? s.value : { error: errorFields(s.reason).errorMessage as string }];
    }),
  );

  const rows = tables
    .filter((t) => !gone.has(t))
    .map((t) => classify(t, rules.get(placeKey(t)), now, grace))
    .sort((a, b) => `${a.account}/${a.region}/${a.table}`.localeCompare(`${b.account}/${b.region}/${b.table}`));
  const totals = coverageTotals(rows);

  // 4. Auto-repair (or what it would do), one request per account and region.
  const findings = new Map<string, string[]>();
  for (const r of rows.filter((row) => row.finding && row.cause !== 'unreadable'))
    findings.set(placeKey(r), [...(findings.get(placeKey(r)) ?? []), r.table]);
  const repairs: RepairAction[] = [];
  const repair = config.autoRepairCoverage ? deps.repair : undefined;
  for (const [key, names] of findings) {
    const [account, region] = key.split('/') as [string, string];
    if (repair === undefined) {
      repairs.push({
        account,
        region,
        tables: names,
        outcome: 'would-onboard',
        message: `AUTO_REPAIR_COVERAGE=true would onboard ${names.join(', ')} (through backfill)`,
      });
      continue;
    }
    try {
      repairs.push({
        account,
        region,
        tables: names,
        outcome: 'requested',
        message: await repair(account, region, names),
      });
    } catch (e) {
      repairs.push({
        account,
        region,
        tables: names,
        outcome: 'failed',
        message: errorFields(e).errorMessage as string,
      });
    }
  }

  telemetry.gauge(MetricName.UnprotectedTables, totals.findings);
  telemetry.gauge(MetricName.CoveragePercent, totals.coveragePercent);
  telemetry.gauge(MetricName.CoverageUnreachable, unreachable.length);
  const problems = totals.findings > 0 || unreachable.length > 0;
  (problems ? telemetry.warn : telemetry.info)('coverage', {
    regions,
    ...totals,
    findings: rows
      .filter((r) => r.finding)
      .map((r) => ({ table: `${r.account}/${r.region}/${r.table}`, cause: r.cause })),
    unreachable,
    calls,
  });
  return {
    checkedAt: now.toISOString(),
    regions,
    regionsFrom: from,
    graceMinutes: grace,
    rows,
    totals,
    unreachable,
    autoRepair: config.autoRepairCoverage,
    repairs,
    calls,
  };
}

/**
 * Auto-repair in process (the local sandbox, tests): the backfill use case for exactly these
 * tables, which onboards them through the onboard use case with backfill's exclusions and quota.
 * In the stack the report function asks the backfill function instead (lib/adapters/backfill-invoker.ts).
 */
export function backfillRepair(deps: BackfillDeps): CoverageRepair {
  return async (accountId, region, tableNames) => {
    const texts: string[] = [];
    for (const tableFilter of exactNameFilters(tableNames)) {
      texts.push((await backfill(deps, { accounts: [accountId], regions: [region], tableFilter })).text);
    }
    return texts.join('\n');
  };
}
