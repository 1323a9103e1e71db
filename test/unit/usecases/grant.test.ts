import { ENGINE_WRITER_ACCESS } from '../../../lib/backup-engines/access';
import { grantedAccountsIn, grantsIn, PROTECTION_SIDS, parsePolicy } from '../../../lib/domain/policy';
import {
  LeaseLostError,
  LockBusyError,
  PolicyConflictError,
  PolicyIntegrityError,
  PolicyParseError,
} from '../../../lib/errors';
import { ensureGrant, type GrantDeps, PolicyVerificationError, repairGrants } from '../../../lib/usecases/grant';
import { A, B, BUCKET, type FakeWorld, fakeWorld, LEASE_MS, OUTSIDER } from '../../support/fakes/world';
import { existingBucketPolicy } from '../../support/fixtures';

const FOREIGN = existingBucketPolicy();

describe('ensureGrant', () => {
  let w: FakeWorld;
  let deps: GrantDeps;
  beforeEach(() => {
    w = fakeWorld();
    w.policy.text = JSON.stringify(FOREIGN);
    deps = {
      bucket: BUCKET,
      layout: 'per-account',
      sourceAccounts: w.config.sourceAccounts,
      access: ENGINE_WRITER_ACCESS,
      sourceRoleName: w.config.sourceRoleName,
      grants: w.grants,
      policy: w.policy,
      lock: w.deps.lock,
      newOwnerId: w.deps.newOwnerId,
    };
  });
  const granted = () => [...grantedAccountsIn(parsePolicy(w.policy.text))].sort();

  it('writes the account’s statements once, in five round trips: lease, read, renew with a re-read, write, release with the grant alongside the read-back', async () => {
    const result = await ensureGrant(deps, A);
    expect(result).toMatchObject({
      accountId: A,
      alreadyGranted: false,
      policyWritten: true,
      layout: 'per-account',
      statementsWritten: [
        'DdbBackupOrchDenyInsecureTransport',
        ...PROTECTION_SIDS,
        `DdbBackupOrch${A}Objects`,
        `DdbBackupOrch${A}Cleanup`,
        `DdbBackupOrch${A}Bucket`,
      ],
    });
    expect(w.grants.calls).toEqual([`acquire ${A}`, 'renew', `release ${A}`]);
    expect([w.policy.reads, w.policy.writes.length]).toEqual([3, 1]);
    expect(parsePolicy(w.policy.text).Statement.slice(0, FOREIGN.Statement.length)).toEqual(FOREIGN.Statement);
    expect(w.grants.granted(BUCKET)).toEqual([A]);
  });

  it('costs one call, and reads no policy, for an account already granted', async () => {
    await ensureGrant(deps, A);
    const [calls, reads] = [w.grants.calls.length, w.policy.reads];
    await expect(ensureGrant(deps, A)).resolves.toMatchObject({ alreadyGranted: true, policyWritten: false });
    expect(w.grants.calls.slice(calls)).toEqual([`acquire ${A}`]);
    expect(w.policy.reads).toBe(reads);
  });

  it('records the grant without writing when the policy already holds it', async () => {
    await ensureGrant(deps, A);
    const other = fakeWorld();
    other.policy.text = w.policy.text; // a policy granted by an earlier installation, a catalog that does not know it
    const result = await ensureGrant({ ...deps, grants: other.grants, policy: other.policy }, A);
    expect(result).toMatchObject({ alreadyGranted: false, policyWritten: false });
    expect(other.policy.writes).toEqual([]);
    expect(other.grants.granted(BUCKET)).toEqual([A]);
  });

  it('keeps every account the policy grants when it adds another', async () => {
    await ensureGrant(deps, A);
    await ensureGrant(deps, B);
    expect(granted()).toEqual([A, B]);
  });

  it('refuses a policy in place that is not valid JSON, writes nothing and frees the lease', async () => {
    w.policy.text = '{"Statement": [ {} {} ]}';
    await expect(ensureGrant(deps, A)).rejects.toThrow(PolicyParseError);
    expect(w.policy.writes).toEqual([]);
    expect(w.grants.lease(BUCKET).owner).toBeUndefined();
    expect(w.grants.granted(BUCKET)).toEqual([]);
  });

  it('merges again when the policy is edited between its read and the write, keeping the edit', async () => {
    const edit = {
      Sid: 'AddedByAHuman',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::555555555555:role/analyst' },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/reports/*`,
    };
    w.policy.beforeRead = (read) => {
      if (read === 1) w.policy.text = JSON.stringify({ ...FOREIGN, Statement: [...FOREIGN.Statement, edit] });
    };
    await expect(ensureGrant(deps, A)).resolves.toMatchObject({ policyWritten: true });
    expect(parsePolicy(w.policy.text).Statement).toContainEqual(edit);
    expect(granted()).toEqual([A]);
    expect(w.policy.reads).toBe(4);
  });

  it('gives up, writing nothing, when the policy keeps changing under it', async () => {
    let n = 0;
    w.policy.beforeRead = () => {
      w.policy.text = JSON.stringify({
        ...FOREIGN,
        Statement: [
          ...FOREIGN.Statement,
          {
            Sid: `Edit${n++}`,
            Effect: 'Allow',
            Principal: '*',
            Action: 's3:GetObject',
            Resource: `arn:aws:s3:::${BUCKET}/x/*`,
          },
        ],
      });
    };
    await expect(ensureGrant(deps, A)).rejects.toThrow(PolicyConflictError);
    expect(w.policy.writes).toEqual([]);
  });

  it('writes nothing once its lease has expired and another writer holds it', async () => {
    w.policy.beforeRead = async (read) => {
      if (read !== 1) return;
      w.clock.advance(LEASE_MS + 1);
      await w.grants.acquirePolicyLock(BUCKET, 'successor', LEASE_MS, B);
    };
    await expect(ensureGrant(deps, A)).rejects.toThrow(LeaseLostError);
    expect(w.policy.writes).toEqual([]);
    expect(w.grants.lease(BUCKET).owner).toBe('successor');
  });

  it('waits for a lease held by a writer that died, then writes', async () => {
    await w.grants.acquirePolicyLock(BUCKET, 'died', LEASE_MS, '000000000000');
    const started = w.clock.now();
    await expect(ensureGrant(deps, A)).resolves.toMatchObject({ policyWritten: true });
    expect(w.clock.now() - started).toBeGreaterThan(LEASE_MS);
  });

  it('stops waiting as soon as another worker has granted the account', async () => {
    await w.grants.acquirePolicyLock(BUCKET, 'other-table-same-account', LEASE_MS, A);
    const sleep = deps.lock.sleep;
    let slept = 0;
    const lock = {
      ...deps.lock,
      sleep: async (ms: number) => {
        if (slept++ === 0) await w.grants.releasePolicyLock(BUCKET, 'other-table-same-account', [A]);
        await sleep(ms);
      },
    };
    await expect(ensureGrant({ ...deps, lock }, A)).resolves.toMatchObject({
      alreadyGranted: true,
      policyWritten: false,
    });
    expect(w.policy.writes).toEqual([]);
  });

  it('gives up, retryably, after waiting its limit for a lease that stays held', async () => {
    await w.grants.acquirePolicyLock(BUCKET, 'slow', 10 * LEASE_MS, B);
    const error = await ensureGrant(deps, A).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockBusyError);
    expect((error as LockBusyError).retryable).toBe(true);
  });

  describe('only configured accounts', () => {
    it('refuses to grant an account not in SOURCE_ACCOUNTS, and touches nothing', async () => {
      await expect(ensureGrant(deps, OUTSIDER)).rejects.toThrow(PolicyIntegrityError);
      expect([w.policy.reads, w.policy.writes.length, w.grants.calls.length]).toEqual([0, 0, 0]);
    });

    it('does not put back, for another account, the grant of a catalog account no longer configured', async () => {
      await ensureGrant({ ...deps, sourceAccounts: [A, OUTSIDER] }, OUTSIDER);
      const doc = parsePolicy(w.policy.text);
      w.policy.text = JSON.stringify({
        ...doc,
        Statement: doc.Statement.filter((s) => !s.Sid?.startsWith(`DdbBackupOrch${OUTSIDER}`)),
      }); // removed by hand
      await ensureGrant(deps, A);
      expect(granted()).toEqual([A]);
    });

    it('keeps, during another account’s write, the grant the policy still holds for an account no longer configured', async () => {
      await ensureGrant({ ...deps, sourceAccounts: [A, OUTSIDER] }, OUTSIDER);
      await ensureGrant(deps, A);
      expect(granted()).toEqual([A, OUTSIDER].sort());
    });
  });

  describe('per engine', () => {
    const grants = () => [...grantsIn(parsePolicy(w.policy.text))].sort();

    it('grants a native account the export’s statements only, and records it as <account>:native', async () => {
      const result = await ensureGrant(deps, A, 'native');
      expect(result).toMatchObject({
        engine: 'native',
        policyWritten: true,
        statementsWritten: [
          'DdbBackupOrchDenyInsecureTransport',
          ...PROTECTION_SIDS,
          `DdbBackupOrch${A}ExportObjects`,
          `DdbBackupOrch${A}ExportRestoreObjects`,
          `DdbBackupOrch${A}ExportRestoreList`,
        ],
      });
      expect(grants()).toEqual([`${A}:native`]);
      expect(w.grants.granted(BUCKET)).toEqual([`${A}:native`]);
      expect(w.grants.calls).toEqual([`acquire ${A}:native`, 'renew', `release ${A}:native`]);
    });

    it('gives an account that uses both engines both grants, each written once and then found in one call', async () => {
      await ensureGrant(deps, A);
      const second = await ensureGrant(deps, A, 'native');
      expect(second).toMatchObject({ alreadyGranted: false, policyWritten: true });
      expect(second.statementsWritten.every((sid) => sid.startsWith(`DdbBackupOrch${A}Export`))).toBe(true);
      expect(grants()).toEqual([A, `${A}:native`]);
      const calls = w.grants.calls.length;
      await expect(ensureGrant(deps, A, 'native')).resolves.toMatchObject({ alreadyGranted: true });
      await expect(ensureGrant(deps, A)).resolves.toMatchObject({ alreadyGranted: true });
      expect(w.grants.calls.slice(calls)).toEqual([`acquire ${A}:native`, `acquire ${A}`]);
    });

    it('does not put back the native grant of an account no longer in SOURCE_ACCOUNTS', async () => {
      await ensureGrant({ ...deps, sourceAccounts: [A, OUTSIDER] }, OUTSIDER, 'native');
      const doc = parsePolicy(w.policy.text);
      w.policy.text = JSON.stringify({ ...doc, Statement: doc.Statement.filter((s) => !s.Sid?.includes(OUTSIDER)) });
      await ensureGrant(deps, A, 'native');
      expect(grants()).toEqual([`${A}:native`]);
    });

    it('repairs each engine’s grant from the catalog: a native grant removed by hand is put back, the other left as it was', async () => {
      await ensureGrant(deps, A);
      await ensureGrant(deps, B, 'native');
      const doc = parsePolicy(w.policy.text);
      const dataPipeline = doc.Statement.filter((s) => s.Sid?.startsWith(`DdbBackupOrch${A}`));
      w.policy.text = JSON.stringify({ ...doc, Statement: doc.Statement.filter((s) => !s.Sid?.includes('Export')) });
      const result = await repairGrants(deps);
      expect(result).toMatchObject({ repaired: [`${B}:native`], policyWritten: true });
      expect(result.statementsWritten.every((sid) => sid.startsWith(`DdbBackupOrch${B}Export`))).toBe(true);
      expect(grants()).toEqual([A, `${B}:native`]);
      expect(parsePolicy(w.policy.text).Statement.filter((s) => s.Sid?.startsWith(`DdbBackupOrch${A}`))).toEqual(
        dataPipeline,
      );
    });
  });

  describe('read-back of the write', () => {
    it('writes again, under the lease taken again, when the policy read back lacks the grant (an overwrite outside the lease)', async () => {
      const before = w.policy.text;
      let overwritten = false;
      const put = w.policy.put.bind(w.policy);
      w.policy.put = async (p) => {
        await put(p);
        if (!overwritten) {
          overwritten = true;
          w.policy.text = before; // someone outside the lease wrote the old policy back right after us
        }
      };
      await expect(ensureGrant(deps, A)).resolves.toMatchObject({ policyWritten: true });
      expect(w.policy.writes).toHaveLength(2);
      expect(granted()).toEqual([A]);
      expect(w.grants.calls).toEqual([`acquire ${A}`, 'renew', `release ${A}`, 'lease', 'renew', `release ${A}`]);
    });

    it('gives up, retryably, with the problems named, when every write reads back without the grant', async () => {
      const before = w.policy.text;
      w.policy.put = async (p) => {
        w.policy.writes.push(p);
        w.policy.text = before;
      };
      const error = await ensureGrant(deps, A).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PolicyVerificationError);
      expect((error as PolicyVerificationError).retryable).toBe(true);
      expect((error as Error).message).toContain(`the grant of ${A} is missing or altered`);
      expect(w.policy.writes).toHaveLength(3);
      expect(w.grants.lease(BUCKET).owner).toBeUndefined();
    });

    it('takes a read-back that is not valid JSON as a mismatch, and finds its write in place on the next read', async () => {
      const get = w.policy.get.bind(w.policy);
      w.policy.get = async () => {
        const text = await get();
        return w.policy.reads === 3 ? '{"Statement": [' : text; // the read-back only
      };
      await expect(ensureGrant(deps, A)).resolves.toMatchObject({ policyWritten: true });
      expect(w.policy.writes).toHaveLength(1);
      expect(w.grants.calls).toEqual([`acquire ${A}`, 'renew', `release ${A}`, 'lease', `release ${A}`]);
    });
  });
});
