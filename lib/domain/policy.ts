import { EXPORT_S3_ACCESS } from '../engine/datapipeline/s3-access';
import { PolicyIntegrityError, PolicyParseError, PolicyTooLargeError } from '../errors';
import { accountPrefix } from './layout';

/**
 * The backup bucket policy: render the product's statements, merge them into whatever policy
 * is in place (keeping every statement the product does not own exactly as it was), and
 * validate the result. Pure.
 */

export const POLICY_VERSION = '2012-10-17';
/** S3 bucket policy size limit (bytes). */
export const POLICY_SIZE_LIMIT = 20 * 1024;
/** Every Sid the product writes starts with this; statements without it are foreign and never touched. */
export const OWNED_SID_PREFIX = 'DdbBackupOrch';
const ACCOUNT_SID = new RegExp(`^${OWNED_SID_PREFIX}(\\d{12})(Objects|Cleanup|Bucket)$`);
export const TLS_ONLY_SID = `${OWNED_SID_PREFIX}DenyInsecureTransport`;

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

export function isOwnedStatement(s: { Sid?: unknown }): boolean {
  return typeof s.Sid === 'string' && s.Sid.startsWith(OWNED_SID_PREFIX);
}

/** The account an owned per-account statement grants, if it is one. */
export function grantedAccountOf(s: { Sid?: unknown }): string | undefined {
  return typeof s.Sid === 'string' ? ACCOUNT_SID.exec(s.Sid)?.[1] : undefined;
}

/** The blog's three statements for one account, each scoped to the account's own prefix. */
export function accountStatements(bucket: string, accountId: string): Statement[] {
  const principal = { AWS: `arn:aws:iam::${accountId}:root` };
  const prefix = `${bucketArn(bucket)}/${accountPrefix(accountId)}`;
  return [
    {
      Sid: `${OWNED_SID_PREFIX}${accountId}Objects`,
      Effect: 'Allow',
      Principal: principal,
      Action: [...EXPORT_S3_ACCESS.objects.actions],
      Resource: `${prefix}${EXPORT_S3_ACCESS.objects.key}`,
    },
    {
      Sid: `${OWNED_SID_PREFIX}${accountId}Cleanup`,
      Effect: 'Allow',
      Principal: principal,
      Action: EXPORT_S3_ACCESS.cleanup.actions[0],
      Resource: EXPORT_S3_ACCESS.cleanup.keys.map((k) => `${prefix}${k}`),
    },
    {
      Sid: `${OWNED_SID_PREFIX}${accountId}Bucket`,
      Effect: 'Allow',
      Principal: principal,
      Action: [...EXPORT_S3_ACCESS.bucket.actions],
      Resource: bucketArn(bucket),
    },
  ];
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

/** Every statement the product wants in the policy for these accounts. */
export function desiredStatements(bucket: string, accounts: Iterable<string>): Statement[] {
  const sorted = [...new Set(accounts)].sort();
  return [tlsOnlyStatement(bucket), ...sorted.flatMap((a) => accountStatements(bucket, a))];
}

/** Reads the policy text S3 returned (undefined when the bucket has none). */
export function parsePolicy(text: string | undefined): PolicyDocument {
  if (text === undefined || text.trim() === '') return { Version: POLICY_VERSION, Statement: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PolicyParseError(`the bucket policy in place is not valid JSON (${(e as Error).message}); refusing to merge into it`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PolicyParseError('the bucket policy in place is not a JSON object; refusing to merge into it');
  }
  const doc = raw as Record<string, unknown>;
  const statements = doc.Statement === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  statements.forEach((s, i) => {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) {
      throw new PolicyParseError(`statement ${i} of the bucket policy in place is not an object; refusing to merge into it`);
    }
  });
  return { ...(doc as object), Version: typeof doc.Version === 'string' ? doc.Version : POLICY_VERSION, Statement: statements as Statement[] } as PolicyDocument;
}

export interface MergeResult {
  document: PolicyDocument;
  text: string;
  bytes: number;
  changed: boolean;
  /** Sids added or rewritten by this merge. */
  written: string[];
}

/**
 * Adds the desired statements that are missing, rewrites owned statements that drifted from
 * what the product renders, and leaves everything else — foreign statements and owned
 * statements not in `desired` — exactly as it was and where it was.
 */
export function mergePolicy(current: PolicyDocument, desired: readonly Statement[]): MergeResult {
  const wanted = new Map(desired.map((s) => [s.Sid as string, s]));
  const written: string[] = [];
  const statements = current.Statement.map((s) => {
    const want = typeof s.Sid === 'string' && isOwnedStatement(s) ? wanted.get(s.Sid) : undefined;
    if (want === undefined) return s;
    wanted.delete(want.Sid as string);
    if (canonical(normalize(s)) === canonical(normalize(want))) return s;
    written.push(want.Sid as string);
    return want;
  });
  for (const s of wanted.values()) {
    statements.push(s);
    written.push(s.Sid as string);
  }
  const document: PolicyDocument = { ...current, Version: POLICY_VERSION, Statement: statements };
  const changed = written.length > 0 || current.Version !== POLICY_VERSION;
  const text = JSON.stringify(document);
  const bytes = Buffer.byteLength(text, 'utf8');
  assertForeignKept(current, document);
  if (changed && bytes > POLICY_SIZE_LIMIT) throw new PolicyTooLargeError(bytes, POLICY_SIZE_LIMIT);
  return { document, text, bytes, changed, written };
}

/** Throws unless every statement the product does not own is in `after`, unchanged, in the same order. */
export function assertForeignKept(before: PolicyDocument, after: PolicyDocument): void {
  const foreign = (d: PolicyDocument) => d.Statement.filter((s) => !isOwnedStatement(s)).map(canonical);
  const a = foreign(before);
  const b = foreign(after);
  if (a.length !== b.length || a.some((s, i) => s !== b[i])) {
    throw new PolicyIntegrityError('the merged policy would change or drop a statement the product does not own; nothing was written');
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
