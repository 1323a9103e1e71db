/**
 * The parts of the S3 client the product uses (ListObjectsV2 through its paginator, GetObject for the drill and a restore's manifests, ListObjectVersions for a restore's check), and nothing else. Loaded lazily (see
 * bucket-policy.ts); named imports let the bundler leave the rest of the S3 client out, where
 * `require('@aws-sdk/client-s3')` kept every command and schema of S3 in every bundle.
 */
export {
  GetBucketPolicyCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketPolicyCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
