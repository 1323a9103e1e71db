import { LOGS_FOLDER } from '../../domain/layout';
import type { WriterAccess } from '../../domain/policy';

/**
 * What the Data Pipeline export's EMR job does in the backup bucket, found from S3 access logs
 * (the blog's minimal policy, aws-facts §1), as exact actions rather than the blog's
 * `s3:PutObject*` / `s3:GetObject*` wildcards (which also grant retention, legal hold, tagging
 * and version ACL changes):
 * - `s3:PutObject`: data files, manifests, markers, logs (multipart uploads are PutObject too);
 * - `s3:PutObjectAcl`: EMRFS sends `x-amz-acl: bucket-owner-full-control` with every upload
 *   (`-Dfs.s3.canned.acl`), and S3 checks s3:PutObjectAcl for an upload carrying an ACL (S3 API
 *   PutObject, "Permissions"); the bucket policy denies every other ACL;
 * - `s3:GetObject`: EMRFS reads back (HEAD) what it wrote; a restore reads the snapshot;
 * - `s3:AbortMultipartUpload`: EMRFS aborts a failed multipart upload.
 * It deletes only its own scratch objects — EMRFS `_$folder$` markers, S3 client-side-encryption
 * `.instruction` files and Data Pipeline logs (in ACCOUNT/logs/, where no data ever is: see
 * layout.ts). Keys are relative to the account's prefix.
 */
export const EXPORT_S3_ACCESS = {
  objects: { actions: ['s3:PutObject', 's3:PutObjectAcl', 's3:GetObject', 's3:AbortMultipartUpload'], key: '*' },
  cleanup: { actions: ['s3:DeleteObject'], keys: [`${LOGS_FOLDER}/*`, '*_$folder$', '*.instruction'] },
  bucket: { actions: ['s3:ListBucket', 's3:GetBucketLocation'] },
} as const satisfies WriterAccess;
