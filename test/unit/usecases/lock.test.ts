import { LockBusyError } from '../../../lib/errors';
import { backoffMs, claimTableWithWait, type LockOptions } from '../../../lib/usecases/lock';
import { manualClock } from '../../support/fakes/clock';
import { FakeTableRegistry } from '../../support/fakes/table-registry';
import { A, REGION, ref } from '../../support/fakes/world';

describe('claimTableWithWait', () => {
  const clock = manualClock();
  const sleeps: number[] = [];
  const lock: LockOptions = {
    leaseMs: 10_000,
    waitMs: 15_000,
    now: clock.now,
    random: () => 1,
    sleep: async (ms) => {
      sleeps.push(ms);
      await clock.sleep(ms);
    },
  };
  let registry: FakeTableRegistry;
  beforeEach(() => {
    registry = new FakeTableRegistry(clock.now);
    sleeps.length = 0;
  });

  it('claims a free table at once', async () => {
    await expect(claimTableWithWait(registry, ref(A, 'orders'), 'me', lock)).resolves.toMatchObject({ claimed: true });
    expect(sleeps).toEqual([]);
  });

  it('waits with capped exponential backoff while another holds the lease, then takes it once expired', async () => {
    registry.seed({
      accountId: A,
      region: REGION,
      tableName: 'orders',
      status: 'PENDING',
      leaseOwner: 'other',
      leaseExpiresAt: clock.now() + 3_000,
    });
    await expect(claimTableWithWait(registry, ref(A, 'orders'), 'me', lock)).resolves.toMatchObject({
      claimed: true,
      record: { leaseOwner: 'me' },
    });
    expect(sleeps.slice(0, 6)).toEqual([50, 100, 200, 400, 800, 1000]);
  });

  it('stops at once, unclaimed, when the record needs no more work', async () => {
    registry.seed({
      accountId: A,
      region: REGION,
      tableName: 'orders',
      status: 'ACTIVE',
      pipelineId: 'res-1',
      leaseOwner: 'other',
      leaseExpiresAt: 0,
    });
    const claim = await claimTableWithWait(registry, ref(A, 'orders'), 'me', lock, {
      statuses: ['PENDING'],
      stopWhen: (r) => r.status === 'ACTIVE',
    });
    expect(claim).toMatchObject({ claimed: false, record: { status: 'ACTIVE' } });
    expect(sleeps).toEqual([]);
  });

  it('gives up with a retryable LockBusyError after waiting its limit', async () => {
    registry.seed({
      accountId: A,
      region: REGION,
      tableName: 'orders',
      status: 'PENDING',
      leaseOwner: 'other',
      leaseExpiresAt: clock.now() + 60_000,
    });
    await expect(claimTableWithWait(registry, ref(A, 'orders'), 'me', lock)).rejects.toThrow(LockBusyError);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(lock.waitMs);
  });
});

describe('backoffMs', () => {
  it('draws from full jitter under a cap that doubles from 50 ms to 1 s', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => backoffMs(n, () => 1))).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
    expect(backoffMs(3, () => 0)).toBe(0);
  });
});
