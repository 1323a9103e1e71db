/**
 * The access matrix the bucket policy must satisfy: what the export of an onboarded account may
 * do in its own prefix, and everything it (or anyone else) must not. Pure data; the evaluation
 * (with an offline IAM policy simulator) lives with the tests and `npm run plan`, never in a Lambda.
 */

export interface AccessCase {
  /** What is being tried, in words. */
  name: string;
  /** Account of the principal (the Data Pipeline resource role of that account). */
  account: string;
  action: string;
  /** Object key (without the bucket), or undefined for a bucket-level action. */
  key?: string;
  /** For ListBucket: the prefix listed. */
  listPrefix?: string;
  /** false: the request comes over plain HTTP. */
  secure: boolean;
  expected: 'allow' | 'deny';
}

const RUN = '2026-11-26-03-00-00';
const DATA = 'ae10f955-6f0c-4b43-9c2c-71d6fbbd46b1_000000';

/**
 * `own` and `other` are onboarded accounts; `outsider` never was (for the organization layout:
 * an account outside the organization).
 */
export function accessMatrix(own: string, other: string, outsider: string, region = 'us-east-1', table = 'orders'): AccessCase[] {
  const run = (account: string) => `${account}/${region}/${table}/${RUN}`;
  const logs = (account: string) => `${account}/${region}/${table}/logs/df-0123456789ABCDEF/TableBackupActivity/@TableBackupActivity_2026-11-26T03:00:00/attempt.log`;
  const c = (name: string, account: string, action: string, key: string | undefined, expected: 'allow' | 'deny', extra: Partial<AccessCase> = {}): AccessCase => ({
    name,
    account,
    action,
    key,
    secure: true,
    expected,
    ...extra,
  });
  return [
    // What the export does in its own prefix: allowed.
    c('write a data file of a run', own, 's3:PutObject', `${run(own)}/${DATA}`, 'allow'),
    c('write the manifest of a run', own, 's3:PutObject', `${run(own)}/manifest`, 'allow'),
    c('read a data file of a run', own, 's3:GetObject', `${run(own)}/${DATA}`, 'allow'),
    c('read the manifest of a run', own, 's3:GetObject', `${run(own)}/manifest`, 'allow'),
    c('write a _$folder$ marker', own, 's3:PutObject', `${run(own)}_$folder$`, 'allow'),
    c('delete a _$folder$ marker', own, 's3:DeleteObject', `${run(own)}_$folder$`, 'allow'),
    c('delete a nested _$folder$ marker', own, 's3:DeleteObject', `${own}/${region}/${table}_$folder$`, 'allow'),
    c('write a .instruction file', own, 's3:PutObject', `${run(own)}/${DATA}.instruction`, 'allow'),
    c('delete a .instruction file', own, 's3:DeleteObject', `${run(own)}/${DATA}.instruction`, 'allow'),
    c('write a pipeline log', own, 's3:PutObject', logs(own), 'allow'),
    c('delete a pipeline log', own, 's3:DeleteObject', logs(own), 'allow'),
    c('list its own prefix', own, 's3:ListBucket', undefined, 'allow', { listPrefix: `${own}/${region}/${table}/` }),
    c('get the bucket location', own, 's3:GetBucketLocation', undefined, 'allow'),
    c('the other account writes in its own prefix', other, 's3:PutObject', `${run(other)}/${DATA}`, 'allow'),
    c('the other account deletes its own log', other, 's3:DeleteObject', logs(other), 'allow'),
    // Its own backups cannot be destroyed.
    c('delete a data file of its own run', own, 's3:DeleteObject', `${run(own)}/${DATA}`, 'deny'),
    c('delete the manifest of its own run', own, 's3:DeleteObject', `${run(own)}/manifest`, 'deny'),
    c('delete a version of its own data file', own, 's3:DeleteObjectVersion', `${run(own)}/${DATA}`, 'deny'),
    c('write outside any account prefix', own, 's3:PutObject', `${table}/${RUN}/manifest`, 'deny'),
    c('write under a prefix that only starts with its id', own, 's3:PutObject', `${own}0/${region}/${table}/x`, 'deny'),
    // Another onboarded account's prefix: nothing.
    c("read another account's data file", own, 's3:GetObject', `${run(other)}/${DATA}`, 'deny'),
    c("read another account's manifest", own, 's3:GetObject', `${run(other)}/manifest`, 'deny'),
    c("write into another account's prefix", own, 's3:PutObject', `${run(other)}/${DATA}`, 'deny'),
    c("delete another account's data file", own, 's3:DeleteObject', `${run(other)}/${DATA}`, 'deny'),
    c("delete another account's log", own, 's3:DeleteObject', logs(other), 'deny'),
    c("delete another account's _$folder$ marker", own, 's3:DeleteObject', `${run(other)}_$folder$`, 'deny'),
    c("delete another account's .instruction file", own, 's3:DeleteObject', `${run(other)}/${DATA}.instruction`, 'deny'),
    // An account never onboarded: nothing at all.
    c('a never-onboarded account writes in its own prefix', outsider, 's3:PutObject', `${run(outsider)}/${DATA}`, 'deny'),
    c('a never-onboarded account reads an onboarded prefix', outsider, 's3:GetObject', `${run(own)}/${DATA}`, 'deny'),
    c('a never-onboarded account deletes a log', outsider, 's3:DeleteObject', logs(outsider), 'deny'),
    c('a never-onboarded account lists the bucket', outsider, 's3:ListBucket', undefined, 'deny', { listPrefix: `${outsider}/` }),
    c('a never-onboarded account gets the bucket location', outsider, 's3:GetBucketLocation', undefined, 'deny'),
    // Bucket administration: never.
    ...[
      's3:PutBucketPolicy',
      's3:DeleteBucketPolicy',
      's3:GetBucketPolicy',
      's3:DeleteBucket',
      's3:PutLifecycleConfiguration',
      's3:PutBucketVersioning',
      's3:PutEncryptionConfiguration',
      's3:PutBucketPublicAccessBlock',
      's3:PutBucketOwnershipControls',
      's3:PutBucketObjectLockConfiguration',
      's3:PutBucketAcl',
    ].map((action) => c(`administer the bucket: ${action}`, own, action, undefined, 'deny')),
    // Plain HTTP: never, even for what is otherwise allowed.
    c('write a data file over plain HTTP', own, 's3:PutObject', `${run(own)}/${DATA}`, 'deny', { secure: false }),
    c('read the manifest over plain HTTP', own, 's3:GetObject', `${run(own)}/manifest`, 'deny', { secure: false }),
    c('delete a log over plain HTTP', own, 's3:DeleteObject', logs(own), 'deny', { secure: false }),
    c('list its own prefix over plain HTTP', own, 's3:ListBucket', undefined, 'deny', { secure: false, listPrefix: `${own}/` }),
  ];
}
