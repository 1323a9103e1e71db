import { ENGINE_WRITER_ACCESS } from '../../lib/backup-engines/access';
import { EXPORT_S3_ACCESS } from '../../lib/backup-engines/datapipeline/s3-access';
import { type AccessCase, accessMatrix, LAYOUT_WORD_TABLES, nativeAccessMatrix } from '../../lib/domain/access-matrix';
import {
  DENY_ALTERING_SID,
  DENY_COLD_STORAGE_SID,
  DENY_CUSTOMER_KEYS_SID,
  DENY_DELETING_SID,
  DENY_FOREIGN_ACLS_SID,
  DENY_FOREIGN_ENCRYPTION_SID,
  type GrantSpec,
  grantedAccountsIn,
  grantKey,
  type Json,
  POLICY_SIZE_LIMIT,
  type PolicyDocument,
  type PolicyLayout,
  parsePolicy,
  planGrants as planGrantsFor,
  protectionStatements,
  type Statement,
  TLS_ONLY_SID,
} from '../../lib/domain/policy';
import { type Evaluated, evaluateMatrix } from '../../scripts/simulate';
import { existingBucketPolicy } from '../support/fixtures';

const BUCKET = 'corp-ddb-backups';
const BACKUP = '999999999999';
const OWN = '111111111111';
const OTHER = '222222222222';
const OUTSIDER = '333333333333';
const ORG = 'o-a1b2c3d4e5';
const SPEC: GrantSpec = { access: ENGINE_WRITER_ACCESS, sourceRoleName: 'ddb-backup-orchestrator' };
/** The policy for these grants (an account id alone: its Data Pipeline grant). */
const planGrants = (
  current: PolicyDocument,
  accounts: Iterable<string>,
  bucket: string,
  layout: PolicyLayout,
  organizationId?: string,
) => planGrantsFor(current, accounts, bucket, SPEC, layout, organizationId);

/** Statements a real backup bucket carries besides ours (an auditor, break-glass, replication, an encryption rule). */
const FOREIGN = existingBucketPolicy().Statement;
const filler = (n: number) => Array.from({ length: n }, (_, i) => String(500000000000 + i));

function policyFor(layout: PolicyLayout, accounts: string[]): PolicyDocument {
  const current = parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: FOREIGN }));
  return planGrants(current, accounts, BUCKET, layout, ORG).result.document;
}

const sizes: Array<[string, (layout: PolicyLayout) => string[]]> = [
  ['1 account', () => [OWN]],
  ['2 accounts', () => [OWN, OTHER]],
  ['many accounts', (layout) => [OWN, OTHER, ...filler(layout === 'per-account' ? 19 : 150)]],
];

const LAYOUTS = ['per-account', 'compact', 'organization', 'auto'] as const;
const CTX = {
  bucket: BUCKET,
  backupAccount: BACKUP,
  organizationOf: (a: string) => (a === OUTSIDER ? 'o-zzzzzzzzzz' : ORG),
};
const wrongIn = (rows: Evaluated[]) =>
  rows
    .filter((r) => !r.ok)
    .map((r) => `${r.name}: expected ${r.expected}${r.explicit ? ' (explicitly)' : ''}, got ${r.verdict}`);

/** The matrix of `table` for these onboarded accounts: with one account, the other one is not onboarded (except in the organization layout). */
function matrixFor(layout: PolicyLayout, accounts: string[], table = 'orders'): AccessCase[] {
  return accessMatrix(OWN, OTHER, OUTSIDER, 'us-east-1', table, BACKUP).map((c) =>
    // With one account the "other" account is not onboarded and gets nothing — except in the
    // organization layout, which grants every account of the organization its own prefix.
    accounts.includes(OTHER) || c.account !== OTHER || layout === 'organization'
      ? c
      : { ...c, expected: 'deny' as const },
  );
}

/** A hand-written statement someone added: everything on each account's own prefix. */
const HAND_WRITTEN_FULL_ACCESS = {
  Sid: 'LegacyFullAccessToOwnPrefix',
  Effect: 'Allow' as const,
  Principal: { AWS: [`arn:aws:iam::${OWN}:root`, `arn:aws:iam::${OTHER}:root`] },
  Action: 's3:*',
  Resource: `arn:aws:s3:::${BUCKET}/\${aws:PrincipalAccount}/*`,
};
const withStatement = (policy: PolicyDocument, s: Statement): PolicyDocument => ({
  ...policy,
  Statement: [...policy.Statement, s],
});

describe.each(LAYOUTS)('Given the %s layout', (layout) => {
  describe.each(sizes)('and a policy holding %s', (_size, accountsFor) => {
    const accounts = accountsFor(layout);
    const matrix = matrixFor(layout, accounts);

    it(`the simulator finds every one of the ${matrix.length} access cases as expected`, async () => {
      const policy = policyFor(layout, accounts);
      expect(Buffer.byteLength(JSON.stringify(policy))).toBeLessThanOrEqual(POLICY_SIZE_LIMIT);
      const rows = await evaluateMatrix(policy, matrix, CTX);
      expect(wrongIn(rows)).toEqual([]);
      expect(rows.filter((r) => r.expected === 'allow').length).toBeGreaterThanOrEqual(18);
    });
  });

  it.each(LAYOUT_WORD_TABLES)(
    'the matrix holds for a table named %s: no cleanup grant reaches its data or manifest',
    async (table) => {
      const rows = await evaluateMatrix(policyFor(layout, [OWN, OTHER]), matrixFor(layout, [OWN, OTHER], table), CTX);
      expect(wrongIn(rows)).toEqual([]);
    },
  );

  it('every case that would alter a finished backup stays denied under a hand-written grant of s3:* on the account prefix', async () => {
    const policy = withStatement(policyFor(layout, [OWN, OTHER]), HAND_WRITTEN_FULL_ACCESS);
    const explicit = matrixFor(layout, [OWN, OTHER]).filter((c) => c.explicit);
    expect(explicit.length).toBeGreaterThanOrEqual(25);
    expect(wrongIn(await evaluateMatrix(policy, explicit, CTX))).toEqual([]);
  });
});

describe('the access matrix', () => {
  it('has at least 75 cases, allowed and denied, 25 of them refused by an explicit deny', () => {
    const m = accessMatrix(OWN, OTHER, OUTSIDER, 'us-east-1', 'orders', BACKUP);
    expect(m.length).toBeGreaterThanOrEqual(75);
    expect(m.filter((c) => c.expected === 'deny').length).toBeGreaterThan(50);
    expect(m.filter((c) => c.explicit).length).toBeGreaterThanOrEqual(25);
  });

  it('catches a policy that is too broad: the blog’s statements with the account prefix left out', async () => {
    const policy = policyFor('per-account', [OWN, OTHER]);
    const broad = JSON.parse(JSON.stringify(policy).replaceAll(`/${OWN}/`, '/')) as PolicyDocument;
    const rows = await evaluateMatrix(broad, accessMatrix(OWN, OTHER, OUTSIDER), {
      bucket: BUCKET,
      backupAccount: BACKUP,
    });
    expect(rows.filter((r) => !r.ok).map((r) => r.name)).toEqual(
      expect.arrayContaining(["read another account's data file", "write into another account's prefix"]),
    );
  });

  it('catches a policy without the TLS-only deny', async () => {
    const policy = policyFor('per-account', [OWN, OTHER]);
    const plain = { ...policy, Statement: policy.Statement.filter((s) => s.Sid !== TLS_ONLY_SID) };
    const rows = await evaluateMatrix(plain, accessMatrix(OWN, OTHER, OUTSIDER, 'us-east-1', 'orders', BACKUP), CTX);
    expect(rows.filter((r) => !r.ok).every((r) => !r.secure)).toBe(true);
    expect(rows.filter((r) => !r.ok)).toHaveLength(5);
  });

  it('catches the blog’s wildcard grants: PutObject* lets a source account shorten a lock and lift a legal hold', async () => {
    const policy = policyFor('per-account', [OWN, OTHER]);
    const blog = JSON.parse(
      JSON.stringify(policy).replace('"s3:PutObject","s3:PutObjectAcl"', '"s3:PutObject*"'),
    ) as PolicyDocument;
    const stripped = { ...blog, Statement: blog.Statement.filter((s) => s.Sid !== DENY_ALTERING_SID) };
    const rows = await evaluateMatrix(stripped, accessMatrix(OWN, OTHER, OUTSIDER), CTX);
    expect(rows.filter((r) => !r.ok && r.actual === 'allow').map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'shorten or remove the retention of the manifest',
        'set or lift a legal hold on the manifest',
        'PutObjectTagging on the manifest',
      ]),
    );
  });

  it.each([
    [
      DENY_ALTERING_SID,
      [
        'delete a version of the manifest',
        'shorten or remove the retention of the manifest',
        'set or lift a legal hold on the manifest',
        'bypass governance mode on the manifest',
      ],
    ],
    [
      DENY_DELETING_SID,
      ['delete the manifest of its own run (a delete marker)', 'delete a data file of its own run (a delete marker)'],
    ],
    [DENY_CUSTOMER_KEYS_SID, ['overwrite the manifest with a customer-provided key (SSE-C)']],
    [DENY_FOREIGN_ACLS_SID, ['set a private ACL on the manifest']],
    [DENY_FOREIGN_ENCRYPTION_SID, ['overwrite the manifest encrypted under a KMS key of its own (SSE-KMS)']],
    [DENY_COLD_STORAGE_SID, ['overwrite the manifest into an archive storage class']],
  ])(
    'fails when the %s statement is removed, and under a hand-written s3:* grant those cases are allowed',
    async (sid, cases) => {
      const policy = policyFor('per-account', [OWN, OTHER]);
      const without = { ...policy, Statement: policy.Statement.filter((s) => s.Sid !== sid) };
      const matrix = accessMatrix(OWN, OTHER, OUTSIDER, 'us-east-1', 'orders', BACKUP);
      const failing = (await evaluateMatrix(without, matrix, CTX)).filter((r) => !r.ok);
      expect(failing.map((r) => r.name)).toEqual(expect.arrayContaining(cases));
      expect(failing.every((r) => r.explicit)).toBe(true);
      const open = await evaluateMatrix(withStatement(without, HAND_WRITTEN_FULL_ACCESS), matrix, CTX);
      expect(open.filter((r) => cases.includes(r.name)).map((r) => r.actual)).toEqual(cases.map(() => 'allow'));
    },
  );
});

describe('switching layouts', () => {
  const foreign = () => parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: FOREIGN }));

  it('converts per-account grants to compact in one write, keeping every account and every foreign statement', () => {
    const before = planGrants(foreign(), filler(20), BUCKET, 'per-account').result.document;
    const { result } = planGrants(before, [OWN], BUCKET, 'compact');
    expect(result.changed).toBe(true);
    expect(result.removed).toHaveLength(60);
    expect(result.document.Statement.slice(0, FOREIGN.length)).toEqual(FOREIGN);
    expect([...grantedAccountsIn(result.document)].sort()).toEqual([...filler(20), OWN].sort());
    expect(result.document.Statement).toHaveLength(
      FOREIGN.length + 1 + protectionStatements(BUCKET, EXPORT_S3_ACCESS).length + 3,
    );
  });

  it('converts compact back to per-account, keeping every account', () => {
    const compact = planGrants(foreign(), [OWN, OTHER], BUCKET, 'compact').result.document;
    const { result } = planGrants(compact, [], BUCKET, 'per-account');
    expect([...grantedAccountsIn(result.document)].sort()).toEqual([OWN, OTHER]);
  });

  it('auto stays per-account while it fits, and turns compact for the account that would not', () => {
    let doc = foreign();
    const layouts: string[] = [];
    for (const a of filler(40)) {
      const plan = planGrants(doc, [a], BUCKET, 'auto');
      layouts.push(plan.layout);
      doc = plan.result.document;
      expect(plan.result.bytes).toBeLessThanOrEqual(POLICY_SIZE_LIMIT);
    }
    const switchAt = layouts.indexOf('compact');
    expect(switchAt).toBeGreaterThan(15);
    expect(layouts.slice(0, switchAt).every((l) => l === 'per-account')).toBe(true);
    expect(layouts.slice(switchAt).every((l) => l === 'compact')).toBe(true);
    expect(grantedAccountsIn(doc).size).toBe(40);
    expect(doc.Statement.slice(0, FOREIGN.length)).toEqual(FOREIGN);
  });

  it('the organization layout is the same size for 2 accounts and for 2,000', () => {
    const two = planGrants(foreign(), [OWN, OTHER], BUCKET, 'organization', ORG).result.bytes;
    const many = planGrants(foreign(), filler(2000), BUCKET, 'organization', ORG).result.bytes;
    expect(many).toBe(two);
  });
});

describe('the native engine', () => {
  const RESTORE_ROLE = 'ddb-backup-orchestrator-restore';
  const native = (a: string) => grantKey(a, 'native');
  const nativeMatrix = (table = 'orders') =>
    nativeAccessMatrix(OWN, OTHER, OUTSIDER, RESTORE_ROLE, 'us-east-1', table, BACKUP);
  /** With OTHER not granted (native), its cases are denied — except in the organization layout. */
  const nativeMatrixFor = (layout: PolicyLayout, grants: string[], table = 'orders'): AccessCase[] =>
    nativeMatrix(table).map((c) =>
      grants.includes(native(OTHER)) || c.account !== OTHER || layout === 'organization'
        ? c
        : { ...c, expected: 'deny' as const },
    );
  const nativeSizes: Array<[string, (layout: PolicyLayout) => string[]]> = [
    ['1 native account', () => [native(OWN)]],
    ['2 native accounts', () => [native(OWN), native(OTHER)]],
    [
      'many native accounts',
      (layout) => [native(OWN), native(OTHER), ...filler(layout === 'per-account' ? 10 : 150).map(native)],
    ],
  ];

  it('has its own matrix, allowed and denied, every case that would alter a backup refused by an explicit deny', () => {
    const m = nativeMatrix();
    expect(m.length).toBeGreaterThanOrEqual(60);
    expect(m.filter((c) => c.expected === 'allow').length).toBeGreaterThanOrEqual(11);
    expect(m.filter((c) => c.explicit).length).toBeGreaterThanOrEqual(25);
  });

  describe.each(LAYOUTS)('Given the %s layout', (layout) => {
    it.each(nativeSizes)(
      'and a policy granting %s, the simulator finds every case as expected',
      async (_size, grantsFor) => {
        const grants = grantsFor(layout);
        const policy = policyFor(layout, grants);
        expect(Buffer.byteLength(JSON.stringify(policy))).toBeLessThanOrEqual(POLICY_SIZE_LIMIT);
        expect(wrongIn(await evaluateMatrix(policy, nativeMatrixFor(layout, grants), CTX))).toEqual([]);
      },
    );

    it.each(LAYOUT_WORD_TABLES)('the native matrix holds for a table named %s', async (table) => {
      const grants = [native(OWN), native(OTHER)];
      const rows = await evaluateMatrix(policyFor(layout, grants), nativeMatrixFor(layout, grants, table), CTX);
      expect(wrongIn(rows)).toEqual([]);
    });

    it('every case that would alter a finished native backup stays denied under a hand-written grant of s3:* on the account prefix', async () => {
      const policy = withStatement(policyFor(layout, [native(OWN), native(OTHER)]), HAND_WRITTEN_FULL_ACCESS);
      const explicit = nativeMatrix().filter((c) => c.explicit);
      expect(wrongIn(await evaluateMatrix(policy, explicit, CTX))).toEqual([]);
    });

    it('an account that uses both engines has both: every Data Pipeline case, and every native allow and explicit deny', async () => {
      const grants = [OWN, native(OWN), OTHER, native(OTHER)];
      const policy = policyFor(layout, grants);
      // Its Data Pipeline grant lets any of its roles read its prefix, list the bucket (the
      // blog's ListBucket has no prefix condition) and get its location: the native matrix's
      // implicit denies of those are the Data Pipeline grant's to decide.
      const decidedByDataPipeline = (c: AccessCase) =>
        c.account === OWN &&
        (c.key?.startsWith(`${OWN}/`) === true || ['s3:ListBucket', 's3:GetBucketLocation'].includes(c.action));
      const nativeCases = nativeMatrix().filter(
        (c) => c.expected === 'allow' || c.explicit || !decidedByDataPipeline(c),
      );
      const dataPipeline = await evaluateMatrix(policy, matrixFor(layout, [OWN, OTHER]), CTX);
      const both = await evaluateMatrix(policy, nativeCases, CTX);
      expect(wrongIn(dataPipeline)).toEqual([]);
      expect(wrongIn(both)).toEqual([]);
    });
  });

  it('in a policy that holds both engines, a native-only account can read nothing but through its restore role', async () => {
    const policy = policyFor('per-account', [OWN, native(OTHER)]);
    const asOther = nativeAccessMatrix(OTHER, OWN, OUTSIDER, RESTORE_ROLE, 'us-east-1', 'orders', BACKUP).filter(
      (c) => c.account === OTHER,
    );
    expect(wrongIn(await evaluateMatrix(policy, asOther, CTX))).toEqual([]);
  });

  it('catches a native grant given the Data Pipeline engine’s actions: the export could read, list and delete', async () => {
    const policy = policyFor('per-account', [native(OWN), native(OTHER)]);
    const widened = {
      ...policy,
      Statement: policy.Statement.map((s) =>
        s.Sid === `DdbBackupOrch${OWN}ExportObjects` ? { ...s, Action: [...EXPORT_S3_ACCESS.objects.actions] } : s,
      ),
    };
    const failing = (await evaluateMatrix(widened, nativeMatrix(), CTX)).filter((r) => !r.ok).map((r) => r.name);
    expect(failing).toEqual(expect.arrayContaining(['read a data file', 'read the manifest summary']));
  });

  it('catches a restore read without its role condition: any role of the account could read the backups', async () => {
    const policy = policyFor('per-account', [native(OWN), native(OTHER)]);
    const withoutRole = (s: Statement): Statement => {
      if (s.Sid?.includes('Restore') !== true) return s;
      const { ArnEquals: _, ...rest } = s.Condition as Record<string, Json>;
      return { ...s, Condition: rest };
    };
    const open = { ...policy, Statement: policy.Statement.map(withoutRole) };
    const failing = (await evaluateMatrix(open, nativeMatrix(), CTX)).filter((r) => !r.ok).map((r) => r.name);
    expect(failing).toEqual(
      expect.arrayContaining([
        'another role of the account reads a data file',
        'read a data file',
        'list its own prefix',
      ]),
    );
  });
});
