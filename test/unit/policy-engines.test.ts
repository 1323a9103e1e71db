import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINE_WRITER_ACCESS } from '../../lib/backup-engines/access';
import { NATIVE_EXPORT_S3_ACCESS } from '../../lib/backup-engines/native/s3-access';
import {
  DENY_COLD_STORAGE_SID,
  DENY_FOREIGN_ENCRYPTION_SID,
  desiredStatements,
  findDrift,
  type GrantSpec,
  grantedAccountsIn,
  grantKey,
  grantKeysOf,
  grantsIn,
  mergePolicy,
  orgEnginesIn,
  type PolicyDocument,
  PROTECTION_SIDS,
  parseGrantKey,
  parsePolicy,
  planGrants,
  planRevoke,
  TLS_ONLY_SID,
  verifyWritten,
} from '../../lib/domain/policy';
import { PolicyIntegrityError } from '../../lib/errors';

const BUCKET = 'corp-ddb-backups';
const ORG = 'o-a1b2c3d4e5';
const A = '111111111111';
const B = '222222222222';
const SPEC: GrantSpec = { access: ENGINE_WRITER_ACCESS, sourceRoleName: 'ddb-backup-orchestrator' };
const NATIVE_A = grantKey(A, 'native');
const NATIVE_B = grantKey(B, 'native');
const LAYOUTS = ['per-account', 'compact', 'organization'] as const;
/** The guards added after engines: a policy written before them lacks these two, and nothing else. */
const LATER_GUARDS = [DENY_FOREIGN_ENCRYPTION_SID, DENY_COLD_STORAGE_SID];

/** Policies for A and B (Data Pipeline) as the version before engines existed wrote them, in each layout. */
const BEFORE_ENGINES = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'bucket-policies-before-engines.json'), 'utf8'),
) as Record<(typeof LAYOUTS)[number], PolicyDocument>;

const plan = (current: PolicyDocument, grants: string[], layout: (typeof LAYOUTS)[number] = 'per-account') =>
  planGrants(current, grants, BUCKET, SPEC, layout, ORG).result;
const sidsOf = (doc: PolicyDocument) => doc.Statement.map((s) => s.Sid as string);
const empty = () => parsePolicy(undefined);

describe('grant keys', () => {
  it('write a Data Pipeline grant as the bare account id, as every earlier version recorded it, and a native one with its engine', () => {
    expect(grantKey(A)).toBe(A);
    expect(grantKey(A, 'datapipeline')).toBe(A);
    expect(NATIVE_A).toBe(`${A}:native`);
    expect(parseGrantKey(A)).toEqual({ accountId: A, engine: 'datapipeline' });
    expect(parseGrantKey(NATIVE_A)).toEqual({ accountId: A, engine: 'native' });
    expect(grantKeysOf(A)).toEqual([A, NATIVE_A]);
  });

  it.each([
    ['an unknown engine', `${A}:glue`],
    ['the default engine spelled out', `${A}:datapipeline`],
    ['an 11-digit account', '11111111111'],
    ['anything else', 'orders'],
  ])('refuse %s with an error naming the entry', (_what, key) => {
    expect(() => parseGrantKey(key)).toThrow(PolicyIntegrityError);
    expect(() => parseGrantKey(key)).toThrow(`"${key}" is not a grant`);
  });
});

describe('the native grant', () => {
  const statements = () => desiredStatements(BUCKET, [NATIVE_A], SPEC).filter((s) => s.Sid?.includes(A));

  it('is the set AWS documents for exports, on the account’s own prefix: put, abort multipart upload, put ACL — no read, list or delete', () => {
    const [objects] = statements();
    expect(objects).toEqual({
      Sid: `DdbBackupOrch${A}ExportObjects`,
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${A}:root` },
      Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:PutObjectAcl'],
      Resource: `arn:aws:s3:::${BUCKET}/${A}/*`,
    });
    expect(NATIVE_EXPORT_S3_ACCESS).toEqual({ objects: objects && { actions: objects.Action, key: '*' } });
  });

  it('lets only the account’s restore and drill roles read its prefix: GetObject on it, ListBucket for prefixes within it', () => {
    const [, read, list, ...rest] = statements();
    const role = {
      ArnEquals: {
        'aws:PrincipalArn': [
          `arn:aws:iam::${A}:role/ddb-backup-orchestrator-restore`,
          `arn:aws:iam::${A}:role/ddb-backup-orchestrator-drill`,
        ],
      },
    };
    expect(rest).toEqual([]);
    expect(read).toEqual({
      Sid: `DdbBackupOrch${A}ExportRestoreObjects`,
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${A}:root` },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/${A}/*`,
      Condition: role,
    });
    expect(list).toEqual({
      Sid: `DdbBackupOrch${A}ExportRestoreList`,
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${A}:root` },
      Action: 's3:ListBucket',
      Resource: `arn:aws:s3:::${BUCKET}`,
      Condition: { ...role, StringLike: { 's3:prefix': `${A}/*` } },
    });
  });

  it('names the account root as principal, never the restore role’s ARN (which S3 refuses while the role does not exist)', () => {
    const principals = statements().map((s) => JSON.stringify(s.Principal));
    expect(principals.every((p) => p === JSON.stringify({ AWS: `arn:aws:iam::${A}:root` }))).toBe(true);
  });
});

describe('a policy written before engines existed', () => {
  /** Every statement of `before` is in `after`, exactly as it was. */
  const keptAsIs = (before: PolicyDocument, after: PolicyDocument) =>
    before.Statement.every((s) => after.Statement.some((t) => JSON.stringify(t) === JSON.stringify(s)));

  it.each(LAYOUTS)('is recognised as is in the %s layout: its grants kept, only the later guards owed', (layout) => {
    const before = BEFORE_ENGINES[layout];
    const result = plan(before, [A, B], layout);
    expect(result).toMatchObject({ changed: true, written: LATER_GUARDS, removed: [] });
    expect(keptAsIs(before, result.document)).toBe(true);
    expect(
      verifyWritten(JSON.stringify(result.document), result.document, BUCKET, SPEC, { organizationId: ORG }),
    ).toEqual([]);
    expect(findDrift(before, [A, B], [A, B], BUCKET, SPEC, ORG)).toEqual({
      missing: [],
      guardsMissing: LATER_GUARDS,
      unconfigured: [],
      unknown: [],
    });
  });

  it.each(LAYOUTS)('gains a native grant in the %s layout without one of its statements rewritten', (layout) => {
    const before = BEFORE_ENGINES[layout];
    const result = plan(before, [NATIVE_A], layout);
    expect(result.removed).toEqual([]);
    expect(result.written.every((sid) => sid.includes('Export') || LATER_GUARDS.includes(sid))).toBe(true);
    expect(keptAsIs(before, result.document)).toBe(true);
  });
});

describe('an account that uses both engines', () => {
  it('holds both grants under distinct Sids in the per-account layout', () => {
    const doc = plan(empty(), [A, NATIVE_A]).document;
    expect(sidsOf(doc).filter((s) => s.includes(A))).toEqual([
      `DdbBackupOrch${A}Objects`,
      `DdbBackupOrch${A}Cleanup`,
      `DdbBackupOrch${A}Bucket`,
      `DdbBackupOrch${A}ExportObjects`,
      `DdbBackupOrch${A}ExportRestoreObjects`,
      `DdbBackupOrch${A}ExportRestoreList`,
    ]);
    expect(grantsIn(doc)).toEqual(new Set([A, NATIVE_A]));
    expect(grantedAccountsIn(doc)).toEqual(new Set([A]));
  });

  it('is named in each engine’s shared statements in the compact layout, one shared set per engine', () => {
    const doc = plan(empty(), [A, NATIVE_A, NATIVE_B], 'compact').document;
    const principals = (sid: string) => doc.Statement.find((s) => s.Sid === sid)?.Principal;
    expect(principals('DdbBackupOrchSharedObjects')).toEqual({ AWS: [`arn:aws:iam::${A}:root`] });
    expect(principals('DdbBackupOrchSharedExportObjects')).toEqual({
      AWS: [`arn:aws:iam::${A}:root`, `arn:aws:iam::${B}:root`],
    });
    expect(doc.Statement.find((s) => s.Sid === 'DdbBackupOrchSharedExportRestoreList')?.Condition).toEqual({
      ArnLike: {
        'aws:PrincipalArn': [
          'arn:aws:iam::*:role/ddb-backup-orchestrator-restore',
          'arn:aws:iam::*:role/ddb-backup-orchestrator-drill',
        ],
      },
      StringLike: { 's3:prefix': '${aws:PrincipalAccount}/*' },
    });
    expect(grantsIn(doc)).toEqual(new Set([A, NATIVE_A, NATIVE_B]));
  });

  it('in the organization layout, each engine’s set is written once one of its grants is asked for, and kept after', () => {
    const dpOnly = plan(empty(), [A], 'organization').document;
    expect(orgEnginesIn(dpOnly, ORG)).toEqual(new Set(['datapipeline']));
    const both = plan(dpOnly, [NATIVE_B], 'organization').document;
    expect(orgEnginesIn(both, ORG)).toEqual(new Set(['datapipeline', 'native']));
    expect(plan(both, [], 'organization').changed).toBe(false);
  });

  it('loses both grants to a revoke, and no other account loses anything', () => {
    const doc = plan(empty(), [A, NATIVE_A, B, NATIVE_B]).document;
    const revoked = planRevoke(doc, A);
    expect(grantsIn(revoked.document)).toEqual(new Set([B, NATIVE_B]));
    expect(revoked.removed.filter((s) => s.includes(A))).toHaveLength(6);
    const compact = plan(empty(), [A, NATIVE_A, NATIVE_B], 'compact').document;
    expect(grantsIn(planRevoke(compact, A).document)).toEqual(new Set([NATIVE_B]));
  });

  it('refuses a merge that would take one engine’s grant away while leaving the other', () => {
    const doc = plan(empty(), [A, NATIVE_A]).document;
    expect(() => mergePolicy(doc, desiredStatements(BUCKET, [A], SPEC))).toThrow(
      `the merged policy would take away the grant of ${NATIVE_A}`,
    );
  });

  it('is owed, and verified, engine by engine', () => {
    const doc = plan(empty(), [A, NATIVE_A]).document;
    const withoutNative = { ...doc, Statement: doc.Statement.filter((s) => !s.Sid?.includes('Export')) };
    expect(findDrift(withoutNative, [A, NATIVE_A], [A], BUCKET, SPEC).missing).toEqual([NATIVE_A]);
    expect(verifyWritten(JSON.stringify(withoutNative), doc, BUCKET, SPEC)).toEqual([
      `the grant of ${NATIVE_A} is missing or altered`,
    ]);
  });
});

describe('the guards', () => {
  it('are the same statements whatever engines the policy grants: those before engines existed, and the later two', () => {
    const guards = (grants: string[]) =>
      desiredStatements(BUCKET, grants, SPEC).filter(
        (s) => s.Sid === TLS_ONLY_SID || PROTECTION_SIDS.includes(s.Sid as never),
      );
    const before = BEFORE_ENGINES['per-account'].Statement.slice(0, 1 + PROTECTION_SIDS.length - LATER_GUARDS.length);
    const now = guards([A]);
    expect(now.filter((s) => !LATER_GUARDS.includes(s.Sid as string))).toEqual(before);
    expect(now.map((s) => s.Sid).filter((sid) => LATER_GUARDS.includes(sid as string))).toEqual(LATER_GUARDS);
    expect(guards([NATIVE_A])).toEqual(now);
    expect(guards([A, NATIVE_A, NATIVE_B])).toEqual(now);
  });
});

describe('findDrift, per engine', () => {
  const doc = () => plan(empty(), [A, NATIVE_B]).document;

  it('reports each engine’s grant as its own key: owed, unconfigured or unknown', () => {
    const drift = findDrift(doc(), [A, NATIVE_A], [A], BUCKET, SPEC);
    expect(drift).toEqual({ missing: [NATIVE_A], guardsMissing: [], unconfigured: [], unknown: [NATIVE_B] });
    expect(findDrift(doc(), [A, NATIVE_B], [A], BUCKET, SPEC).unconfigured).toEqual([NATIVE_B]);
  });

  it('names a catalog entry that is not a grant', () => {
    expect(() => findDrift(doc(), [A, 'x'], [A], BUCKET, SPEC)).toThrow('"x" is not a grant');
  });
});
