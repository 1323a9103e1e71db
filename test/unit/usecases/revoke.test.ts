import { grantedAccountsIn, grantsIn, PROTECTION_SIDS, parsePolicy } from '../../../lib/domain/policy';
import { InvalidEventError } from '../../../lib/errors';
import { ensureGrant, grantDepsFrom, PolicyVerificationError } from '../../../lib/usecases/grant';
import { checkHealth } from '../../../lib/usecases/health';
import { offboardTable } from '../../../lib/usecases/offboard';
import { onboardTable } from '../../../lib/usecases/onboard';
import { RevokeRefusedError, revoke } from '../../../lib/usecases/revoke';
import { A, B, BUCKET, type FakeWorld, fakeWorld, ref } from '../../support/fakes/world';
import { existingBucketPolicy } from '../../support/fixtures';

const FOREIGN = existingBucketPolicy();
const C = '444444444444';

describe('revoke', () => {
  let w: FakeWorld;
  const granted = () => [...grantedAccountsIn(parsePolicy(w.policy.text))].sort();
  const foreignIntact = () =>
    expect(parsePolicy(w.policy.text).Statement.filter((s) => !s.Sid?.startsWith('DdbBackupOrch'))).toEqual(
      FOREIGN.Statement,
    );

  async function world(env: Record<string, string> = {}) {
    w = fakeWorld({ SOURCE_ACCOUNTS: `${A},${B},${C}`, ...env });
    w.policy.text = JSON.stringify(FOREIGN);
    for (const [account, table] of [
      [A, 'orders'],
      [B, 'customers'],
      [C, 'ledger'],
    ] as const)
      await onboardTable(w.deps, ref(account, table));
    w.registry.seed({ accountId: C, region: 'us-east-1', tableName: 'ledger', status: 'OFFBOARDED' });
  }

  describe('Given the per-account layout', () => {
    beforeEach(() => world());

    it('removes the account’s statements and its catalog entry, leaving the other accounts and every foreign statement', async () => {
      const result = await revoke(w.deps, { account: C });
      expect(result).toMatchObject({
        account: C,
        catalogEntryRemoved: true,
        policyWritten: true,
        tablesUnderBackup: [],
        stillConfigured: true,
      });
      expect(result.statementsRemoved.sort()).toEqual(
        [`DdbBackupOrch${C}Bucket`, `DdbBackupOrch${C}Cleanup`, `DdbBackupOrch${C}Objects`].sort(),
      );
      expect(granted()).toEqual([A, B]);
      expect(w.grants.granted(BUCKET)).toEqual([A, B]);
      foreignIntact();
      expect(w.grants.lease(BUCKET).owner).toBeUndefined();
      expect(w.telemetry.metrics).toContain('AccountRevoked');
    });

    it('removes every engine’s grant of an account that uses both, statements and catalog entries', async () => {
      await ensureGrant(grantDepsFrom(w.config, w.deps), C, 'native');
      await ensureGrant(grantDepsFrom(w.config, w.deps), B, 'native');
      const result = await revoke(w.deps, { account: C });
      expect(result).toMatchObject({ catalogEntryRemoved: true, policyWritten: true });
      expect(result.statementsRemoved.sort()).toEqual(
        ['Bucket', 'Cleanup', 'Objects', 'ExportObjects', 'ExportRestoreObjects', 'ExportRestoreList']
          .map((part) => `DdbBackupOrch${C}${part}`)
          .sort(),
      );
      expect([...grantsIn(parsePolicy(w.policy.text))].sort()).toEqual([A, B, `${B}:native`]);
      expect(w.grants.granted(BUCKET)).toEqual([A, B, `${B}:native`]);
      foreignIntact();
    });

    it('warns that an account still in SOURCE_ACCOUNTS is granted again by its next CreateTable', async () => {
      const result = await revoke(w.deps, { account: C });
      expect(result.warnings).toEqual([expect.stringContaining('still in SOURCE_ACCOUNTS')]);
      expect(w.telemetry.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: 'account revoked' }));
    });

    it('refuses while the account has tables under backup, naming them, and writes nothing', async () => {
      const writes = w.policy.writes.length;
      const error = await revoke(w.deps, { account: A }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RevokeRefusedError);
      expect((error as Error).message).toContain('us-east-1/orders (ACTIVE)');
      expect(w.policy.writes.length).toBe(writes);
      expect(w.grants.granted(BUCKET)).toEqual([A, B, C]);
    });

    it.each(['PENDING', 'CREATED', 'ACTIVATION_FAILED'] as const)(
      'counts a table in %s as under backup',
      async (status) => {
        w.registry.seed({ accountId: C, region: 'eu-west-1', tableName: 'half-made', status });
        await expect(revoke(w.deps, { account: C })).rejects.toThrow(`eu-west-1/half-made (${status})`);
      },
    );

    it('goes ahead with "force", naming the tables whose exports will now be denied', async () => {
      const result = await revoke(w.deps, { account: A, force: true });
      expect(result).toMatchObject({ policyWritten: true, tablesUnderBackup: ['us-east-1/orders (ACTIVE)'] });
      expect(result.warnings).toContainEqual(expect.stringContaining('exports will be denied'));
      expect(granted()).toEqual([B, C]);
    });

    it('goes ahead once the account’s tables are offboarded', async () => {
      await offboardTable(w.deps, ref(A, 'orders'));
      await expect(revoke(w.deps, { account: A })).resolves.toMatchObject({ policyWritten: true });
    });

    it('revokes an account no longer in SOURCE_ACCOUNTS, which no one else’s grant nor the health check puts back', async () => {
      const narrowed = { ...w.deps, config: { ...w.config, sourceAccounts: [A, B] } };
      const result = await revoke(narrowed, { account: C });
      expect(result).toMatchObject({ stillConfigured: false, warnings: [] });
      await onboardTable(w.deps, ref(B, 'another'));
      await checkHealth(narrowed);
      expect(granted()).toEqual([A, B]);
      expect((await checkHealth(narrowed)).policy).toMatchObject({ repaired: [], unknownGrants: [], unconfigured: [] });
    });

    it('is idempotent: a second revoke writes nothing', async () => {
      await revoke(w.deps, { account: C });
      const writes = w.policy.writes.length;
      await expect(revoke(w.deps, { account: C })).resolves.toMatchObject({
        catalogEntryRemoved: false,
        policyWritten: false,
      });
      expect(w.policy.writes.length).toBe(writes);
    });

    it('finishes a revoke that died after forgetting the catalog entry: the grant left behind is reported, not put back', async () => {
      await w.grants.acquirePolicyLease(BUCKET, 'a-revoke-that-died', 1, { revoke: C });
      w.clock.advance(2);
      expect((await checkHealth(w.deps)).policy).toMatchObject({ unknownGrants: [C], repaired: [] });
      expect(granted()).toContain(C);
      await expect(revoke(w.deps, { account: C })).resolves.toMatchObject({ policyWritten: true });
      expect(granted()).toEqual([A, B]);
    });

    it('fails, retryably, when the policy read back still grants the account', async () => {
      const before = w.policy.text;
      w.policy.put = async (p) => {
        w.policy.writes.push(p);
        w.policy.text = before;
      };
      const error = await revoke(w.deps, { account: C }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PolicyVerificationError);
      expect((error as Error).message).toContain(`${C} is still granted`);
    });
  });

  describe('Given the compact layout', () => {
    beforeEach(() => world({ POLICY_LAYOUT: 'compact' }));

    it('takes the account off the shared statements’ principal list, and removes them with the last account', async () => {
      const result = await revoke(w.deps, { account: C });
      expect(result.statementsWritten).toEqual([
        'DdbBackupOrchSharedObjects',
        'DdbBackupOrchSharedCleanup',
        'DdbBackupOrchSharedBucket',
      ]);
      expect(granted()).toEqual([A, B]);
      foreignIntact();
      await revoke(w.deps, { account: A, force: true });
      await revoke(w.deps, { account: B, force: true });
      expect(
        parsePolicy(w.policy.text)
          .Statement.map((s) => s.Sid)
          .filter((s) => s?.startsWith('DdbBackupOrch')),
      ).toEqual(['DdbBackupOrchDenyInsecureTransport', ...PROTECTION_SIDS]);
      foreignIntact();
    });
  });

  describe('Given the organization layout', () => {
    beforeEach(() => world({ POLICY_LAYOUT: 'organization', ORGANIZATION_ID: 'o-a1b2c3d4e5' }));

    it('refuses: one account cannot be taken out of a grant made by membership, and nothing is written', async () => {
      const writes = w.policy.writes.length;
      await expect(revoke(w.deps, { account: C })).rejects.toThrow(/organization.*cannot be revoked alone/);
      expect(w.policy.writes.length).toBe(writes);
      expect(w.grants.granted(BUCKET)).toEqual([A, B, C]);
    });

    it('refuses when the policy in place holds an organization grant, whatever the configured layout', async () => {
      const perAccount = { ...w.deps, config: { ...w.config, policyLayout: 'per-account' as const } };
      await expect(revoke(perAccount, { account: C })).rejects.toThrow(RevokeRefusedError);
      expect(w.grants.granted(BUCKET)).toEqual([A, B, C]);
    });
  });

  describe('bad input', () => {
    beforeEach(() => world());
    it.each([
      ['not an object', 'account 444444444444', 'must be a JSON object'],
      ['a list', [C], 'must be a JSON object'],
      ['no account', {}, 'account is required'],
      ['an account of 11 digits', { account: '44444444444' }, '12-digit account id'],
      ['an account as a number', { account: 444444444444 }, 'account must be a string'],
      ['an account with a suffix', { account: `${C}x` }, '12-digit account id'],
      ['force as a string', { account: C, force: 'true' }, 'force must be true or false'],
      ['an unknown field', { account: C, forse: true }, 'unknown field(s) forse'],
    ])('refuses %s with a clear error, and writes nothing', async (_what, input, message) => {
      const writes = w.policy.writes.length;
      const calls = w.grants.calls.length;
      const error = await revoke(w.deps, input).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidEventError);
      expect((error as Error).message).toContain(message);
      expect([w.policy.writes.length, w.grants.calls.length]).toEqual([writes, calls]);
    });
  });
});
