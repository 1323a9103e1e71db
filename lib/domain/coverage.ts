import { z } from 'zod';
import { InvalidEventError } from '../errors';
import { recordEngine } from '../ports/backup-engine';
import type { ForwardingRuleState } from '../ports/forwarding-rules';
import type { TableRecord } from './lifecycle';
import { isRegion } from './regions';
import type { Ignore } from './selection';
import { MAX_PATTERN_LENGTH } from './table-ref';

/**
 * Coverage, pure: is every table of the watched accounts and regions protected? A table is
 * protected (its registry record is ACTIVE), excluded (TABLE_EXCLUDE_PATTERN or the opt-out tag, as
 * lib/domain/selection.ts decides for onboarding), or unprotected. An unprotected table older than
 * the grace period is a finding, with its likely cause.
 */

/**
 * The name the source template gives its forwarding rule (templates/source-account.yml,
 * ForwardTableEventsRule): one per region, on the default bus. The report's source role may
 * DescribeRule on it, and nothing else of EventBridge.
 */
export const FORWARDING_RULE_NAME = 'ddb-backup-forward-table-events';

export type CoverageStatus = 'protected' | 'excluded' | 'unprotected';

/** Why an unprotected table is not backed up, as far as the orchestrator can tell. */
export type UnprotectedCause =
  /** Younger than the grace period: its CreateTable may still be on its way. Not a finding. */
  | 'in-grace-period'
  /** No forwarding rule (or a disabled one) in the table's region: its CreateTable never reaches the bus. */
  | 'no-forwarding-rule'
  /** The rule is there and the registry never heard of the table: CloudTrail off, or the event lost. */
  | 'event-never-arrived'
  /** The registry holds the table, not ACTIVE: the onboarding started and did not finish. */
  | 'onboarding-failed'
  /** The registry says the table was deleted, yet it exists: its CreateTable was missed or judged stale. */
  | 'offboarded-but-exists'
  /** Its tags or creation time could not be read (the source role denied, throttling): whether it is excluded is unknown. */
  | 'unreadable';

export interface CoverageRow {
  account: string;
  region: string;
  table: string;
  status: CoverageStatus;
  /** For an excluded table: which rule, and its sentence. */
  exclusion?: { by: 'pattern' | 'tag' | 'drill'; message: string };
  /** For an unprotected table. */
  cause?: UnprotectedCause;
  /** The cause in words, with what to do. */
  detail?: string;
  /** When the table was created (DescribeTable), for tables not ACTIVE in the registry. */
  createdAt?: string;
  /** An unprotected table past the grace period. */
  finding: boolean;
  /** The registry's record status and last error, when there is a record. */
  registryStatus?: TableRecord['status'];
  lastError?: string;
  /** The engine the registry records for the table (absent: datapipeline). */
  engine?: string;
  /** The table's latest finished restore drill, as its record says. */
  lastDrill?: { time: string; result: 'passed' | 'failed' | 'skipped'; why?: string };
}

/** What is known about one listed table; `tags` and `createdAt` only when they were read. */
export interface ListedTable {
  account: string;
  region: string;
  table: string;
  record?: TableRecord;
  /** The exclusion selectTable found, if any. */
  excluded?: Ignore;
  createdAt?: string;
  /** Reading its tags or description failed with this. */
  readError?: string;
}

/** Whether a table created at `createdAt` is still within the grace period (an onboarding may be in flight). */
export function withinGrace(createdAt: string | undefined, now: Date, graceMinutes: number): boolean {
  if (createdAt === undefined) return false;
  return now.getTime() - Date.parse(createdAt) < graceMinutes * 60_000;
}

/** Whether the table's record says it is backed up. */
export const isProtected = (record: TableRecord | undefined): boolean => record?.status === 'ACTIVE';

/**
 * One table's row. `rule` is the forwarding rule's state in the table's region (only asked for
 * tables the registry never heard of), or the error met asking for it.
 */
export function classify(
  t: ListedTable,
  rule: ForwardingRuleState | { error: string } | undefined,
  now: Date,
  graceMinutes: number,
): CoverageRow {
  const base = {
    account: t.account,
    region: t.region,
    table: t.table,
    ...(t.record?.status !== undefined ? { registryStatus: t.record.status } : {}),
    ...(t.record?.lastError !== undefined ? { lastError: t.record.lastError } : {}),
    ...(engineOf(t.record) !== undefined ? { engine: engineOf(t.record) } : {}),
    ...lastDrillOf(t.record),
    ...(t.createdAt !== undefined ? { createdAt: t.createdAt } : {}),
  };
  if (isProtected(t.record)) return { ...base, status: 'protected', finding: false };
  if (t.excluded !== undefined) {
    return {
      ...base,
      status: 'excluded',
      finding: false,
      exclusion: { by: exclusionBy(t.excluded.reason), message: t.excluded.message },
    };
  }
  if (withinGrace(t.createdAt, now, graceMinutes)) {
    return {
      ...base,
      status: 'unprotected',
      finding: false,
      cause: 'in-grace-period',
      detail: `created ${t.createdAt}, less than ${graceMinutes} min ago: its onboarding may be in flight`,
    };
  }
  const finding = (cause: UnprotectedCause, detail: string): CoverageRow => ({
    ...base,
    status: 'unprotected',
    finding: true,
    cause,
    detail,
  });
  if (t.readError !== undefined) {
    return finding('unreadable', `its tags or description could not be read: ${t.readError}`);
  }
  const r = t.record;
  if (r?.status === 'OFFBOARDED') {
    return finding(
      'offboarded-but-exists',
      `the registry says it was deleted (${r.offboardedAt ?? 'time unknown'}), yet it exists: its CreateTable was missed or judged stale; run backfill for ${t.account} ${t.region}`,
    );
  }
  if (r !== undefined) {
    return finding(
      'onboarding-failed',
      `onboarding started and stopped at ${r.status}${r.lastError !== undefined ? `: ${r.lastError}` : ' with no error recorded'}; fix the cause, then run backfill for ${t.account} ${t.region}`,
    );
  }
  if (rule === 'missing' || rule === 'disabled') {
    return finding(
      'no-forwarding-rule',
      `no ${rule === 'disabled' ? 'enabled ' : ''}forwarding rule ${FORWARDING_RULE_NAME} in ${t.region}: deploy the source template in that region (or enable the rule), then run backfill for it`,
    );
  }
  const ruleError = typeof rule === 'object' ? ` (the forwarding rule could not be read: ${rule.error})` : '';
  return finding(
    'event-never-arrived',
    `the forwarding rule is in place, but no CreateTable of this table reached the orchestrator${ruleError}: check the account's CloudTrail trail (management events) and the event dead-letter queue, then run backfill for it`,
  );
}

/** The engine the record names; a record without one is a Data Pipeline table (records from before the native engine). */
/** Which rule excluded a table, as the report names it: a drill's scratch table, the opt-out tag, or a name rule. */
function exclusionBy(reason: Ignore['reason']): 'pattern' | 'tag' | 'drill' {
  if (reason === 'DrillScratchTable') return 'drill';
  return reason === 'OptedOutByTag' ? 'tag' : 'pattern';
}

function engineOf(record: TableRecord | undefined): string | undefined {
  return record === undefined ? undefined : recordEngine(record);
}

export interface CoverageTotals {
  tables: number;
  protected: number;
  excluded: number;
  unprotected: number;
  /** Unprotected tables past the grace period. */
  findings: number;
  /** protected / (protected + unprotected) × 100, one decimal; 100 when there is nothing to protect. */
  coveragePercent: number;
}

export function coverageTotals(rows: readonly CoverageRow[]): CoverageTotals {
  const n = (s: CoverageStatus) => rows.filter((r) => r.status === s).length;
  const p = n('protected');
  const u = n('unprotected');
  return {
    tables: rows.length,
    protected: p,
    excluded: n('excluded'),
    unprotected: u,
    findings: rows.filter((r) => r.finding).length,
    coveragePercent: p + u === 0 ? 100 : Math.floor((p / (p + u)) * 1000) / 10,
  };
}

const inputSchema = z
  .object({
    regions: z
      .array(z.string().refine(isRegion, 'is not an AWS region name'), {
        invalid_type_error: 'must be a list of region names, e.g. ["us-east-1","eu-west-1"]',
      })
      .min(1, 'must name at least one region when given')
      .optional(),
  })
  .strict();

/** The input of a report run: nothing (a scheduled run's event is ignored), or `{"regions":[…]}`. */
export function parseCoverageInput(input: unknown): { regions?: string[] } {
  if (input === undefined || input === null || input === '') return {};
  if (typeof input !== 'object' || Array.isArray(input))
    throw new InvalidEventError('report input must be a JSON object such as {"regions":["us-east-1"]}');
  // A scheduled invocation hands over EventBridge's Scheduled Event: no regions asked.
  if ((input as Record<string, unknown>)['detail-type'] === 'Scheduled Event') return {};
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) =>
      i.code === 'unrecognized_keys'
        ? `unknown field(s) ${i.keys.join(', ')}`
        : `${i.path.join('.') || 'input'} ${i.message}`,
    );
    throw new InvalidEventError(`invalid report input: ${problems.join('; ')}`);
  }
  return parsed.data.regions === undefined ? {} : { regions: [...new Set(parsed.data.regions)] };
}

/** The regions a run lists: the input's, else WATCH_REGIONS, else the regions the registry has seen (sorted). */
export function watchedRegions(
  input: { regions?: readonly string[] },
  watchRegions: readonly string[] | undefined,
  records: readonly Pick<TableRecord, 'region'>[],
): { regions: string[]; from: 'input' | 'WATCH_REGIONS' | 'registry' } {
  if (input.regions !== undefined) return { regions: [...input.regions], from: 'input' };
  if (watchRegions !== undefined) return { regions: [...watchRegions], from: 'WATCH_REGIONS' };
  return { regions: [...new Set(records.map((r) => r.region))].sort(), from: 'registry' };
}

const escaped = (name: string) => name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
const filterOf = (names: readonly string[]) => `^(?:${names.map(escaped).join('|')})$`;

/**
 * Exactly these table names, as backfill `tableFilter`s (RE2): `^(?:a|b)$`, each name's
 * metacharacters escaped, as few filters as fit backfill's pattern limit (MAX_PATTERN_LENGTH
 * characters; one escaped table name always fits): a first coverage run over an account that never
 * had its events may find hundreds of tables.
 */
export function exactNameFilters(tableNames: readonly string[], maxLength = MAX_PATTERN_LENGTH): string[] {
  const filters: string[][] = [];
  for (const name of tableNames) {
    const last = filters.at(-1);
    if (last !== undefined && filterOf([...last, name]).length <= maxLength) last.push(name);
    else filters.push([name]);
  }
  return filters.map(filterOf);
}

/** The record's latest drill that finished (a running one shows once it ends). */
function lastDrillOf(record: TableRecord | undefined): Pick<CoverageRow, 'lastDrill'> {
  const d = record?.drill;
  if (d === undefined || d.state === 'running') return {};
  return { lastDrill: { time: d.time, result: d.state, ...(d.why === undefined ? {} : { why: d.why }) } };
}
