import type { FakeBucketPolicyStore } from './fakes/bucket-policy-store';

/**
 * Writes into the fake backup bucket the files DynamoDB writes for a completed export (developer guide
 * S3DataExport.Output): `manifest-summary.json`, `manifest-files.json` listing each data file, and the data files.
 * Resolves the export's folder and its data keys.
 */
export function writeExportFiles(
  bucket: FakeBucketPolicyStore,
  prefix: string,
  exportId: string,
  dataFiles = 2,
): { folder: string; dataKeys: string[] } {
  const folder = `${prefix}/AWSDynamoDB/${exportId}/`;
  const dataKeys = Array.from({ length: dataFiles }, (_, i) => `${folder}data/file-${i}.json.gz`);
  const text = (s: string) => new TextEncoder().encode(s);
  bucket.bodies.set(
    `${folder}manifest-summary.json`,
    text(JSON.stringify({ itemCount: dataFiles, manifestFilesS3Key: `${folder}manifest-files.json` })),
  );
  bucket.bodies.set(
    `${folder}manifest-files.json`,
    text(dataKeys.map((k) => JSON.stringify({ itemCount: 1, dataFileS3Key: k })).join('\n')),
  );
  for (const k of dataKeys) bucket.bodies.set(k, text('gz'));
  return { folder, dataKeys };
}
