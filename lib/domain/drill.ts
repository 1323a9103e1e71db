import { createHash } from 'node:crypto';
import { type TableRecord, WITH_BACKUP_RESOURCE } from './lifecycle';

/**
 * Restore drills, pure: the scratch table's name, which tables are due, what a drill records, and
 * how a restored item is compared with the backup's. A drill restores a table's newest complete
 * backup into a scratch table in the table's account, checks it, and deletes it.
 */

/** Every scratch table's name begins with this: the source template's drill role touches no other table. */
export const DRILL_TABLE_PREFIX = 'ddb-backup-drill-';
/** On a scratch table: the ARN of the table whose backup it holds. */
export const TAG_DRILL_OF = 'ddb-backup:drill-of';

/** A drill that has waited this long for its restore is abandoned: its scratch table is removed and the drill starts again. */
export const DRILL_ABANDONED_MS = 24 * 3_600_000;

export type DrillOutcome = 'passed' | 'failed' | 'skipped';

/** What the registry record of a table says of its latest drill (`drill` on the record). */
export interface DrillRecord {
  /** `running`: a restore started and not yet checked; the next run resumes it. */
  state: DrillOutcome | 'running';
  /** When the result was recorded, or the drill started (ISO). */
  time: string;
  /** Why it failed or was skipped, or what a pass checked. */
  why?: string;
  /** The snapshot restored (run folder or export id). */
  snapshot?: string;
  /** The scratch table, for as long as it may exist (removed once it is deleted). */
  scratchTable?: string;
  /** The engine's restore resource (native: the import's ARN). */
  importId?: string;
  /** When the running drill started (ISO). */
  startedAt?: string;
  expectedItems?: number;
  actualItems?: number;
  /** Items of the backup read back from the scratch table and compared. */
  sampled?: number;
}

/** `ddb-backup-drill-<10 hex of the source ARN's SHA-256>-<yyyymmdd>`: 36 characters, nobody's production table. */
export function scratchTableName(sourceTableArn: string, now: Date): string {
  const hash = createHash('sha256').update(sourceTableArn).digest('hex').slice(0, 10);
  return `${DRILL_TABLE_PREFIX}${hash}-${now.toISOString().slice(0, 10).replaceAll('-', '')}`;
}

export function isScratchTable(name: string): boolean {
  return name.startsWith(DRILL_TABLE_PREFIX) && name.length > DRILL_TABLE_PREFIX.length;
}

type Drillable = Pick<TableRecord, 'status' | 'tableArn'> & { drill?: DrillRecord };

/**
 * The tables a run drills, at most `perRun`: first those whose earlier drill left a scratch table
 * (running, or not yet deleted), then those never drilled, then the least recently drilled. Only
 * tables whose backup resource exists are drilled.
 */
export function dueForDrill<T extends Drillable>(records: readonly T[], perRun: number): T[] {
  const rank = (r: T) => (r.drill?.scratchTable !== undefined ? 0 : r.drill === undefined ? 1 : 2);
  return records
    .filter((r) => WITH_BACKUP_RESOURCE.includes(r.status) || r.drill?.scratchTable !== undefined)
    .sort(
      (a, b) =>
        rank(a) - rank(b) ||
        (a.drill?.time ?? '').localeCompare(b.drill?.time ?? '') ||
        a.tableArn.localeCompare(b.tableArn),
    )
    .slice(0, perRun);
}

/** How many runs a schedule expression makes in 30 days, when it says (`rate(…)`); undefined for a cron expression. */
export function runsPerMonth(cadence: string): number | undefined {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(cadence);
  if (m === null) return undefined;
  const unitMinutes = m[2]?.startsWith('minute') ? 1 : m[2]?.startsWith('hour') ? 60 : 1440;
  return (30 * 1440) / (Number(m[1]) * unitMinutes);
}

/** A schedule expression EventBridge takes: `rate(N unit)` (singular for 1) or `cron(6 fields)`. */
export function isScheduleExpression(v: string): boolean {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(v);
  if (rate !== null) return Number(rate[1]) > 0 && (rate[1] === '1') === !rate[2]?.endsWith('s');
  return /^cron\(\S+( \S+){5}\)$/.test(v);
}

/** A DynamoDB-JSON item (`{"pk":{"S":"a"}}`), as an export's data file and GetItem both give it. */
export type JsonItem = Record<string, unknown>;

/** The item in a canonical form: sets sorted, map keys ordered, so that equal items print equal. */
function canonicalItem(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalItem);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[k];
    out[k] =
      (k === 'SS' || k === 'NS' || k === 'BS') && Array.isArray(v) ? [...v].map(String).sort() : canonicalItem(v);
  }
  return out;
}

/** The key attributes of `item` named by the key schema's attribute names. */
export function keyOf(item: JsonItem, keyNames: readonly string[]): JsonItem | undefined {
  const key: JsonItem = {};
  for (const name of keyNames) {
    if (item[name] === undefined) return undefined;
    key[name] = item[name];
  }
  return key;
}

/** Whether two DynamoDB-JSON items hold the same attributes and values. */
export function sameItem(a: JsonItem, b: JsonItem): boolean {
  return JSON.stringify(canonicalItem(a)) === JSON.stringify(canonicalItem(b));
}
