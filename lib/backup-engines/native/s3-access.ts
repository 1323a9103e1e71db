import type { WriterAccess } from '../../domain/policy';

/**
 * What DynamoDB's native export (`ExportTableToPointInTime`) does in the backup bucket: the set
 * AWS documents for exporting to a bucket of another account — `s3:PutObject`,
 * `s3:AbortMultipartUpload` and `s3:PutObjectAcl` on the destination (DynamoDB developer guide,
 * "Requesting a table export in DynamoDB", S3DataExport_Requesting.html, "Set up S3
 * permissions"). Nothing else: an export reads, lists and deletes nothing, so the grant has no
 * cleanup keys and no bucket-level action. The restore (`ImportTable`) reads with the restore
 * role's credentials, granted apart (lib/domain/policy.ts restoreReadStatements). Keys are
 * relative to the account's prefix.
 */
export const NATIVE_EXPORT_S3_ACCESS = {
  objects: { actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:PutObjectAcl'], key: '*' },
} as const satisfies WriterAccess;
