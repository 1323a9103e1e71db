import type { WriterAccess } from '../../domain/policy';

/**
 * What the Data Pipeline export's EMR job does in the backup bucket, found from S3 access logs
 * (the blog's minimal policy, aws-facts §1): it writes and reads run folders and manifests, and
 * deletes only its own scratch objects — EMRFS `_$folder$` markers, S3 client-side-encryption
 * `.instruction` files and Data Pipeline logs. Keys are relative to the account's prefix.
 */
export const EXPORT_S3_ACCESS = {
  objects: { actions: ['s3:PutObject*', 's3:GetObject*'], key: '*' },
  cleanup: { actions: ['s3:DeleteObject'], keys: ['*/logs/*', '*_$folder$', '*.instruction'] },
  bucket: { actions: ['s3:ListBucket', 's3:GetBucketLocation'] },
} as const satisfies WriterAccess;
