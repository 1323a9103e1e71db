import { tablePrefix } from './layout';
import type { TableRef } from './table-ref';

/** A run folder of a table's export: `ACCOUNT/REGION/TABLE/YYYY-MM-dd-HH-mm-ss/`. Pure. */
export const SNAPSHOT_NAME = /^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$/;

export interface Snapshot {
  /** The run folder's name, e.g. 2026-11-26-03-00-00. */
  snapshot: string;
  /** The scheduled time of the run, ISO 8601 UTC. */
  time: string;
  /** s3://BUCKET/ACCOUNT/REGION/TABLE/SNAPSHOT/ */
  location: string;
  /** Objects in the run folder (data files and the manifest; Data Pipeline). */
  objects?: number;
  /** Items and billed bytes (native export: DescribeExport's ItemCount and BilledSizeBytes). */
  itemCount?: number;
  sizeBytes?: number;
}

export interface SnapshotListing {
  /** Complete snapshots (their run folder holds a manifest), newest first. */
  snapshots: Snapshot[];
  /** Run folders without a manifest: an export still running, or one that failed. */
  incomplete: string[];
}

export function snapshotTime(name: string): string {
  const [y, mo, d, h, mi, s] = name.split('-');
  return `${y}-${mo}-${d}T${h}:${mi}:${s}Z`;
}

/** Reads the keys listed under a table's prefix into its snapshots. */
export function snapshotsFrom(
  bucket: string,
  table: Pick<TableRef, 'accountId' | 'region' | 'tableName'>,
  keys: readonly string[],
): SnapshotListing {
  const prefix = tablePrefix(table);
  const runs = new Map<string, { objects: number; manifest: boolean }>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const [run, ...rest] = key.slice(prefix.length).split('/');
    if (run === undefined || !SNAPSHOT_NAME.test(run) || rest.length === 0 || rest.join('/') === '') continue;
    const entry = runs.get(run) ?? { objects: 0, manifest: false };
    entry.objects++;
    if (rest.length === 1 && rest[0] === 'manifest') entry.manifest = true;
    runs.set(run, entry);
  }
  const names = [...runs.keys()].sort().reverse();
  return {
    snapshots: names
      .filter((n) => runs.get(n)?.manifest)
      .map((n) => ({
        snapshot: n,
        time: snapshotTime(n),
        location: `s3://${bucket}/${prefix}${n}/`,
        objects: runs.get(n)?.objects ?? 0,
      })),
    incomplete: names.filter((n) => !runs.get(n)?.manifest),
  };
}
