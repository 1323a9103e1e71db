import { SNAPSHOT_NAME, snapshotTime } from './snapshots';

/**
 * Freshness, pure: how old is each protected table's newest complete backup, and is it within the
 * recovery point objective (RPO_HOURS)? A table whose newest complete backup is older than the
 * objective, or that has none a day after its onboarding, is a finding.
 */

/** A table with no complete backup this long after its onboarding is a finding, whatever the objective. */
const FIRST_BACKUP_DUE_HOURS = 24;

/** An object of the backup bucket, as a listing gives it. */
export interface StoredObject {
  key: string;
  /** Bytes (ListObjectsV2's Size). */
  size?: number;
}

/** A table's newest complete backup (Data Pipeline: a run folder holding a manifest; native: a COMPLETED full export). */
export interface CompleteBackup {
  /** The run folder's name, or the export's id. */
  id: string;
  /** The point in time the backup holds (ISO 8601). */
  time: string;
  /** Data Pipeline: the run folder's objects' bytes; native: the export's billed size. */
  sizeBytes?: number;
}

/**
 * The newest complete run folder of each named table, from one listing of `ACCOUNT/REGION/` (every
 * table of that account and region at once): a run folder `ACCOUNT/REGION/TABLE/YYYY-MM-dd-HH-mm-ss/`
 * counts only when it holds a `manifest` (the export writes it last); its size is the sum of its
 * objects' sizes. Keys of other tables, of native exports (`TABLE/AWSDynamoDB/…`) and of logs are
 * passed over. A table without a complete run folder is absent from the map.
 */
export function newestCompleteRuns(
  accountId: string,
  region: string,
  tableNames: readonly string[],
  objects: readonly StoredObject[],
): Map<string, CompleteBackup> {
  const prefix = `${accountId}/${region}/`;
  const wanted = new Set(tableNames);
  const runs = new Map<string, Map<string, { bytes: number; sized: boolean; manifest: boolean }>>();
  for (const o of objects) {
    if (!o.key.startsWith(prefix)) continue;
    const [table, run, ...rest] = o.key.slice(prefix.length).split('/');
    if (table === undefined || !wanted.has(table) || run === undefined || !SNAPSHOT_NAME.test(run)) continue;
    if (rest.length === 0 || rest.join('/') === '') continue;
    const ofTable = runs.get(table) ?? new Map();
    const entry = ofTable.get(run) ?? { bytes: 0, sized: false, manifest: false };
    if (o.size !== undefined) {
      entry.bytes += o.size;
      entry.sized = true;
    }
    if (rest.length === 1 && rest[0] === 'manifest') entry.manifest = true;
    ofTable.set(run, entry);
    runs.set(table, ofTable);
  }
  const newest = new Map<string, CompleteBackup>();
  for (const [table, ofTable] of runs) {
    const complete = [...ofTable.entries()].filter(([, e]) => e.manifest).sort(([a], [b]) => b.localeCompare(a))[0];
    if (complete === undefined) continue;
    const [run, e] = complete;
    newest.set(table, { id: run, time: snapshotTime(run), ...(e.sized ? { sizeBytes: e.bytes } : {}) });
  }
  return newest;
}

/** What the report says of one protected table's freshness. */
export interface Freshness {
  newestBackup?: { time: string; ageHours: number; sizeBytes?: number; id: string };
  /** Over the objective, or no complete backup FIRST_BACKUP_DUE_HOURS after onboarding. */
  overObjective: boolean;
  /** The finding in words, with what to look at (only when over the objective). */
  why?: string;
  /** The hours this table has gone without a fresh backup, for the worst-age gauge: the backup's age, or (none yet) the hours since onboarding. */
  exposureHours: number;
}

const hoursBetween = (from: string, now: Date) =>
  Math.round(((now.getTime() - Date.parse(from)) / 3_600_000) * 10) / 10;

/**
 * Judges one protected table: `since` is when it was brought under backup (the record's
 * activatedAt, else its creation), `rpoHours` the objective (RPO_HOURS).
 */
export function judgeFreshness(
  newest: CompleteBackup | undefined,
  since: string,
  now: Date,
  rpoHours: number,
): Freshness {
  if (newest !== undefined) {
    const ageHours = Math.max(0, hoursBetween(newest.time, now));
    const over = ageHours > rpoHours;
    return {
      newestBackup: {
        id: newest.id,
        time: newest.time,
        ageHours,
        ...(newest.sizeBytes !== undefined ? { sizeBytes: newest.sizeBytes } : {}),
      },
      overObjective: over,
      ...(over
        ? {
            why: `newest complete backup ${newest.id} is ${ageHours} h old, over the ${rpoHours} h objective (RPO_HOURS): the nightly backups since have failed or not run`,
          }
        : {}),
      exposureHours: ageHours,
    };
  }
  const waited = Math.max(0, hoursBetween(since, now));
  const over = waited > FIRST_BACKUP_DUE_HOURS;
  return {
    overObjective: over,
    ...(over
      ? {
          why: `no complete backup ${waited} h after onboarding (${since}): the first nightly backup is due within ${FIRST_BACKUP_DUE_HOURS} h`,
        }
      : {}),
    exposureHours: waited,
  };
}
