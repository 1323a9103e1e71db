import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { accessMatrix } from '../../lib/domain/access-matrix';
import { EXPORT_S3_ACCESS } from '../../lib/backup-engines/datapipeline/s3-access';
import {
  grantedAccountsIn,
  parsePolicy,
  planGrants as planGrantsFor,
  POLICY_SIZE_LIMIT,
  type PolicyDocument,
  type PolicyLayout,
  TLS_ONLY_SID,
} from '../../lib/domain/policy';
import { evaluateMatrix } from '../../scripts/simulate';

const BUCKET = 'corp-ddb-backups';
const BACKUP = '999999999999';
const OWN = '111111111111';
const OTHER = '222222222222';
const OUTSIDER = '333333333333';
const ORG = 'o-a1b2c3d4e5';
/** The policy as the Data Pipeline engine's writers need it (the access matrix is theirs). */
const planGrants = (current: PolicyDocument, accounts: Iterable<string>, bucket: string, layout: PolicyLayout, organizationId?: string) =>
  planGrantsFor(current, accounts, bucket, EXPORT_S3_ACCESS, layout, organizationId);

/** Statements a real backup bucket carries besides ours (an auditor, break-glass, replication, an encryption rule). */
const FOREIGN = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'events', 'bucket-policy-existing.json'), 'utf8')) as PolicyDocument).Statement;
const filler = (n: number) => Array.from({ length: n }, (_, i) => String(500000000000 + i));

function policyFor(layout: PolicyLayout, accounts: string[]): PolicyDocument {
  const current = parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: FOREIGN }));
  return planGrants(current, accounts, BUCKET, layout, ORG).result.document;
}

const sizes: Array<[string, (layout: PolicyLayout) => string[]]> = [
  ['1 account', () => [OWN]],
  ['2 accounts', () => [OWN, OTHER]],
  ['many accounts', (layout) => [OWN, OTHER, ...filler(layout === 'per-account' ? 20 : 150)]],
];

describe.each(['per-account', 'compact', 'organization', 'auto'] as const)('Given the %s layout', (layout) => {
  describe.each(sizes)('and a policy holding %s', (_size, accountsFor) => {
    const accounts = accountsFor(layout);
    const matrix = accessMatrix(OWN, OTHER, OUTSIDER).map((c) =>
      // With one account the "other" account is not onboarded and gets nothing — except in the
      // organization layout, which grants every account of the organization its own prefix.
      accounts.includes(OTHER) || c.account !== OTHER || layout === 'organization' ? c : { ...c, expected: 'deny' as const },
    );

    it(`the simulator finds every one of the ${matrix.length} access cases as expected`, async () => {
      const policy = policyFor(layout, accounts);
      expect(Buffer.byteLength(JSON.stringify(policy))).toBeLessThanOrEqual(POLICY_SIZE_LIMIT);
      const rows = await evaluateMatrix(policy, matrix, {
        bucket: BUCKET,
        backupAccount: BACKUP,
        organizationOf: (a) => (a === OUTSIDER ? 'o-zzzzzzzzzz' : ORG),
      });
      const wrong = rows.filter((r) => r.actual !== r.expected).map((r) => `${r.name}: expected ${r.expected}, got ${r.verdict}`);
      expect(wrong).toEqual([]);
      expect(rows.filter((r) => r.expected === 'allow').length).toBeGreaterThanOrEqual(13);
    });
  });
});

describe('the access matrix', () => {
  it('has at least 40 cases, allowed and denied', () => {
    const m = accessMatrix(OWN, OTHER, OUTSIDER);
    expect(m.length).toBeGreaterThanOrEqual(40);
    expect(m.filter((c) => c.expected === 'deny').length).toBeGreaterThan(25);
  });

  it('catches a policy that is too broad: the blog’s statements with the account prefix left out', async () => {
    const policy = policyFor('per-account', [OWN, OTHER]);
    const broad = JSON.parse(JSON.stringify(policy).replaceAll(`/${OWN}/`, '/')) as PolicyDocument;
    const rows = await evaluateMatrix(broad, accessMatrix(OWN, OTHER, OUTSIDER), { bucket: BUCKET, backupAccount: BACKUP });
    expect(rows.filter((r) => r.actual !== r.expected).map((r) => r.name)).toEqual(
      expect.arrayContaining(["read another account's data file", "write into another account's prefix"]),
    );
  });

  it('catches a policy without the TLS-only deny', async () => {
    const policy = policyFor('per-account', [OWN, OTHER]);
    const plain = { ...policy, Statement: policy.Statement.filter((s) => s.Sid !== TLS_ONLY_SID) };
    const rows = await evaluateMatrix(plain, accessMatrix(OWN, OTHER, OUTSIDER), { bucket: BUCKET, backupAccount: BACKUP });
    expect(rows.filter((r) => r.actual !== r.expected).every((r) => !r.secure)).toBe(true);
    expect(rows.filter((r) => r.actual !== r.expected)).toHaveLength(4);
  });
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
    expect(result.document.Statement).toHaveLength(FOREIGN.length + 1 + 3);
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
