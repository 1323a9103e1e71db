import type { CoverageStatus, CoverageTotals, UnprotectedCause } from './coverage';

/**
 * The operator's report, pure: one row per account, region and table, plus totals, and its
 * renderings (a terminal table, Markdown for a ticket, JSON for a script).
 */

export interface NewestBackup {
  /** When the backup was taken (ISO). */
  time: string;
  ageHours: number;
  sizeBytes?: number;
}

export interface DrillResult {
  time: string;
  result: 'passed' | 'failed' | 'skipped';
  why?: string;
}

export interface ReportRow {
  account: string;
  region: string;
  table: string;
  status: CoverageStatus;
  /** The engine backing the table up (protected tables, and tables whose record names one). */
  engine?: string;
  /** Excluded: by pattern, tag or as a drill's scratch table. Unprotected: the likely cause. */
  cause?: UnprotectedCause | 'pattern' | 'tag' | 'drill';
  /** The cause or the exclusion in words. */
  detail?: string;
  /** An unprotected table past the grace period. */
  finding: boolean;
  newestBackup?: NewestBackup;
  /** Whether the newest backup is older than the recovery point objective. */
  overObjective?: boolean;
  lastDrill?: DrillResult;
  lastError?: string;
  /** Over the objective: why, in words (a stale backup, or none a day after onboarding). */
  freshness?: string;
  /** The newest backup could not be read (the engine's or the bucket's role denied, throttling). */
  backupError?: string;
}

export interface ReportTotals extends CoverageTotals {
  overObjective: number;
  failedDrills: number;
}

export interface Report {
  generatedAt: string;
  regions: string[];
  rows: ReportRow[];
  totals: ReportTotals;
  unreachable: Array<{ account: string; region: string; error: string }>;
  /** What auto-repair did, or would do. */
  repairs: Array<{ account: string; region: string; tables: string[]; outcome: string; message: string }>;
}

export const REPORT_FORMATS = ['table', 'markdown', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const age = (hours: number) => (hours < 48 ? `${hours.toFixed(1)} h` : `${(hours / 24).toFixed(1)} d`);

const COLUMNS = [
  'account',
  'region',
  'table',
  'status',
  'engine',
  'newest backup',
  'age',
  'last drill',
  'cause / last error',
];

function cells(r: ReportRow): string[] {
  const status = r.finding ? `${r.status} !` : r.status;
  const why = [
    r.cause !== undefined ? `${r.cause}: ${r.detail ?? ''}` : undefined,
    r.freshness,
    r.backupError,
    r.lastError,
  ]
    .filter((x): x is string => x !== undefined && x !== '')
    .filter((x, i, all) => i === 0 || !all[0]?.includes(x));
  return [
    r.account,
    r.region,
    r.table,
    status,
    r.engine ?? '-',
    r.newestBackup?.time ?? '-',
    r.newestBackup !== undefined
      ? `${age(r.newestBackup.ageHours)}${r.overObjective ? ' !' : ''}`
      : r.overObjective
        ? 'none !'
        : '-',
    r.lastDrill !== undefined ? `${r.lastDrill.result} ${r.lastDrill.time}` : '-',
    why.join('; ') || '-',
  ];
}

function summaryLines(report: Report): string[] {
  const t = report.totals;
  const lines = [
    `coverage ${t.coveragePercent} % — ${t.tables} table${t.tables === 1 ? '' : 's'}: ${t.protected} protected, ${t.excluded} excluded, ${t.unprotected} unprotected (${t.findings} past the grace period); ${t.overObjective} over the objective; ${t.failedDrills} failed drill${t.failedDrills === 1 ? '' : 's'}`,
    `regions: ${report.regions.join(', ') || 'none'} · generated ${report.generatedAt}`,
  ];
  for (const u of report.unreachable) lines.push(`unreachable: ${u.account} ${u.region}: ${u.error}`);
  for (const r of report.repairs) lines.push(`repair (${r.outcome}) ${r.account} ${r.region}: ${r.message}`);
  return lines;
}

/** A fixed-width terminal table; `!` marks a finding. */
export function renderTable(report: Report): string {
  const rows = [COLUMNS, ...report.rows.map(cells)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [
    line(rows[0] as string[]),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.slice(1).map(line),
    '',
    ...summaryLines(report),
  ].join('\n');
}

/** A Markdown table (pipes in cells escaped), for a ticket. */
export function renderMarkdown(report: Report): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const row = (r: string[]) => `| ${r.map(esc).join(' | ')} |`;
  return [
    row(COLUMNS),
    `|${COLUMNS.map(() => '---').join('|')}|`,
    ...report.rows.map((r) => row(cells(r))),
    '',
    ...summaryLines(report).map((l) => `- ${l}`),
  ].join('\n');
}

export function render(report: Report, format: ReportFormat): string {
  if (format === 'json') return JSON.stringify(report, null, 2);
  return format === 'markdown' ? renderMarkdown(report) : renderTable(report);
}
