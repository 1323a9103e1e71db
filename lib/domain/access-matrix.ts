import { logsPrefix } from './layout';
import { PROTECTED_ACTIONS } from './policy';

/**
 * The access matrices the bucket policy must satisfy, one per engine: what the export of an
 * onboarded account may do in its own prefix (and, for the native engine, what its restore role
 * may read), and everything it (or anyone else) must not. Pure data; the evaluation (with an
 * offline IAM policy simulator) lives with the tests and `npm run plan`, never in a Lambda.
 */

export interface AccessCase {
  /** What is being tried, in words. */
  name: string;
  /** Account of the principal. */
  account: string;
  /** Role of the principal in its account (default: the Data Pipeline resource role, DP_WRITER_ROLE). */
  role?: string;
  action: string;
  /** Object key (without the bucket), or undefined for a bucket-level action. */
  key?: string;
  /** For ListBucket: the prefix listed. */
  listPrefix?: string;
  /** Condition keys the request carries (its S3 headers), e.g. `s3:x-amz-acl`. */
  context?: Record<string, string>;
  /** false: the request comes over plain HTTP. */
  secure: boolean;
  expected: 'allow' | 'deny';
  /**
   * Would alter or destroy a finished backup: it must be refused by an explicit Deny, so that it
   * stays refused whatever another statement of the policy may allow.
   */
  explicit?: boolean;
}

/** The role the Data Pipeline export's EMR cluster runs as, in each source account. */
export const DP_WRITER_ROLE = 'DataPipelineDefaultResourceRole';
/** A role standing for the native export's writer (the schedule's execution role): the grant names the account, not the role. */
const NATIVE_WRITER_ROLE = 'ddb-backup-export';
/** Any other role of a source account (an application, a developer). */
const OTHER_ROLE = 'some-application';
/** The drill's source role beside a restore role (`<SOURCE_ROLE_NAME>-restore` → `<SOURCE_ROLE_NAME>-drill`). */
const drillRole = (restoreRole: string) => restoreRole.replace(/-restore$/, '-drill');
const RUN = '2026-11-26-03-00-00';
const EXPORT_ID = '01764111600000-a1b2c3d4';
const DATA = 'ae10f955-6f0c-4b43-9c2c-71d6fbbd46b1_000000';

/**
 * Table names made of the layout's own words: the log folder, the manifest, the native export's
 * folder, a region, a run folder, the scratch suffix. None may turn a data file or a manifest
 * into something a writer can delete or alter.
 */
export const LAYOUT_WORD_TABLES = ['logs', 'manifest', 'AWSDynamoDB', 'us-east-1', RUN, 'export.instruction'] as const;

/**
 * `own` and `other` are onboarded accounts; `outsider` never was (for the organization layout:
 * an account outside the organization). With `owner` (the backup account), the matrix also
 * shows that the denies leave the bucket's own account in charge (object lock still binds it).
 */
export function accessMatrix(
  own: string,
  other: string,
  outsider: string,
  region = 'us-east-1',
  table = 'orders',
  owner?: string,
): AccessCase[] {
  const run = (account: string) => `${account}/${region}/${table}/${RUN}`;
  const logs = (account: string) =>
    `${logsPrefix(account)}${region}/${table}/df-0123456789ABCDEF/TableBackupActivity/@TableBackupActivity_2026-11-26T03:00:00/attempt.log`;
  const c = (
    name: string,
    account: string,
    action: string,
    key: string | undefined,
    expected: 'allow' | 'deny',
    extra: Partial<AccessCase> = {},
  ): AccessCase => ({
    name,
    account,
    action,
    key,
    secure: true,
    expected,
    ...extra,
  });
  const data = `${run(own)}/${DATA}`;
  const manifest = `${run(own)}/manifest`;
  const finished: Array<[string, string]> = [
    ['a data file', data],
    ['the manifest', manifest],
  ];
  /** Denied, and by an explicit Deny: it would alter a finished backup. */
  const never = (name: string, action: string, key: string, extra: Partial<AccessCase> = {}) =>
    c(name, own, action, key, 'deny', { explicit: true, ...extra });
  return [
    // What the export does in its own prefix: allowed.
    c('write a data file of a run', own, 's3:PutObject', data, 'allow'),
    c('write the manifest of a run', own, 's3:PutObject', manifest, 'allow'),
    c('upload with the bucket-owner-full-control ACL (EMRFS canned ACL)', own, 's3:PutObjectAcl', data, 'allow', {
      context: { 's3:x-amz-acl': 'bucket-owner-full-control' },
    }),
    c('read a data file of a run', own, 's3:GetObject', data, 'allow'),
    c('read the manifest of a run', own, 's3:GetObject', manifest, 'allow'),
    c('abort a multipart upload of a data file', own, 's3:AbortMultipartUpload', data, 'allow'),
    c('write a _$folder$ marker', own, 's3:PutObject', `${run(own)}_$folder$`, 'allow'),
    c('delete a _$folder$ marker', own, 's3:DeleteObject', `${run(own)}_$folder$`, 'allow'),
    c('delete a nested _$folder$ marker', own, 's3:DeleteObject', `${own}/${region}/${table}_$folder$`, 'allow'),
    c('write a .instruction file', own, 's3:PutObject', `${data}.instruction`, 'allow'),
    c('delete a .instruction file', own, 's3:DeleteObject', `${data}.instruction`, 'allow'),
    c('write a pipeline log', own, 's3:PutObject', logs(own), 'allow'),
    c('delete a pipeline log', own, 's3:DeleteObject', logs(own), 'allow'),
    c('list its own prefix', own, 's3:ListBucket', undefined, 'allow', { listPrefix: `${own}/${region}/${table}/` }),
    c('get the bucket location', own, 's3:GetBucketLocation', undefined, 'allow'),
    c('the other account writes in its own prefix', other, 's3:PutObject', `${run(other)}/${DATA}`, 'allow'),
    c('the other account deletes its own log', other, 's3:DeleteObject', logs(other), 'allow'),
    // Overwrite in place: allowed, as a new version. The old version stays: no writer can delete
    // a version, change its lock or bypass governance mode (the explicit denies below).
    c('overwrite a data file in place (a new version; the old one stays locked)', own, 's3:PutObject', data, 'allow'),
    c(
      'overwrite the manifest in place (a new version; the old one stays locked)',
      own,
      's3:PutObject',
      manifest,
      'allow',
    ),
    // A finished backup cannot be destroyed or altered by its own account.
    ...finished.flatMap(([what, key]) => [
      never(`delete ${what} of its own run (a delete marker)`, 's3:DeleteObject', key),
      never(`delete a version of ${what}`, 's3:DeleteObjectVersion', key),
      never(`shorten or remove the retention of ${what}`, 's3:PutObjectRetention', key),
      never(`set or lift a legal hold on ${what}`, 's3:PutObjectLegalHold', key),
      never(`bypass governance mode on ${what}`, 's3:BypassGovernanceRetention', key),
      never(`re-encrypt ${what} in place`, 's3:UpdateObjectEncryption', key),
    ]),
    never('overwrite the manifest with a customer-provided key (SSE-C)', 's3:PutObject', manifest, {
      context: { 's3:x-amz-server-side-encryption-customer-algorithm': 'AES256' },
    }),
    // Encryption and storage class: the bucket's default (SSE-S3, STANDARD), asked for or not; nothing else.
    c('write a data file asking for SSE-S3 (AES256)', own, 's3:PutObject', data, 'allow', {
      context: { 's3:x-amz-server-side-encryption': 'AES256' },
    }),
    c('write a data file asking for the STANDARD storage class', own, 's3:PutObject', data, 'allow', {
      context: { 's3:x-amz-storage-class': 'STANDARD' },
    }),
    never('overwrite the manifest encrypted under a KMS key of its own (SSE-KMS)', 's3:PutObject', manifest, {
      context: { 's3:x-amz-server-side-encryption': 'aws:kms' },
    }),
    never('overwrite the manifest into an archive storage class', 's3:PutObject', manifest, {
      context: { 's3:x-amz-storage-class': 'DEEP_ARCHIVE' },
    }),
    never(
      'write a data file with a customer-provided key (SSE-C)',
      's3:PutObject',
      `${run(own)}/${DATA.replace('000000', '000001')}`,
      {
        context: { 's3:x-amz-server-side-encryption-customer-algorithm': 'AES256' },
      },
    ),
    never('set a private ACL on the manifest', 's3:PutObjectAcl', manifest, { context: { 's3:x-amz-acl': 'private' } }),
    never('grant an ACL on the manifest in the request body', 's3:PutObjectAcl', manifest),
    ...PROTECTED_ACTIONS.filter(
      (a) =>
        ![
          's3:DeleteObjectVersion',
          's3:PutObjectRetention',
          's3:PutObjectLegalHold',
          's3:BypassGovernanceRetention',
          's3:UpdateObjectEncryption',
        ].includes(a),
    ).map((action) => never(`${action.slice(3)} on the manifest`, action, manifest)),
    never(
      'delete an object named like a log below the table (the old log place)',
      's3:DeleteObject',
      `${own}/${region}/${table}/logs/${RUN}/attempt.log`,
    ),
    c('read an older version of the manifest', own, 's3:GetObjectVersion', manifest, 'deny'),
    c('write outside any account prefix', own, 's3:PutObject', `${table}/${RUN}/manifest`, 'deny'),
    c('write under a prefix that only starts with its id', own, 's3:PutObject', `${own}0/${region}/${table}/x`, 'deny'),
    // Another onboarded account's prefix: nothing.
    c("read another account's data file", own, 's3:GetObject', `${run(other)}/${DATA}`, 'deny'),
    c("read another account's manifest", own, 's3:GetObject', `${run(other)}/manifest`, 'deny'),
    c("write into another account's prefix", own, 's3:PutObject', `${run(other)}/${DATA}`, 'deny'),
    c("delete another account's data file", own, 's3:DeleteObject', `${run(other)}/${DATA}`, 'deny', {
      explicit: true,
    }),
    c("delete another account's log", own, 's3:DeleteObject', logs(other), 'deny'),
    c("delete another account's _$folder$ marker", own, 's3:DeleteObject', `${run(other)}_$folder$`, 'deny'),
    c(
      "delete another account's .instruction file",
      own,
      's3:DeleteObject',
      `${run(other)}/${DATA}.instruction`,
      'deny',
    ),
    c(
      "delete a version of another account's manifest",
      own,
      's3:DeleteObjectVersion',
      `${run(other)}/manifest`,
      'deny',
      { explicit: true },
    ),
    // An account never onboarded: nothing at all.
    c(
      'a never-onboarded account writes in its own prefix',
      outsider,
      's3:PutObject',
      `${run(outsider)}/${DATA}`,
      'deny',
    ),
    c('a never-onboarded account reads an onboarded prefix', outsider, 's3:GetObject', `${run(own)}/${DATA}`, 'deny'),
    c('a never-onboarded account deletes a log', outsider, 's3:DeleteObject', logs(outsider), 'deny'),
    c(
      'a never-onboarded account deletes a version of a manifest',
      outsider,
      's3:DeleteObjectVersion',
      manifest,
      'deny',
      { explicit: true },
    ),
    c('a never-onboarded account lists the bucket', outsider, 's3:ListBucket', undefined, 'deny', {
      listPrefix: `${outsider}/`,
    }),
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
    c('write a data file over plain HTTP', own, 's3:PutObject', data, 'deny', { secure: false }),
    c('read the manifest over plain HTTP', own, 's3:GetObject', manifest, 'deny', { secure: false }),
    c('delete a log over plain HTTP', own, 's3:DeleteObject', logs(own), 'deny', { secure: false }),
    c('list its own prefix over plain HTTP', own, 's3:ListBucket', undefined, 'deny', {
      secure: false,
      listPrefix: `${own}/`,
    }),
    // The bucket's own account keeps its administration of versions and locks (S3 object lock
    // still refuses it a locked version in compliance mode, or in governance mode without bypass).
    ...(owner === undefined
      ? []
      : [
          c('the backup account deletes a version of the manifest', owner, 's3:DeleteObjectVersion', manifest, 'allow'),
          c(
            'the backup account extends the retention of the manifest',
            owner,
            's3:PutObjectRetention',
            manifest,
            'allow',
          ),
          c('the backup account deletes a version over plain HTTP', owner, 's3:DeleteObjectVersion', manifest, 'deny', {
            secure: false,
          }),
        ]),
  ];
}

/**
 * The native engine's matrix for an account holding the native grant (`own`; `other` holds it
 * too; `outsider` never was granted). The export writes, and only writes, below its own prefix;
 * its restore role (`restoreRole`, `<SOURCE_ROLE_NAME>-restore`) reads and lists its own prefix
 * and nothing else; any other role of the account reads nothing. The denies that protect a
 * finished backup hold as they do for Data Pipeline.
 */
export function nativeAccessMatrix(
  own: string,
  other: string,
  outsider: string,
  restoreRole: string,
  region = 'us-east-1',
  table = 'orders',
  owner?: string,
): AccessCase[] {
  const exportDir = (account: string) => `${account}/${region}/${table}/AWSDynamoDB/${EXPORT_ID}`;
  const data = (account: string) => `${exportDir(account)}/data/abcdefghijklmnopqrstuvwxyz.json.gz`;
  const summary = (account: string) => `${exportDir(account)}/manifest-summary.json`;
  const c = (
    name: string,
    account: string,
    role: string,
    action: string,
    key: string | undefined,
    expected: 'allow' | 'deny',
    extra: Partial<AccessCase> = {},
  ): AccessCase => ({ name, account, role, action, key, secure: true, expected, ...extra });
  const writer = (name: string, action: string, key: string | undefined, expected: 'allow' | 'deny', extra = {}) =>
    c(name, own, NATIVE_WRITER_ROLE, action, key, expected, extra);
  const restore = (name: string, action: string, key: string | undefined, expected: 'allow' | 'deny', extra = {}) =>
    c(`the restore role: ${name}`, own, restoreRole, action, key, expected, extra);
  const never = (name: string, action: string, key: string, extra: Partial<AccessCase> = {}) =>
    writer(name, action, key, 'deny', { explicit: true, ...extra });
  const finished: Array<[string, string]> = [
    ['a data file', data(own)],
    ['the manifest summary', summary(own)],
  ];
  return [
    // What the export does in its own prefix: allowed (AWS's documented set).
    writer('write a data file of an export', 's3:PutObject', data(own), 'allow'),
    writer('write the manifest summary', 's3:PutObject', summary(own), 'allow'),
    writer('write the manifest of files', 's3:PutObject', `${exportDir(own)}/manifest-files.json`, 'allow'),
    writer('write the _started marker', 's3:PutObject', `${exportDir(own)}/_started`, 'allow'),
    writer('upload with the bucket-owner-full-control ACL', 's3:PutObjectAcl', data(own), 'allow', {
      context: { 's3:x-amz-acl': 'bucket-owner-full-control' },
    }),
    writer('abort a multipart upload of a data file', 's3:AbortMultipartUpload', data(own), 'allow'),
    c(
      'the other account’s export writes in its own prefix',
      other,
      NATIVE_WRITER_ROLE,
      's3:PutObject',
      data(other),
      'allow',
    ),
    // What the restore (ImportTable, with the restore role's credentials) reads: its own prefix.
    restore('read a data file of its own export', 's3:GetObject', data(own), 'allow'),
    restore('read the manifest summary of its own export', 's3:GetObject', summary(own), 'allow'),
    restore('list its own export', 's3:ListBucket', undefined, 'allow', { listPrefix: `${exportDir(own)}/data/` }),
    restore('list its own account prefix', 's3:ListBucket', undefined, 'allow', { listPrefix: `${own}/` }),
    c(
      'the other account’s restore role reads its own export',
      other,
      restoreRole,
      's3:GetObject',
      data(other),
      'allow',
    ),
    // The export reads, lists and deletes nothing.
    writer('read a data file', 's3:GetObject', data(own), 'deny'),
    writer('read the manifest summary', 's3:GetObject', summary(own), 'deny'),
    writer('list its own prefix', 's3:ListBucket', undefined, 'deny', { listPrefix: `${own}/` }),
    writer('get the bucket location', 's3:GetBucketLocation', undefined, 'deny'),
    writer('delete an object named like a Data Pipeline scratch file', 's3:DeleteObject', `${own}/logs/x.log`, 'deny'),
    writer('delete a _$folder$ marker', 's3:DeleteObject', `${exportDir(own)}_$folder$`, 'deny'),
    // Any other role of the account reads nothing.
    c('another role of the account reads a data file', own, OTHER_ROLE, 's3:GetObject', data(own), 'deny'),
    c('another role of the account lists the prefix', own, OTHER_ROLE, 's3:ListBucket', undefined, 'deny', {
      listPrefix: `${own}/`,
    }),
    // The restore drill's role imports into scratch tables: it reads the export as the restore does.
    c(
      'the drill role reads a data file of its own export',
      own,
      drillRole(restoreRole),
      's3:GetObject',
      data(own),
      'allow',
    ),
    c('the drill role lists its own export', own, drillRole(restoreRole), 's3:ListBucket', undefined, 'allow', {
      listPrefix: `${exportDir(own)}/data/`,
    }),
    c(
      'the drill role reads another account’s data file',
      own,
      drillRole(restoreRole),
      's3:GetObject',
      data(other),
      'deny',
    ),
    // The restore role: its own prefix only, read only.
    restore('read an older version of a data file', 's3:GetObjectVersion', data(own), 'deny'),
    restore('list the whole bucket', 's3:ListBucket', undefined, 'deny', { listPrefix: '' }),
    restore('list under a prefix that only starts with its id', 's3:ListBucket', undefined, 'deny', {
      listPrefix: `${own}0/`,
    }),
    restore('list another account’s prefix', 's3:ListBucket', undefined, 'deny', { listPrefix: `${other}/` }),
    restore('read another account’s data file', 's3:GetObject', data(other), 'deny'),
    restore('delete a data file', 's3:DeleteObject', data(own), 'deny', { explicit: true }),
    restore('shorten the retention of a data file', 's3:PutObjectRetention', data(own), 'deny', { explicit: true }),
    // A finished backup cannot be destroyed or altered by its own account.
    ...finished.flatMap(([what, key]) => [
      never(`delete ${what} of its own export (a delete marker)`, 's3:DeleteObject', key),
      never(`delete a version of ${what}`, 's3:DeleteObjectVersion', key),
      never(`shorten or remove the retention of ${what}`, 's3:PutObjectRetention', key),
      never(`set or lift a legal hold on ${what}`, 's3:PutObjectLegalHold', key),
      never(`bypass governance mode on ${what}`, 's3:BypassGovernanceRetention', key),
      never(`re-encrypt ${what} in place`, 's3:UpdateObjectEncryption', key),
    ]),
    never('overwrite the manifest summary with a customer-provided key (SSE-C)', 's3:PutObject', summary(own), {
      context: { 's3:x-amz-server-side-encryption-customer-algorithm': 'AES256' },
    }),
    writer('write a data file asking for SSE-S3 (AES256)', 's3:PutObject', data(own), 'allow', {
      context: { 's3:x-amz-server-side-encryption': 'AES256' },
    }),
    never('write a data file encrypted under a KMS key of its own (SSE-KMS)', 's3:PutObject', data(own), {
      context: { 's3:x-amz-server-side-encryption': 'aws:kms' },
    }),
    never('write a data file with dual-layer KMS encryption (DSSE-KMS)', 's3:PutObject', data(own), {
      context: { 's3:x-amz-server-side-encryption': 'aws:kms:dsse' },
    }),
    never('write a data file into an archive storage class', 's3:PutObject', data(own), {
      context: { 's3:x-amz-storage-class': 'GLACIER' },
    }),
    never('set a private ACL on a data file', 's3:PutObjectAcl', data(own), { context: { 's3:x-amz-acl': 'private' } }),
    never('grant an ACL on a data file in the request body', 's3:PutObjectAcl', data(own)),
    ...PROTECTED_ACTIONS.filter(
      (a) =>
        ![
          's3:DeleteObjectVersion',
          's3:PutObjectRetention',
          's3:PutObjectLegalHold',
          's3:BypassGovernanceRetention',
          's3:UpdateObjectEncryption',
        ].includes(a),
    ).map((action) => never(`${action.slice(3)} on the manifest summary`, action, summary(own))),
    // Outside its own prefix: nothing.
    writer('write outside any account prefix', 's3:PutObject', `${table}/${EXPORT_ID}/data/x.json.gz`, 'deny'),
    writer('write under a prefix that only starts with its id', 's3:PutObject', `${own}0/${region}/${table}/x`, 'deny'),
    writer('write into another account’s prefix', 's3:PutObject', data(other), 'deny'),
    writer('delete another account’s data file', 's3:DeleteObject', data(other), 'deny', { explicit: true }),
    // An account never granted: nothing at all, its restore role included.
    c(
      'a never-granted account writes in its own prefix',
      outsider,
      NATIVE_WRITER_ROLE,
      's3:PutObject',
      data(outsider),
      'deny',
    ),
    c(
      'a never-granted account’s restore role reads its own prefix',
      outsider,
      restoreRole,
      's3:GetObject',
      data(outsider),
      'deny',
    ),
    c(
      'a never-granted account’s restore role reads a granted prefix',
      outsider,
      restoreRole,
      's3:GetObject',
      data(own),
      'deny',
    ),
    c(
      'a never-granted account’s restore role lists its own prefix',
      outsider,
      restoreRole,
      's3:ListBucket',
      undefined,
      'deny',
      {
        listPrefix: `${outsider}/`,
      },
    ),
    // Bucket administration: never.
    ...[
      's3:PutBucketPolicy',
      's3:GetBucketPolicy',
      's3:DeleteBucket',
      's3:PutBucketVersioning',
      's3:PutLifecycleConfiguration',
    ].map((action) => restore(`administer the bucket: ${action}`, action, undefined, 'deny')),
    // Plain HTTP: never, even for what is otherwise allowed.
    writer('write a data file over plain HTTP', 's3:PutObject', data(own), 'deny', { secure: false }),
    restore('read a data file over plain HTTP', 's3:GetObject', data(own), 'deny', { secure: false }),
    restore('list its own prefix over plain HTTP', 's3:ListBucket', undefined, 'deny', {
      secure: false,
      listPrefix: `${own}/`,
    }),
    ...(owner === undefined
      ? []
      : [
          c(
            'the backup account deletes a version of the manifest summary',
            owner,
            'backup-admin',
            's3:DeleteObjectVersion',
            summary(own),
            'allow',
          ),
        ]),
  ];
}
