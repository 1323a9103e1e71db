import { step } from '../../../lib/domain/lifecycle';
import type { TableRef } from '../../../lib/domain/table-ref';
import { IllegalTransitionError } from '../../../lib/errors';
import type { GrantCatalog } from '../../../lib/ports/grant-catalog';
import type { TableRegistry } from '../../../lib/ports/table-registry';

/**
 * What the registry ports promise, as cases run against both the in-memory fakes (unit tier) and
 * the DynamoDB adapters on moto (integration tier): a fake that passes them behaves, for the use
 * cases, as the adapter does. `make` gives fresh ports on a clock that `advance` moves.
 */
export interface RegistryUnderTest {
  registry: TableRegistry;
  grants: GrantCatalog;
  advance(ms: number): void;
}

let n = 0;
const fresh = (): TableRef => {
  const tableName = `contract-${process.pid}-${n++}`;
  return {
    accountId: '111111111111',
    region: 'us-east-1',
    tableName,
    tableArn: `arn:aws:dynamodb:us-east-1:111111111111:table/${tableName}`,
  };
};
const LEASE = 10_000;

export function registryContract(make: () => RegistryUnderTest): void {
  let ports: RegistryUnderTest;
  beforeEach(() => {
    ports = make();
  });

  describe('table records', () => {
    it('makes a PENDING record, leased to the claimant, on the first claim', async () => {
      const t = fresh();
      const claim = await ports.registry.claimTable(t, 'a', LEASE);
      expect(claim).toMatchObject({
        claimed: true,
        record: { status: 'PENDING', leaseOwner: 'a', attempts: 1, generation: 1, tableArn: t.tableArn },
      });
    });

    it('gives a live lease to no one else, and returns the record to the one turned away', async () => {
      const t = fresh();
      await ports.registry.claimTable(t, 'a', LEASE);
      expect(await ports.registry.claimTable(t, 'b', LEASE)).toMatchObject({
        claimed: false,
        record: { leaseOwner: 'a' },
      });
    });

    it('counts a repeated claim by the lease owner as claimed (a retry whose first response was lost)', async () => {
      const t = fresh();
      await ports.registry.claimTable(t, 'a', LEASE);
      expect(await ports.registry.claimTable(t, 'a', LEASE)).toMatchObject({
        claimed: true,
        record: { leaseOwner: 'a', attempts: 1 },
      });
    });

    it('lets another worker claim once the lease has expired, counting the attempt', async () => {
      const t = fresh();
      await ports.registry.claimTable(t, 'a', LEASE);
      ports.advance(LEASE + 1);
      expect(await ports.registry.claimTable(t, 'b', LEASE)).toMatchObject({
        claimed: true,
        record: { leaseOwner: 'b', attempts: 2 },
      });
    });

    it('leaves a record alone when its status is not among those the claim asks for', async () => {
      const t = fresh();
      await ports.registry.claimTable(t, 'a', LEASE);
      await ports.registry.updateClaimed(t, 'a', { pipelineId: 'res-1' }, { transition: step('backupCreated') });
      await ports.registry.updateClaimed(t, 'a', {}, { transition: step('activated'), release: true });
      expect(await ports.registry.claimTable(t, 'b', LEASE, { statuses: ['PENDING', 'CREATED'] })).toMatchObject({
        claimed: false,
        record: { status: 'ACTIVE' },
      });
      expect(await ports.registry.claimTable(t, 'b', LEASE)).toMatchObject({
        claimed: true,
        record: { status: 'ACTIVE', leaseOwner: 'b' },
      });
    });

    it('writes nothing for a worker that does not hold the lease', async () => {
      const t = fresh();
      await ports.registry.claimTable(t, 'a', LEASE);
      expect(await ports.registry.updateClaimed(t, 'b', { lastError: 'x' })).toBe(false);
      expect((await ports.registry.getTable(t))?.lastError).toBeUndefined();
    });

    it('refuses a transition from a status the lifecycle does not start it from, and writes nothing', async () => {
      const t = fresh();
      await ports.registry.claimTable(t, 'a', LEASE);
      await expect(
        ports.registry.updateClaimed(t, 'a', { activatedAt: 'now' }, { transition: step('activated') }),
      ).rejects.toThrow(IllegalTransitionError);
      expect(await ports.registry.getTable(t)).toMatchObject({ status: 'PENDING' });
      expect((await ports.registry.getTable(t))?.activatedAt).toBeUndefined();
    });

    it('takes a transition repeated after it was applied as done (a retry whose first response was lost)', async () => {
      const t = fresh();
      await ports.registry.claimTable(t, 'a', LEASE);
      await ports.registry.updateClaimed(t, 'a', { pipelineId: 'res-1' }, { transition: step('backupCreated') });
      await expect(
        ports.registry.updateClaimed(t, 'a', { pipelineId: 'res-1' }, { transition: step('backupCreated') }),
      ).resolves.toBe(true);
    });

    it('ends the lease on release, and lets it expire but keeps its owner on expireLease', async () => {
      const t = fresh();
      await ports.registry.claimTable(t, 'a', LEASE);
      await ports.registry.updateClaimed(
        t,
        'a',
        { pipelineId: 'res-1' },
        { transition: step('backupCreated'), expireLease: true },
      );
      expect(await ports.registry.getTable(t)).toMatchObject({ leaseOwner: 'a', leaseExpiresAt: 0 });
      expect(
        await ports.registry.updateClaimed(t, 'a', { lastError: 'late' }, { release: true, remove: ['pipelineId'] }),
      ).toBe(true);
      const record = await ports.registry.getTable(t);
      expect(record).toMatchObject({ lastError: 'late', status: 'CREATED' });
      expect([record?.leaseOwner, record?.leaseExpiresAt, record?.pipelineId]).toEqual([
        undefined,
        undefined,
        undefined,
      ]);
    });

    it('lists the table records it holds', async () => {
      const [t, u] = [fresh(), fresh()];
      await ports.registry.claimTable(t, 'a', LEASE);
      await ports.registry.claimTable(u, 'a', LEASE);
      const names = (await ports.registry.listTables()).map((r) => r.tableName);
      expect(names).toEqual(expect.arrayContaining([t.tableName, u.tableName]));
    });
  });

  describe('grant catalog and policy lease', () => {
    const bucket = () => `contract-bucket-${process.pid}-${n++}`;

    it('takes the lease of a bucket no one holds, and turns others away while it lives', async () => {
      const b = bucket();
      expect(await ports.grants.acquirePolicyLock(b, 'a', LEASE, '111111111111')).toEqual({
        state: 'acquired',
        accounts: new Set(),
      });
      expect((await ports.grants.acquirePolicyLock(b, 'b', LEASE, '222222222222')).state).toBe('busy');
      expect((await ports.grants.acquirePolicyLock(b, 'a', LEASE, '111111111111')).state).toBe('acquired');
    });

    it('records the grant on release, and answers "granted" for that account without taking the lease', async () => {
      const b = bucket();
      await ports.grants.acquirePolicyLock(b, 'a', LEASE, '111111111111');
      await ports.grants.releasePolicyLock(b, 'a', ['111111111111']);
      expect(await ports.grants.acquirePolicyLock(b, 'b', LEASE, '111111111111')).toEqual({
        state: 'granted',
        accounts: new Set(['111111111111']),
      });
      expect((await ports.grants.acquirePolicyLock(b, 'c', LEASE, '222222222222')).state).toBe('acquired');
    });

    it('renews the lease for its owner only, and not once it has expired', async () => {
      const b = bucket();
      await ports.grants.acquirePolicyLock(b, 'a', LEASE, '111111111111');
      expect(await ports.grants.renewPolicyLock(b, 'b', LEASE)).toBe(false);
      expect(await ports.grants.renewPolicyLock(b, 'a', LEASE)).toBe(true);
      ports.advance(LEASE + 1);
      expect(await ports.grants.renewPolicyLock(b, 'a', LEASE)).toBe(false);
    });

    it('takes the lease whatever the catalog holds, forgetting a revoked account in the same write, and turns others away', async () => {
      const b = bucket();
      await ports.grants.acquirePolicyLock(b, 'a', LEASE, '111111111111');
      await ports.grants.releasePolicyLock(b, 'a', ['111111111111', '222222222222']);
      expect(await ports.grants.acquirePolicyLease(b, 'r', LEASE, { revoke: '111111111111' })).toEqual({
        state: 'acquired',
        accounts: new Set(['222222222222']),
      });
      expect((await ports.grants.acquirePolicyLease(b, 'x', LEASE)).state).toBe('busy');
      expect((await ports.grants.acquirePolicyLock(b, 'x', LEASE, '111111111111')).state).toBe('busy');
      expect((await ports.grants.acquirePolicyLease(b, 'r', LEASE)).state).toBe('acquired');
      await ports.grants.releasePolicyLock(b, 'r', []);
      expect(await ports.grants.grantedAccounts(b)).toEqual(new Set(['222222222222']));
    });

    it('reads an empty catalog for a bucket never written, and forgets the last account without error', async () => {
      const b = bucket();
      expect(await ports.grants.grantedAccounts(b)).toEqual(new Set());
      await ports.grants.acquirePolicyLock(b, 'a', LEASE, '111111111111');
      await ports.grants.releasePolicyLock(b, 'a', ['111111111111']);
      expect((await ports.grants.acquirePolicyLease(b, 'r', LEASE, { revoke: '111111111111' })).accounts).toEqual(
        new Set(),
      );
      expect((await ports.grants.acquirePolicyLease(b, 's', LEASE, { revoke: '333333333333' })).state).toBe('busy');
    });

    it('holds one entry per engine of an account: the native grant is owed beside the Data Pipeline one, and a revoke forgets both', async () => {
      const b = bucket();
      await ports.grants.acquirePolicyLock(b, 'a', LEASE, '111111111111');
      await ports.grants.releasePolicyLock(b, 'a', ['111111111111', '222222222222:native']);
      expect((await ports.grants.acquirePolicyLock(b, 'b', LEASE, '111111111111:native')).state).toBe('acquired');
      await ports.grants.releasePolicyLock(b, 'b', ['111111111111:native']);
      expect((await ports.grants.acquirePolicyLock(b, 'c', LEASE, '111111111111:native')).state).toBe('granted');
      expect((await ports.grants.acquirePolicyLease(b, 'r', LEASE, { revoke: '111111111111' })).accounts).toEqual(
        new Set(['222222222222:native']),
      );
    });

    it('still records a grant whose writer lost the lease, without releasing the new holder', async () => {
      const b = bucket();
      await ports.grants.acquirePolicyLock(b, 'a', LEASE, '111111111111');
      ports.advance(LEASE + 1);
      await ports.grants.acquirePolicyLock(b, 'b', LEASE, '222222222222');
      await ports.grants.releasePolicyLock(b, 'a', ['111111111111']);
      expect((await ports.grants.acquirePolicyLock(b, 'c', LEASE, '333333333333')).state).toBe('busy');
      expect((await ports.grants.acquirePolicyLock(b, 'c', LEASE, '111111111111')).state).toBe('granted');
    });
  });
}
