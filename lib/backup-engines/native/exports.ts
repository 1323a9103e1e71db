import { createHash } from 'node:crypto';
import type { Snapshot, SnapshotListing } from '../../domain/snapshots';
import type { BackupRuns } from '../../ports/backup-engine';
import type { ExportInfo } from './api';

/** What the native engine reads from exports and imports (pure). */

/** An export's id: the last part of its ARN (`…:table/T/export/01695353076000-06e2188f`). */
function exportId(exportArn: string): string {
  return exportArn.slice(exportArn.lastIndexOf('/') + 1);
}

/** AWS's export ids begin with 14 digits that grow with the export's start (`01695353076000-06e2188f`). */
const TIMED_ID = /^(\d{14})-/;

/**
 * Export ARNs, the likely newest first, and whether that order can be trusted: ListExports gives no
 * times, so when every id begins with its 14 growing digits they order the list; otherwise (another
 * id format) the caller must describe every export to know which is newest.
 */
export function likelyNewestFirst(arns: readonly string[]): { arns: string[]; ordered: boolean } {
  const ordered = arns.every((a) => TIMED_ID.test(exportId(a)));
  return { arns: ordered ? [...arns].sort((a, b) => exportId(b).localeCompare(exportId(a))) : [...arns], ordered };
}

const timeOf = (e: ExportInfo) => e.time ?? e.startTime ?? '';

/** Described exports, newest first by the point in time each holds. */
function byTimeNewestFirst(exports: readonly ExportInfo[]): ExportInfo[] {
  return [...exports].sort((a, b) => timeOf(b).localeCompare(timeOf(a)));
}

/** The newest export (described), and when the newest completed one was taken. */
export function runsOf(described: readonly ExportInfo[]): BackupRuns {
  const sorted = byTimeNewestFirst(described);
  const newest = sorted[0];
  const completed = sorted.find((e) => e.status === 'COMPLETED');
  return {
    ...(newest === undefined
      ? {}
      : {
          newest: {
            id: exportId(newest.arn),
            status: newest.status,
            time: timeOf(newest) || undefined,
            itemCount: newest.itemCount,
            sizeBytes: newest.sizeBytes,
            failure: newest.failure,
          },
        }),
    ...(completed === undefined ? {} : { newestCompletedTime: timeOf(completed) || undefined }),
  };
}

/** Where an export's files are: `s3://BUCKET/PREFIX/AWSDynamoDB/<ExportId>/` (DynamoDB DG, S3DataExport.Output). */
function exportLocation(e: Pick<ExportInfo, 'arn' | 'bucket' | 'prefix'>): string {
  const prefix = e.prefix === undefined || e.prefix === '' ? '' : `${e.prefix.replace(/\/$/, '')}/`;
  return `s3://${e.bucket ?? ''}/${prefix}AWSDynamoDB/${exportId(e.arn)}/`;
}

/** A table's restorable snapshots: its COMPLETED full exports, newest first; the others (running, failed) by id. */
export function snapshotsOfExports(described: readonly ExportInfo[]): SnapshotListing {
  const sorted = byTimeNewestFirst(described.filter((e) => e.type === undefined || e.type === 'FULL_EXPORT'));
  const snapshots: Snapshot[] = sorted
    .filter((e) => e.status === 'COMPLETED')
    .map((e) => ({
      snapshot: exportId(e.arn),
      time: timeOf(e),
      location: exportLocation(e),
      ...(e.itemCount === undefined ? {} : { itemCount: e.itemCount }),
      ...(e.sizeBytes === undefined ? {} : { sizeBytes: e.sizeBytes }),
    }));
  return { snapshots, incomplete: sorted.filter((e) => e.status !== 'COMPLETED').map((e) => exportId(e.arn)) };
}

/** The bucket and the key prefix of an export's data files, from its snapshot location (what ImportTable reads). */
export function importSource(location: string): { bucket: string; keyPrefix: string } {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(location);
  if (m === null) throw new Error(`not an S3 location: ${location}`);
  return { bucket: m[1] as string, keyPrefix: `${(m[2] as string).replace(/\/$/, '')}/data/` };
}

/**
 * ImportTable's ClientToken for restoring `snapshotLocation` into `targetArn`: the same request
 * again (within DynamoDB's idempotency window) returns the same import instead of a second one.
 */
export function importClientToken(targetArn: string, snapshotLocation: string): string {
  return createHash('sha256').update(`${targetArn}\n${snapshotLocation}`).digest('hex').slice(0, 32);
}
