import { tablePrefix } from '../../domain/layout';
import type { Snapshot } from '../../domain/snapshots';
import type { TableRef } from '../../domain/table-ref';
import { RestoreRefusedError } from '../../errors';
import type { BackupBucket } from '../../ports/bucket-policy-store';
import { exportManifest } from './contents';
import { importSource } from './exports';

/** At most this many keys are named in a refusal (the rest are counted). */
const NAMED = 5;

const named = (keys: readonly string[]) =>
  keys.length <= NAMED ? keys.join(', ') : `${keys.slice(0, NAMED).join(', ')} and ${keys.length - NAMED} more`;

/**
 * Refuses (RestoreRefusedError) to import a native export that is not exactly what DynamoDB wrote: the export must
 * be in the backup bucket under the table's own prefix (`ACCOUNT/REGION/TABLE/AWSDynamoDB/<ExportId>/`); no object
 * under its folder may have more than one version or a delete marker (the source account can PutObject in its
 * prefix, and an overwrite of a versioned object adds a version); and every `data/` object must be one its
 * `manifest-files.json` lists (ImportTable imports every object under the prefix, so an added file would be
 * imported). Reads through `bucket` (the snapshot-reader role): ListObjectVersions of the folder, the manifests.
 */
export async function checkExportUnaltered(
  source: TableRef,
  snapshot: Snapshot,
  backupBucket: string,
  bucket: BackupBucket,
): Promise<void> {
  const from = importSource(snapshot.location);
  const folder = `${tablePrefix(source)}AWSDynamoDB/${snapshot.snapshot}/`;
  const refuse = (why: string): never => {
    throw new RestoreRefusedError(`snapshot ${snapshot.snapshot} of ${source.tableArn} is not restored: ${why}`);
  };
  if (from.bucket !== backupBucket)
    refuse(`its export is in bucket ${from.bucket}, not in the backup bucket ${backupBucket}`);
  if (from.keyPrefix !== `${folder}data/`)
    refuse(`its export is under ${from.keyPrefix.replace(/data\/$/, '')}, not under the table's own ${folder}`);

  const versions = await bucket.listVersions(folder);
  const byKey = new Map<string, number>();
  for (const v of versions) byKey.set(v.key, (byKey.get(v.key) ?? 0) + 1);
  const deleted = [...new Set(versions.filter((v) => v.deleteMarker).map((v) => v.key))].sort();
  if (deleted.length > 0) refuse(`objects of its export were deleted after it was written: ${named(deleted)}`);
  const rewritten = [...byKey].filter(([, n]) => n > 1).map(([k]) => k);
  if (rewritten.length > 0)
    refuse(`objects of its export were overwritten after it was written (more than one version): ${named(rewritten)}`);

  // A manifest missing or not what DynamoDB writes refuses the restore; a read that fails (denied, unreachable) fails it.
  const failed = new Set<unknown>();
  const read = (key: string) =>
    bucket.read(key).catch((e: unknown) => {
      failed.add(e);
      throw e;
    });
  const { dataKeys } = await exportManifest(snapshot, read).catch((e: unknown) => {
    if (failed.has(e)) throw e;
    return refuse(`its manifests cannot be read (${(e as Error).message})`);
  });
  const listed = new Set(dataKeys);
  const present = [...byKey.keys()].filter((k) => k.startsWith(`${folder}data/`));
  const extra = present.filter((k) => !listed.has(k)).sort();
  if (extra.length > 0)
    refuse(`data files its manifest-files.json does not list were added to its export: ${named(extra)}`);
  const have = new Set(present);
  const missing = dataKeys.filter((k) => !have.has(k));
  if (missing.length > 0) refuse(`data files its manifest-files.json lists are missing: ${named(missing)}`);
}
