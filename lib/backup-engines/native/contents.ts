import { constants, gunzipSync } from 'node:zlib';
import type { JsonItem } from '../../domain/drill';
import type { Snapshot } from '../../domain/snapshots';
import type { BackupContents } from '../../ports/backup-engine';
import type { BackupFiles } from '../../ports/drill';
import { importSource } from './exports';

/** Read of each data file for the sample: its first MiB, decompressed as far as it goes (whole lines only). */
const SAMPLE_BYTES = 1024 * 1024;

/**
 * An export's folder (`…/AWSDynamoDB/<ExportId>/`), its item count and the data files its manifests list:
 * `manifest-summary.json` (its `itemCount` and `manifestFilesS3Key`), then `manifest-files.json` (one JSON line
 * per data file: `dataFileS3Key`, `itemCount`). `text` reads an object, an error naming it when it is missing.
 */
export async function exportManifest(
  snapshot: Snapshot,
  read: (key: string, maxBytes?: number) => Promise<Uint8Array | undefined>,
): Promise<{
  base: string;
  itemCount: number;
  dataKeys: string[];
  text(key: string, max?: number): Promise<Buffer>;
}> {
  const { keyPrefix } = importSource(snapshot.location);
  const base = keyPrefix.replace(/data\/$/, '');
  const text = async (key: string, max?: number) => {
    const body = await read(key, max);
    if (body === undefined) throw new Error(`s3 object ${key} is missing from the backup`);
    return Buffer.from(body);
  };
  const summary = JSON.parse((await text(`${base}manifest-summary.json`)).toString()) as {
    itemCount?: unknown;
    manifestFilesS3Key?: unknown;
  };
  if (typeof summary.itemCount !== 'number')
    throw new Error(`${base}manifest-summary.json holds no itemCount: not a complete export`);
  const manifestKey =
    typeof summary.manifestFilesS3Key === 'string' ? summary.manifestFilesS3Key : `${base}manifest-files.json`;
  const dataKeys = (await text(manifestKey))
    .toString()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { dataFileS3Key?: string }).dataFileS3Key)
    .filter((k): k is string => typeof k === 'string');
  return { base, itemCount: summary.itemCount, dataKeys, text };
}

/**
 * An export's item count and a sample of its items, read as DynamoDB writes them (developer guide
 * S3DataExport.Output): `manifest-summary.json` (its `itemCount` and `manifestFilesS3Key`), then
 * `manifest-files.json` (one JSON line per data file: `dataFileS3Key`, `itemCount`), then the data
 * files themselves (gzip, one `{"Item":{…}}` per line). A data file the manifest lists and the
 * bucket lacks is an error naming it: the backup is not whole.
 */
export async function exportContents(
  snapshot: Snapshot,
  files: BackupFiles,
  sampleSize: number,
): Promise<BackupContents> {
  const { itemCount, dataKeys, text } = await exportManifest(snapshot, (key, max) => files.read(key, max));
  const sample: JsonItem[] = [];
  for (const key of dataKeys) {
    // Every listed file is read (its head only): a missing one fails the drill even when the sample is full.
    const body = await text(key, SAMPLE_BYTES);
    if (sample.length >= sampleSize) continue;
    const lines = gunzipSync(body, { finishFlush: constants.Z_SYNC_FLUSH }).toString().split('\n');
    // The last line of a head cut short may be partial: only lines followed by a newline are whole.
    for (const line of lines.slice(0, -1)) {
      if (sample.length >= sampleSize || line.trim() === '') continue;
      const item = (JSON.parse(line) as { Item?: JsonItem }).Item;
      if (item !== undefined) sample.push(item);
    }
  }
  return { itemCount, sample };
}
