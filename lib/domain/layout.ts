import type { TableRef } from './table-ref';

/**
 * Where backups land in the backup bucket. Every account writes only below its own prefix:
 *   s3://BUCKET/ACCOUNT/REGION/TABLE/<run time YYYY-MM-dd-HH-mm-ss>/   (one folder per run: data files, manifest)
 *   s3://BUCKET/ACCOUNT/logs/REGION/TABLE/                             (Data Pipeline logs)
 *
 * The logs sit at the depth of the region, where only a region name (us-east-1, …: never
 * "logs") ever stands in a data key. So `ACCOUNT/logs/*` matches no data file and no manifest,
 * whatever the table is called — a table named `logs` keeps its data at ACCOUNT/REGION/logs/….
 */
export const LOGS_FOLDER = 'logs';

export function accountPrefix(accountId: string): string {
  return `${accountId}/`;
}

export function tablePrefix(ref: Pick<TableRef, 'accountId' | 'region' | 'tableName'>): string {
  return `${ref.accountId}/${ref.region}/${ref.tableName}/`;
}

export function tableOutputUri(bucket: string, ref: Pick<TableRef, 'accountId' | 'region' | 'tableName'>): string {
  return `s3://${bucket}/${tablePrefix(ref)}`;
}

/** The account's log folder (relative to the bucket): beside its regions, never below a table. */
export function logsPrefix(accountId: string): string {
  return `${accountPrefix(accountId)}${LOGS_FOLDER}/`;
}

export function tableLogUri(bucket: string, ref: Pick<TableRef, 'accountId' | 'region' | 'tableName'>): string {
  return `s3://${bucket}/${logsPrefix(ref.accountId)}${ref.region}/${ref.tableName}/`;
}
