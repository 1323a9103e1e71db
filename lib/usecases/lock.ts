import type { TableStatus } from '../domain/lifecycle';
import { type TableRef, tableKey } from '../domain/table-ref';
import { LockBusyError } from '../errors';
import type { ClaimResult, TableRegistry } from '../ports/table-registry';

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
 * Claims a table's registry record (its lease), waiting with backoff while another worker holds
 * it (only in one of `statuses`, when given). Returns unclaimed at once when `stopWhen` says the
 * record needs no more work (e.g. the table is already ACTIVE); throws LockBusyError (retryable) after `waitMs`.
 */
export async function claimTableWithWait(
  registry: TableRegistry,
  table: TableRef,
  owner: string,
  opts: LockOptions,
  claim: { statuses?: readonly TableStatus[]; stopWhen?: (record: NonNullable<ClaimResult['record']>) => boolean } = {},
): Promise<ClaimResult> {
  const deadline = opts.now() + opts.waitMs;
  for (let attempt = 0; ; attempt++) {
    const result = await registry.claimTable(table, owner, opts.leaseMs, { statuses: claim.statuses });
    if (result.claimed || (result.record !== undefined && claim.stopWhen?.(result.record))) return result;
    if (opts.now() >= deadline) {
      throw new LockBusyError(
        `table ${tableKey(table)} is being worked on by another worker; gave up after ${opts.waitMs} ms`,
      );
    }
    await opts.sleep(backoffMs(attempt, opts.random));
  }
}
