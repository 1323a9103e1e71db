import type { TableRef } from './table-ref';

/**
 * Where backups land in the backup bucket. Every account writes only below its own prefix:
 *   s3://BUCKET/ACCOUNT/REGION/TABLE/<run time YYYY-MM-dd-HH-mm-ss>/   (one folder per run)
 *   s3://BUCKET/ACCOUNT/REGION/TABLE/logs/                             (Data Pipeline logs)
 */
export function accountPrefix(accountId: string): string {
  return `${accountId}/`;
}

export function tablePrefix(ref: Pick<TableRef, 'accountId' | 'region' | 'tableName'>): string {
  return `${ref.accountId}/${ref.region}/${ref.tableName}/`;
}

export function tableOutputUri(bucket: string, ref: Pick<TableRef, 'accountId' | 'region' | 'tableName'>): string {
  return `s3://${bucket}/${tablePrefix(ref)}`;
}

export function tableLogUri(bucket: string, ref: Pick<TableRef, 'accountId' | 'region' | 'tableName'>): string {
  return `s3://${bucket}/${tablePrefix(ref)}logs/`;
}
