import { LeaseLostError, LockBusyError } from '../errors';
import type { ClaimResult, Registry } from '../adapters/registry';
import { tableKey, type TableRef } from '../domain/table-ref';

export interface LockOptions {
  leaseMs: number;
  /** Give up (LockBusyError, retryable) after waiting this long. */
  waitMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  random?: () => number;
}

/** Backoff with full jitter, capped: 50 ms, 100 ms, 200 ms … 1 s. */
export function backoffMs(attempt: number, random: () => number = Math.random, baseMs = 50, capMs = 1000): number {
  return Math.round(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

/**
 * Runs `fn` while holding the named lease in the registry. `fence()` renews the lease and throws
 * LeaseLostError if it has expired or passed to another holder: call it right before a write
 * that cannot itself be conditional.
 */
export async function withLock<T, U = never>(
  registry: Registry,
  name: string,
  owner: string,
  opts: LockOptions,
  fn: (fence: () => Promise<void>) => Promise<T>,
  /** Checked while waiting: a value ends the wait without the lock (the work was done meanwhile). */
  whileWaiting?: () => Promise<U | undefined>,
): Promise<T | U> {
  const deadline = opts.now() + opts.waitMs;
  for (let attempt = 0; !(await registry.tryAcquireLock(name, owner, opts.leaseMs)); attempt++) {
    if (opts.now() >= deadline) throw new LockBusyError(`lock ${name} is held by another writer; gave up after ${opts.waitMs} ms`);
    await opts.sleep(backoffMs(attempt, opts.random));
    const done = await whileWaiting?.();
    if (done !== undefined) return done;
  }
  const fence = async () => {
    if (!(await registry.renewLock(name, owner, opts.leaseMs))) {
      throw new LeaseLostError(`lease on ${name} expired or was taken over before the write; nothing was written`);
    }
  };
  try {
    return await fn(fence);
  } finally {
    // Best effort: a release that fails leaves a lease that simply expires.
    await registry.releaseLock(name, owner).catch(() => undefined);
  }
}

/**
 * Claims a table's registry record (its lease), waiting with backoff while another worker holds
 * it. Returns unclaimed at once when `stopWhen` says the record needs no more work (e.g. the
 * table is already ACTIVE); throws LockBusyError (retryable) after `waitMs`.
 */
export async function claimTableWithWait(
  registry: Registry,
  table: TableRef,
  owner: string,
  opts: LockOptions,
  claim: { evenIfActive?: boolean; stopWhen?: (record: NonNullable<ClaimResult['record']>) => boolean } = {},
): Promise<ClaimResult> {
  const deadline = opts.now() + opts.waitMs;
  for (let attempt = 0; ; attempt++) {
    const result = await registry.claimTable(table, owner, opts.leaseMs, { evenIfActive: claim.evenIfActive });
    if (result.claimed || (result.record !== undefined && claim.stopWhen?.(result.record))) return result;
    if (opts.now() >= deadline) {
      throw new LockBusyError(`table ${tableKey(table)} is being worked on by another worker; gave up after ${opts.waitMs} ms`);
    }
    await opts.sleep(backoffMs(attempt, opts.random));
  }
}
