import { PolicyIntegrityError, PolicyParseError, PolicyTooLargeError } from '../errors';
import type { BackupEngineName } from '../ports/backup-engine';
import { accountPrefix } from './layout';

/**
 * The backup bucket policy: render the product's statements, merge them into whatever policy
 * is in place (keeping every statement the product does not own exactly as it was), and
 * validate the result. Pure.
 */

const POLICY_VERSION = '2012-10-17';
/** S3 bucket policy size limit (bytes). */
export const POLICY_SIZE_LIMIT = 20 * 1024;
/** Every Sid the product writes starts with this; statements without it are foreign and never touched. */
const OWNED_SID_PREFIX = 'DdbBackupOrch';
export const TLS_ONLY_SID = `${OWNED_SID_PREFIX}DenyInsecureTransport`;

/**
 * The word each engine's statements carry in their Sid, after the account (or `Shared`, `Org`):
 * none for Data Pipeline, whose Sids are those every earlier version wrote
 * (`DdbBackupOrch<account>Objects|Cleanup|Bucket`), `Export` for the native export
 * (`DdbBackupOrch<account>ExportObjects`, …). One account may hold both engines' statements.
 */
const ENGINE_WORD: Readonly<Record<BackupEngineName, string>> = { datapipeline: '', native: 'Export' };
const ENGINES = Object.keys(ENGINE_WORD) as BackupEngineName[];
const DEFAULT_ENGINE: BackupEngineName = 'datapipeline';
/**
 * Whether an engine's restore reads its account's prefix with the account's own credentials.
 * Native: `ImportTable` reads the export with the caller's credentials (s3:GetObject and
 * s3:ListBucket on the source), so the account's restore role needs read access through the
 * bucket policy. Data Pipeline: the restore runs on the account's EMR resource role, which the
 * writers' grant already lets read (and list) its prefix — nothing more to grant.
 */
const RESTORE_READS: Readonly<Record<BackupEngineName, boolean>> = { datapipeline: false, native: true };
const WORDS = `(${ENGINES.map((e) => ENGINE_WORD[e])
  .sort((a, b) => b.length - a.length)
  .join('|')})`;
const PARTS = '(Objects|Cleanup|Bucket|RestoreObjects|RestoreList)';
const ACCOUNT_SID = new RegExp(`^${OWNED_SID_PREFIX}(\\d{12})${WORDS}${PARTS}$`);
const engineOfWord = (word: string | undefined): BackupEngineName =>
  ENGINES.find((e) => ENGINE_WORD[e] === (word ?? '')) ?? DEFAULT_ENGINE;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  [key: string]: Json | undefined;
}
export interface PolicyDocument {
  Version: string;
  Id?: string;
  Statement: Statement[];
}

const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;

/**
 * What a backup engine's writers do in their account's prefix of the bucket (keys relative to
 * the prefix): object actions on `objects.key`, deletes on the `cleanup` keys only, and
 * bucket-level actions. The engine describes it (BackupEngine.writerAccess); the policy grants
 * exactly that, three statements per grant (fewer when an engine needs no cleanup or bucket action).
 */
export interface WriterAccess {
  objects: { actions: readonly string[]; key: string };
  cleanup?: { actions: readonly string[]; keys: readonly string[] };
  bucket?: { actions: readonly string[] };
}

/**
 * What the product grants, per engine: the engines' writer access (lib/backup-engines/access.ts
 * ENGINE_WRITER_ACCESS) and SOURCE_ROLE_NAME, whose `<name>-restore` role in an account holding
 * the native grant may read that account's prefix.
 */
export interface GrantSpec {
  access: Readonly<Record<BackupEngineName, WriterAccess>>;
  sourceRoleName: string;
}

/**
 * A grant is an account and the engine whose writers it lets in. Written as a key — in the grant
 * catalog and wherever grants are listed: the bare account id for Data Pipeline (what every
 * earlier version recorded, so existing entries keep their meaning), `<account>:<engine>` for
 * another engine (`123456789012:native`).
 */
export function grantKey(accountId: string, engine: BackupEngineName = DEFAULT_ENGINE): string {
  return engine === DEFAULT_ENGINE ? accountId : `${accountId}:${engine}`;
}

const GRANT_KEY = /^(\d{12})(?::([a-z]+))?$/;

/** The account and engine of a grant key; a key that is neither is a PolicyIntegrityError naming it. */
export function parseGrantKey(key: string): { accountId: string; engine: BackupEngineName } {
  const m = GRANT_KEY.exec(key);
  const engine = m?.[2] ?? DEFAULT_ENGINE;
  if (m === null || m[1] === undefined || !ENGINES.includes(engine as BackupEngineName) || m[2] === DEFAULT_ENGINE)
    throw new PolicyIntegrityError(
      `"${key}" is not a grant: expected a 12-digit account id (Data Pipeline) or <account>:<engine> with engine one of ${ENGINES.filter((e) => e !== DEFAULT_ENGINE).join(', ')}`,
    );
  return { accountId: m[1], engine: engine as BackupEngineName };
}

/** The keys of every engine's grant of `accountId` (what a revoke forgets). */
export function grantKeysOf(accountId: string): string[] {
  return ENGINES.map((e) => grantKey(accountId, e));
}

/** One action as a string, several as a list. */
const actions = (list: readonly string[]): Json => (list.length === 1 ? (list[0] as string) : [...list]);

export function isOwnedStatement(s: { Sid?: unknown }): boolean {
  return typeof s.Sid === 'string' && s.Sid.startsWith(OWNED_SID_PREFIX);
}

/**
 * How the product's grants are written:
 * - `per-account`: the blog's three statements per account (about 0.74 KB each);
 * - `compact`: three statements in all, accounts listed as principals, resources written with
 *   `${aws:PrincipalAccount}` so that each account still reaches only its own prefix;
 * - `organization`: `Principal: "*"` limited by `aws:PrincipalOrgID`, constant size — every
 *   account of the organization reaches its own prefix, and no account outside it reaches any;
 * - `auto`: per-account while everything fits in 20 KB, compact beyond.
 */
export type PolicyLayout = 'per-account' | 'compact' | 'organization' | 'auto';
export const POLICY_LAYOUTS: readonly PolicyLayout[] = ['per-account', 'compact', 'organization', 'auto'];
const PRINCIPAL_ACCOUNT = '${aws:PrincipalAccount}';
const SHARED_STEM = 'Shared';
const ORG_STEM = 'Org';

const root = (accountId: string) => `arn:aws:iam::${accountId}:root`;
const ROOT_ARN = /^(?:arn:aws[a-z-]*:iam::)?(\d{12})(?::root)?$/;

/** The statements that let `principal` do what the writers need under `bucket/<prefixAccount>/`. */
function prefixStatements(
  bucket: string,
  access: WriterAccess,
  stem: string,
  principal: Json,
  prefixAccount: string,
  condition?: Json,
): Statement[] {
  const prefix = `${bucketArn(bucket)}/${accountPrefix(prefixAccount)}`;
  const who = { Principal: principal, ...(condition === undefined ? {} : { Condition: condition }) };
  const { objects, cleanup, bucket: onBucket } = access;
  return [
    {
      Sid: `${OWNED_SID_PREFIX}${stem}Objects`,
      Effect: 'Allow',
      ...who,
      Action: [...objects.actions],
      Resource: `${prefix}${objects.key}`,
    },
    ...(cleanup === undefined
      ? []
      : [
          {
            Sid: `${OWNED_SID_PREFIX}${stem}Cleanup`,
            Effect: 'Allow' as const,
            ...who,
            Action: actions(cleanup.actions),
            Resource: cleanup.keys.map((k) => `${prefix}${k}`),
          },
        ]),
    ...(onBucket === undefined
      ? []
      : [
          {
            Sid: `${OWNED_SID_PREFIX}${stem}Bucket`,
            Effect: 'Allow' as const,
            ...who,
            Action: [...onBucket.actions],
            Resource: bucketArn(bucket),
          },
        ]),
  ];
}

/** The blog's three statements for one account, each scoped to the account's own prefix (one engine's writers: `access`). */
export function accountStatements(bucket: string, accountId: string, access: WriterAccess): Statement[] {
  return prefixStatements(bucket, access, accountId, { AWS: root(accountId) }, accountId);
}

/**
 * The restore role's read of the prefix, for an engine whose restore reads with the account's
 * own credentials (RESTORE_READS): s3:GetObject on the prefix's objects, and s3:ListBucket only
 * for listings whose `s3:prefix` lies in it. The principal is the account (its root), narrowed
 * by `aws:PrincipalArn` to its `<SOURCE_ROLE_NAME>-restore` role: a role ARN as principal would
 * make PutBucketPolicy fail with "Invalid principal" for as long as that role does not exist
 * (and, once it does, turn into an opaque id if the role is ever recreated), while the
 * condition holds whatever the role's state. No other role of the account reads anything. In the
 * shared statements (compact, organization) the role is matched by name in any account
 * (`ArnLike arn:aws:iam::*:role/<name>-restore`, no policy variable needed in an ARN condition):
 * the principal list or the organization still limits who, and the `${aws:PrincipalAccount}`
 * resource and `s3:prefix` limit each account to its own prefix.
 */
function restoreReadStatements(
  bucket: string,
  stem: string,
  principal: Json,
  prefixAccount: string,
  restoreRole: Record<string, Json>,
  condition: Record<string, Json> = {},
): Statement[] {
  const who = { ...condition, ...restoreRole };
  return [
    {
      Sid: `${OWNED_SID_PREFIX}${stem}RestoreObjects`,
      Effect: 'Allow',
      Principal: principal,
      Action: 's3:GetObject',
      Resource: `${bucketArn(bucket)}/${accountPrefix(prefixAccount)}*`,
      Condition: who,
    },
    {
      Sid: `${OWNED_SID_PREFIX}${stem}RestoreList`,
      Effect: 'Allow',
      Principal: principal,
      Action: 's3:ListBucket',
      Resource: bucketArn(bucket),
      Condition: { ...who, StringLike: { 's3:prefix': `${accountPrefix(prefixAccount)}*` } },
    },
  ];
}

/**
 * The source roles that import an export (ImportTable reads with the caller's credentials): the
 * restore function's, and the restore drill's (which imports into `ddb-backup-drill-*` scratch
 * tables only: templates/source-account.yml).
 */
const RESTORE_READERS = ['restore', 'drill'] as const;

/** The restore and drill roles of `account` (exactly), or of whichever account (`PRINCIPAL_ACCOUNT`: shared statements). */
function restoreRoleCondition(account: string, spec: GrantSpec): Record<string, Json> {
  const roles = RESTORE_READERS.map((fn) => `role/${spec.sourceRoleName}-${fn}`);
  return account === PRINCIPAL_ACCOUNT
    ? { ArnLike: { 'aws:PrincipalArn': roles.map((role) => `arn:aws:iam::*:${role}`) } }
    : { ArnEquals: { 'aws:PrincipalArn': roles.map((role) => `arn:aws:iam::${account}:${role}`) } };
}

/**
 * One engine's statements for `principal` on `bucket/<prefixAccount>/`: its writers' access
 * (prefixStatements) and, for an engine whose restore reads with the account's credentials, the
 * restore role's read. `stem` names the grantee (`<account>`, `Shared`, `Org`); the engine's word follows it.
 */
function engineStatements(
  bucket: string,
  spec: GrantSpec,
  engine: BackupEngineName,
  stem: string,
  principal: Json,
  prefixAccount: string,
  condition?: Record<string, Json>,
): Statement[] {
  const sidStem = `${stem}${ENGINE_WORD[engine]}`;
  return [
    ...prefixStatements(bucket, spec.access[engine], sidStem, principal, prefixAccount, condition),
    ...(RESTORE_READS[engine]
      ? restoreReadStatements(
          bucket,
          sidStem,
          principal,
          prefixAccount,
          restoreRoleCondition(prefixAccount, spec),
          condition,
        )
      : []),
  ];
}

/** The statements of one grant in the per-account layout: the account's engine's, scoped to its own prefix. */
function grantStatements(bucket: string, key: string, spec: GrantSpec): Statement[] {
  const { accountId, engine } = parseGrantKey(key);
  return engineStatements(bucket, spec, engine, accountId, { AWS: root(accountId) }, accountId);
}

/** One engine's shared statements for every listed account: each reaches only the prefix named by its own account id. */
function compactStatements(
  bucket: string,
  engine: BackupEngineName,
  accounts: readonly string[],
  spec: GrantSpec,
): Statement[] {
  return engineStatements(
    bucket,
    spec,
    engine,
    SHARED_STEM,
    { AWS: [...accounts].sort().map(root) },
    PRINCIPAL_ACCOUNT,
  );
}

const orgCondition = (organizationId: string) => ({ StringEquals: { 'aws:PrincipalOrgID': organizationId } });

/** One engine's statements for every account of one AWS Organization, whatever their number. */
function organizationStatements(
  bucket: string,
  engine: BackupEngineName,
  organizationId: string,
  spec: GrantSpec,
): Statement[] {
  return engineStatements(bucket, spec, engine, ORG_STEM, '*', PRINCIPAL_ACCOUNT, orgCondition(organizationId));
}

const SHARED_SID = new RegExp(`^${OWNED_SID_PREFIX}${SHARED_STEM}${WORDS}${PARTS}$`);
const ORG_OBJECTS_SID = new RegExp(`^${OWNED_SID_PREFIX}${ORG_STEM}${WORDS}Objects$`);

/**
 * The grants (keys: see grantKey) the product's statements in a policy make by name:
 * per-account statements, and the shared statements' principal lists (the organization layout
 * names none: orgEnginesIn).
 */
export function grantsIn(doc: PolicyDocument): Set<string> {
  const grants = new Set<string>();
  for (const s of doc.Statement.filter(isOwnedStatement)) {
    const perAccount = ACCOUNT_SID.exec(s.Sid as string);
    if (perAccount?.[1] !== undefined) grants.add(grantKey(perAccount[1], engineOfWord(perAccount[2])));
    const shared = SHARED_SID.exec(s.Sid as string);
    if (shared !== null) for (const a of principalAccounts(s)) grants.add(grantKey(a, engineOfWord(shared[1])));
  }
  return grants;
}

/** The accounts the product's statements in a policy grant by name, whichever engine (per-account and compact statements). */
export function grantedAccountsIn(doc: PolicyDocument): Set<string> {
  return new Set([...grantsIn(doc)].map((k) => parseGrantKey(k).accountId));
}

/** The engines a policy grants to a whole organization (to `organizationId`, when given). */
export function orgEnginesIn(doc: PolicyDocument, organizationId?: string): Set<BackupEngineName> {
  const engines = new Set<BackupEngineName>();
  for (const s of doc.Statement) {
    const m = typeof s.Sid === 'string' ? ORG_OBJECTS_SID.exec(s.Sid) : null;
    if (m === null) continue;
    if (
      organizationId !== undefined &&
      canonical((s.Condition as Json) ?? null) !== canonical(orgCondition(organizationId))
    )
      continue;
    engines.add(engineOfWord(m[1]));
  }
  return engines;
}

export function hasOrganizationGrant(doc: PolicyDocument, organizationId?: string): boolean {
  return orgEnginesIn(doc, organizationId).size > 0;
}

/** Deny every request to the bucket that does not use TLS. */
export function tlsOnlyStatement(bucket: string): Statement {
  return {
    Sid: TLS_ONLY_SID,
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [bucketArn(bucket), `${bucketArn(bucket)}/*`],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

/**
 * Object actions that could alter or destroy a finished backup, or that a writer never needs:
 * lock changes (retention, legal hold, governance bypass), deleting a version, tag changes (a
 * lifecycle rule may filter on tags), a version's ACL, changing an object's encryption in place,
 * restoring archived copies (the bucket pays) and replicating into the bucket (a replica is a
 * write that no PutObject condition sees).
 */
export const PROTECTED_ACTIONS = [
  's3:BypassGovernanceRetention',
  's3:DeleteObjectTagging',
  's3:DeleteObjectVersion',
  's3:DeleteObjectVersionTagging',
  's3:PutObjectLegalHold',
  's3:PutObjectRetention',
  's3:PutObjectTagging',
  's3:PutObjectVersionAcl',
  's3:PutObjectVersionTagging',
  's3:ReplicateDelete',
  's3:ReplicateObject',
  's3:ReplicateTags',
  's3:RestoreObject',
  's3:UpdateObjectEncryption',
] as const;
export const DENY_ALTERING_SID = `${OWNED_SID_PREFIX}DenyAlteringBackups`;
export const DENY_DELETING_SID = `${OWNED_SID_PREFIX}DenyDeletingBackups`;
export const DENY_CUSTOMER_KEYS_SID = `${OWNED_SID_PREFIX}DenyCustomerProvidedKeys`;
export const DENY_FOREIGN_ACLS_SID = `${OWNED_SID_PREFIX}DenyAclsButBucketOwnerFullControl`;
export const DENY_FOREIGN_ENCRYPTION_SID = `${OWNED_SID_PREFIX}DenyEncryptionButBucketDefault`;
export const DENY_COLD_STORAGE_SID = `${OWNED_SID_PREFIX}DenyStorageClassesButStandard`;
/** The Sids of protectionStatements, in the order they are written (after the TLS deny, before the grants). */
export const PROTECTION_SIDS = [
  DENY_ALTERING_SID,
  DENY_DELETING_SID,
  DENY_CUSTOMER_KEYS_SID,
  DENY_FOREIGN_ACLS_SID,
  DENY_FOREIGN_ENCRYPTION_SID,
  DENY_COLD_STORAGE_SID,
] as const;
/** One account prefix, whichever account: twelve characters and a slash (ARN `?` matches one character). */
const ANY_ACCOUNT_PREFIX = `${'?'.repeat(12)}/`;
/** The bucket's own account (its administrators, break-glass, replication) is never denied; object lock still binds it. */
const OUTSIDE_THE_BUCKET_ACCOUNT = { 'aws:PrincipalAccount': '${aws:ResourceAccount}' };

/**
 * What no principal outside the bucket's account may do to any object, whatever another
 * statement allows (a hand-written grant, an organization grant, a layout switch): four
 * statements of constant size, for every layout and whichever engines' grants the policy holds
 * (they are rendered from every engine's access, present or not, so that adding an engine's
 * first grant never rewrites them).
 * - the actions of PROTECTED_ACTIONS (no engine's writers need any of them);
 * - DeleteObject (a delete marker hides a backup from a listing) except on the engines' own
 *   scratch keys (the union of their cleanup keys: the allows still reach only the account's
 *   own prefix, and only for an engine that cleans up — the native export deletes nothing);
 * - uploads with a customer-provided key (SSE-C): the backup account could not read them;
 * - uploads that ask for any server-side encryption but SSE-S3 (`AES256`, the bucket's default):
 *   an object encrypted under a KMS key of the writer's account is readable only for as long as
 *   that account lets it be — a compromised account would let the backups stay COMPLETED every
 *   night and then schedule its key's deletion (an upload without the header takes the bucket's
 *   default, which is what both engines do);
 * - uploads to any storage class but STANDARD (an archive class is not readable by a restore
 *   until it is restored from the archive, which ImportTable and EMR do not do);
 * - any ACL but `bucket-owner-full-control` (where ACLs are enabled, an object writer could
 *   otherwise take the bucket owner's access away).
 */
export function protectionStatements(bucket: string, ...accesses: readonly WriterAccess[]): Statement[] {
  const objects = `${bucketArn(bucket)}/*`;
  const deny = (
    sid: string,
    action: Json,
    where: { Resource: Json } | { NotResource: Json },
    condition: { Null?: Record<string, string>; StringNotEquals?: Record<string, string> } = {},
  ): Statement => ({
    Sid: sid,
    Effect: 'Deny',
    Principal: '*',
    Action: action,
    ...where,
    Condition: { ...condition, StringNotEquals: { ...condition.StringNotEquals, ...OUTSIDE_THE_BUCKET_ACCOUNT } },
  });
  // Any account's scratch keys, without a policy variable (which IAM documents for Resource and
  // Condition, not NotResource): `????????????/` is exactly one 12-digit account prefix. The allow
  // still limits every account to its own prefix.
  const scratch = [...new Set(accesses.flatMap((a) => a.cleanup?.keys ?? []))].map(
    (k) => `${bucketArn(bucket)}/${ANY_ACCOUNT_PREFIX}${k}`,
  );
  return [
    deny(DENY_ALTERING_SID, [...PROTECTED_ACTIONS], { Resource: objects }),
    deny(DENY_DELETING_SID, 's3:DeleteObject', scratch.length === 0 ? { Resource: objects } : { NotResource: scratch }),
    deny(
      DENY_CUSTOMER_KEYS_SID,
      's3:PutObject',
      { Resource: objects },
      { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } },
    ),
    deny(
      DENY_FOREIGN_ACLS_SID,
      's3:PutObjectAcl',
      { Resource: objects },
      { StringNotEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
    ),
    // Null + StringNotEquals, not StringNotEqualsIfExists: the account key in the same block must still be required.
    deny(
      DENY_FOREIGN_ENCRYPTION_SID,
      's3:PutObject',
      { Resource: objects },
      {
        Null: { 's3:x-amz-server-side-encryption': 'false' },
        StringNotEquals: { 's3:x-amz-server-side-encryption': 'AES256' },
      },
    ),
    deny(
      DENY_COLD_STORAGE_SID,
      's3:PutObject',
      { Resource: objects },
      { Null: { 's3:x-amz-storage-class': 'false' }, StringNotEquals: { 's3:x-amz-storage-class': 'STANDARD' } },
    ),
  ];
}

/**
 * Every statement the product wants in the policy for these grants (keys: see grantKey; a bare
 * account id is its Data Pipeline grant), in one concrete layout: the guards, then per-account
 * statements in key order, or one shared set per engine that has a grant (compact,
 * organization). `orgEngines`: engines whose organization grant stays whatever the grants list.
 */
export function desiredStatements(
  bucket: string,
  grants: Iterable<string>,
  spec: GrantSpec,
  layout: Exclude<PolicyLayout, 'auto'> = 'per-account',
  organizationId?: string,
  orgEngines: Iterable<BackupEngineName> = [],
): Statement[] {
  const sorted = [...new Set(grants)].sort();
  const parsed = sorted.map(parseGrantKey);
  const accountsOf = (engine: BackupEngineName) => parsed.filter((g) => g.engine === engine).map((g) => g.accountId);
  const kept = new Set(orgEngines);
  const statements =
    layout === 'per-account'
      ? sorted.flatMap((k) => grantStatements(bucket, k, spec))
      : layout === 'compact'
        ? ENGINES.flatMap((e) => {
            const accounts = accountsOf(e);
            return accounts.length === 0 ? [] : compactStatements(bucket, e, accounts, spec);
          })
        : ENGINES.filter((e) => kept.has(e) || accountsOf(e).length > 0).flatMap((e) =>
            organizationStatements(bucket, e, requireOrg(organizationId), spec),
          );
  return [...guardStatements(bucket, spec), ...statements];
}

function requireOrg(organizationId: string | undefined): string {
  if (organizationId === undefined) throw new PolicyIntegrityError('the organization layout needs ORGANIZATION_ID');
  return organizationId;
}

export interface GrantPlan {
  layout: Exclude<PolicyLayout, 'auto'>;
  result: MergeResult;
}

/**
 * Merges `grants` (keys: see grantKey) — together with every grant the policy in place already
 * makes, so that no account ever loses an engine's access, a layout switch included — into
 * `current`. `auto` takes per-account while the result fits in 20 KB, compact beyond.
 */
export function planGrants(
  current: PolicyDocument,
  grants: Iterable<string>,
  bucket: string,
  spec: GrantSpec,
  layout: PolicyLayout,
  organizationId?: string,
): GrantPlan {
  const all = new Set([...grants, ...grantsIn(current)]);
  const orgEngines = orgEnginesIn(current);
  const merge = (l: Exclude<PolicyLayout, 'auto'>) =>
    mergePolicy(current, desiredStatements(bucket, all, spec, l, organizationId, orgEngines));
  if (layout !== 'auto') return { layout, result: merge(layout) };
  try {
    return { layout: 'per-account', result: merge('per-account') };
  } catch (e) {
    if (!(e instanceof PolicyTooLargeError)) throw e;
    return { layout: 'compact', result: merge('compact') };
  }
}

/** The account ids a statement's `Principal.AWS` names (root ARNs or bare ids). */
function principalAccounts(s: Statement): string[] {
  const aws = (s.Principal as { AWS?: Json } | undefined)?.AWS;
  return (Array.isArray(aws) ? aws : [aws]).flatMap((p) => {
    const id = typeof p === 'string' ? ROOT_ARN.exec(p)?.[1] : undefined;
    return id === undefined ? [] : [id];
  });
}

const isShared = (sid: string | undefined) => sid?.startsWith(`${OWNED_SID_PREFIX}${SHARED_STEM}`) === true;
const sameMeaning = (a: Statement, b: Statement) => canonical(normalize(a)) === canonical(normalize(b));
const withoutPrincipal = ({ Principal: _, ...rest }: Statement): Statement => rest as Statement;

/**
 * The product's statements that grant no account: the TLS-only deny and the protection denies,
 * the same whatever engines' grants the policy holds.
 */
function guardStatements(bucket: string, spec: GrantSpec): Statement[] {
  return [tlsOnlyStatement(bucket), ...protectionStatements(bucket, ...ENGINES.map((e) => spec.access[e]))];
}

/** Sids of the guard statements `doc` lacks, or holds altered. */
function missingGuards(doc: PolicyDocument, bucket: string, spec: GrantSpec): string[] {
  return guardStatements(bucket, spec)
    .filter((want) => !doc.Statement.some((s) => s.Sid === want.Sid && sameMeaning(s, want)))
    .map((s) => s.Sid as string);
}

/**
 * Whether `doc` makes the grant `key` (an account and an engine) with everything the product
 * would give it, in any layout: the account's own statements of that engine exactly as rendered,
 * or the engine's shared ones (equal but for the principal list, which names the account), or —
 * with `organizationId` — the engine's organization statements.
 */
function grantHeld(
  doc: PolicyDocument,
  key: string,
  bucket: string,
  spec: GrantSpec,
  organizationId?: string,
): boolean {
  const { accountId } = parseGrantKey(key);
  const guards = new Set(guardStatements(bucket, spec).map((s) => s.Sid));
  const holds = (want: Statement) =>
    doc.Statement.some((s) => {
      if (s.Sid !== want.Sid) return false;
      if (!isShared(want.Sid)) return sameMeaning(s, want);
      return principalAccounts(s).includes(accountId) && sameMeaning(withoutPrincipal(s), withoutPrincipal(want));
    });
  const layouts: Array<Exclude<PolicyLayout, 'auto'>> = [
    'per-account',
    'compact',
    ...(organizationId === undefined ? [] : (['organization'] as const)),
  ];
  return layouts.some((layout) =>
    desiredStatements(bucket, [key], spec, layout, organizationId)
      .filter((s) => !guards.has(s.Sid))
      .every(holds),
  );
}

/**
 * What a policy read back right after our write must still hold for the write to count as done:
 * valid JSON, the guards, every grant (account and engine) the written document made (in any
 * layout), every organization grant it made and, for a revoke, no grant of the revoked account.
 * Another writer's later edit that keeps all that is no mismatch. Returns the problems found
 * (none: verified).
 */
export function verifyWritten(
  readBack: string | undefined,
  written: PolicyDocument,
  bucket: string,
  spec: GrantSpec,
  opts: { organizationId?: string; revoked?: string } = {},
): string[] {
  let doc: PolicyDocument;
  try {
    doc = parsePolicy(readBack);
  } catch (e) {
    return [(e as Error).message];
  }
  const problems = missingGuards(doc, bucket, spec).map((sid) => `statement ${sid} missing or altered`);
  const org = hasOrganizationGrant(written, opts.organizationId) ? opts.organizationId : undefined;
  if (org !== undefined) {
    const held = orgEnginesIn(doc, org);
    for (const e of orgEnginesIn(written, org))
      if (!held.has(e))
        problems.push(`the grant of organization ${org}${e === DEFAULT_ENGINE ? '' : ` (${e})`} is missing or altered`);
  }
  for (const k of grantsIn(written)) {
    if (!grantHeld(doc, k, bucket, spec, org)) problems.push(`the grant of ${k} is missing or altered`);
  }
  if (opts.revoked !== undefined && grantedAccountsIn(doc).has(opts.revoked))
    problems.push(`${opts.revoked} is still granted`);
  return problems;
}

/**
 * What the health check found in the bucket policy, against the grant catalog and SOURCE_ACCOUNTS.
 * Grants are keys (see grantKey): an account id for its Data Pipeline grant, `<account>:native` for its native one.
 */
export interface Drift {
  /** Catalog grants of accounts still configured that the policy lacks (whole or in part): put back. */
  missing: string[];
  /** Guard statements (TLS-only deny, …) the policy lacks or holds altered, once the catalog holds a grant: put back. */
  guardsMissing: string[];
  /** Catalog grants of accounts no longer in SOURCE_ACCOUNTS: never put back (revoke removes them). */
  unconfigured: string[];
  /** Grants the product's own statements (`DdbBackupOrch…` Sids) make but the catalog does not know: reported, never adopted. */
  unknown: string[];
}

/**
 * Compares the policy with the grant catalog. Only accounts both in the catalog and in
 * SOURCE_ACCOUNTS are owed a grant: a catalog account no longer configured is reported, not put
 * back, and an account the product's statements grant without the catalog knowing it is
 * reported, not adopted (the repair keeps its statements: only a revoke removes a grant).
 */
export function findDrift(
  current: PolicyDocument,
  catalog: Iterable<string>,
  configured: readonly string[],
  bucket: string,
  spec: GrantSpec,
  organizationId?: string,
): Drift {
  const known = [...new Set(catalog)].sort();
  const isConfigured = (k: string) => configured.includes(parseGrantKey(k).accountId);
  return {
    missing: known.filter((k) => isConfigured(k) && !grantHeld(current, k, bucket, spec, organizationId)),
    // Owed once the product has granted anyone: a bucket it never wrote to is left as it is.
    guardsMissing: known.length > 0 ? missingGuards(current, bucket, spec) : [],
    unconfigured: known.filter((k) => !isConfigured(k)),
    unknown: [...grantsIn(current)].filter((k) => !known.includes(k)).sort(),
  };
}

/**
 * Takes every engine's grant of `accountId` out of the policy, in the layout in place: its own
 * statements removed, its root taken off the shared statements' principal lists (a shared set
 * removed with its last account). Every other account keeps its grant and every foreign statement
 * stays as it was; an organization grant cannot name one account out (the caller refuses).
 */
export function planRevoke(current: PolicyDocument, accountId: string): MergeResult {
  if (hasOrganizationGrant(current))
    throw new PolicyIntegrityError('the policy grants a whole organization; one account cannot be revoked from it');
  const written: string[] = [];
  const removed: string[] = [];
  const statements: Statement[] = [];
  for (const s of current.Statement) {
    if (isOwnedStatement(s) && ACCOUNT_SID.exec(s.Sid as string)?.[1] === accountId) {
      removed.push(s.Sid as string);
      continue;
    }
    if (isOwnedStatement(s) && isShared(s.Sid) && principalAccounts(s).includes(accountId)) {
      const rest = principalAccounts(s).filter((a) => a !== accountId);
      if (rest.length === 0) {
        removed.push(s.Sid as string);
        continue;
      }
      statements.push({ ...s, Principal: { AWS: [...new Set(rest)].sort().map(root) } });
      written.push(s.Sid as string);
      continue;
    }
    statements.push(s);
  }
  const document: PolicyDocument = { ...current, Version: POLICY_VERSION, Statement: statements };
  const text = JSON.stringify(document);
  assertForeignKept(current, document);
  const kept = grantsIn(document);
  const lost = [...grantsIn(current)].filter((k) => parseGrantKey(k).accountId !== accountId && !kept.has(k));
  if (lost.length > 0)
    throw new PolicyIntegrityError(
      `revoking ${accountId} would take away the grant of ${lost.join(', ')}; nothing was written`,
    );
  if (grantedAccountsIn(document).has(accountId))
    throw new PolicyIntegrityError(`${accountId} would still be granted after its revoke; nothing was written`);
  return {
    document,
    text,
    bytes: Buffer.byteLength(text, 'utf8'),
    changed: written.length > 0 || removed.length > 0,
    written,
    removed,
  };
}

/** Reads the policy text S3 returned (undefined when the bucket has none). */
export function parsePolicy(text: string | undefined): PolicyDocument {
  if (text === undefined || text.trim() === '') return { Version: POLICY_VERSION, Statement: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PolicyParseError(
      `the bucket policy in place is not valid JSON (${(e as Error).message}); refusing to merge into it`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PolicyParseError('the bucket policy in place is not a JSON object; refusing to merge into it');
  }
  const doc = raw as Record<string, unknown>;
  const statements = doc.Statement === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  statements.forEach((s, i) => {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) {
      throw new PolicyParseError(
        `statement ${i} of the bucket policy in place is not an object; refusing to merge into it`,
      );
    }
  });
  return {
    ...(doc as object),
    Version: typeof doc.Version === 'string' ? doc.Version : POLICY_VERSION,
    Statement: statements as Statement[],
  } as PolicyDocument;
}

export interface MergeResult {
  document: PolicyDocument;
  text: string;
  bytes: number;
  changed: boolean;
  /** Sids added or rewritten by this merge. */
  written: string[];
  /** Sids of the product's own statements this merge removed (a layout switch). */
  removed: string[];
}

/**
 * Makes the product's statements exactly `desired`: adds the missing ones, rewrites those that
 * drifted, removes the product's own statements `desired` no longer has (a layout switch), and
 * leaves every foreign statement exactly as it was and where it was. Refuses a result that
 * would drop a foreign statement or an account's grant, or exceed 20 KB.
 */
export function mergePolicy(current: PolicyDocument, desired: readonly Statement[]): MergeResult {
  const wanted = new Map(desired.map((s) => [s.Sid as string, s]));
  const written: string[] = [];
  const removed: string[] = [];
  const statements: Statement[] = [];
  for (const s of current.Statement) {
    if (!isOwnedStatement(s)) {
      statements.push(s);
      continue;
    }
    const want = wanted.get(s.Sid as string);
    if (want === undefined) {
      removed.push(s.Sid as string);
      continue;
    }
    wanted.delete(want.Sid as string);
    if (canonical(normalize(s)) === canonical(normalize(want))) {
      statements.push(s);
    } else {
      statements.push(want);
      written.push(want.Sid as string);
    }
  }
  for (const s of wanted.values()) {
    statements.push(s);
    written.push(s.Sid as string);
  }
  const document: PolicyDocument = { ...current, Version: POLICY_VERSION, Statement: statements };
  const changed = written.length > 0 || removed.length > 0 || current.Version !== POLICY_VERSION;
  const text = JSON.stringify(document);
  const bytes = Buffer.byteLength(text, 'utf8');
  assertForeignKept(current, document);
  assertGrantsKept(current, document);
  if (changed && bytes > POLICY_SIZE_LIMIT) throw new PolicyTooLargeError(bytes, POLICY_SIZE_LIMIT);
  return { document, text, bytes, changed, written, removed };
}

/**
 * Throws unless every grant (account and engine) the product made in `before` is still made in
 * `after`. An engine's organization grant in `after` covers every account's grant of that engine
 * (the organization layout trusts that the registered accounts belong to ORGANIZATION_ID); an
 * engine's organization grant in `before` may only go if `after` names accounts of that engine.
 */
function assertGrantsKept(before: PolicyDocument, after: PolicyDocument): void {
  const orgAfter = orgEnginesIn(after);
  const kept = grantsIn(after);
  const engineOf = (k: string) => parseGrantKey(k).engine;
  for (const e of orgEnginesIn(before)) {
    if (!orgAfter.has(e) && ![...kept].some((k) => engineOf(k) === e))
      throw new PolicyIntegrityError(
        `the merged policy would drop the organization grant${e === DEFAULT_ENGINE ? '' : ` (${e})`} without naming any account; nothing was written`,
      );
  }
  const lost = [...grantsIn(before)].filter((k) => !kept.has(k) && !orgAfter.has(engineOf(k)));
  if (lost.length > 0)
    throw new PolicyIntegrityError(
      `the merged policy would take away the grant of ${lost.join(', ')}; nothing was written`,
    );
}

/** Throws unless every statement the product does not own is in `after`, unchanged, in the same order. */
export function assertForeignKept(before: PolicyDocument, after: PolicyDocument): void {
  const foreign = (d: PolicyDocument) => d.Statement.filter((s) => !isOwnedStatement(s)).map(canonical);
  const a = foreign(before);
  const b = foreign(after);
  if (a.length !== b.length || a.some((s, i) => s !== b[i])) {
    throw new PolicyIntegrityError(
      'the merged policy would change or drop a statement the product does not own; nothing was written',
    );
  }
}

/** JSON with object keys sorted, for comparing documents by meaning rather than by layout. */
export function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** S3 may hand back a one-element list as a scalar (and list order carries no meaning). */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalize);
    if (items.length === 1) return items[0];
    return items.every((i) => typeof i === 'string') ? [...(items as string[])].sort() : items;
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}
