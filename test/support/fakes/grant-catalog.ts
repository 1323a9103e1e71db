import { grantKeysOf } from '../../../lib/domain/policy';
import type { GrantCatalog } from '../../../lib/ports/grant-catalog';

interface Item {
  owner?: string;
  expiresAt?: number;
  accounts: Set<string>;
}

/**
 * The grant catalog and bucket-policy lease in memory, with the DynamoDB adapter's conditions:
 * the lease is taken only when it is free (expired on the injected clock) and the account is not
 * granted yet (or, for acquirePolicyLease, whatever it holds, forgetting a revoked account in the
 * same write); renewed only by its owner before it expires; released only by its owner, a grant
 * being recorded even when the lease was lost.
 */
export class FakeGrantCatalog implements GrantCatalog {
  private readonly items = new Map<string, Item>();
  readonly calls: string[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  granted(bucket: string): string[] {
    return [...(this.items.get(bucket)?.accounts ?? [])].sort();
  }

  /** The lease as it stands: its owner and expiry, if held. */
  lease(bucket: string): { owner?: string; expiresAt?: number } {
    const item = this.items.get(bucket);
    return { owner: item?.owner, expiresAt: item?.expiresAt };
  }

  async acquirePolicyLock(
    bucket: string,
    owner: string,
    leaseMs: number,
    accountId: string,
  ): Promise<{ state: 'acquired' | 'granted' | 'busy'; accounts: Set<string> }> {
    this.calls.push(`acquire ${accountId}`);
    const now = this.now();
    const item = this.items.get(bucket) ?? { accounts: new Set<string>() };
    if ((item.expiresAt === undefined || item.expiresAt < now) && !item.accounts.has(accountId)) {
      this.items.set(bucket, { ...item, owner, expiresAt: now + leaseMs });
      return { state: 'acquired', accounts: new Set(item.accounts) };
    }
    if (item.accounts.has(accountId)) return { state: 'granted', accounts: new Set(item.accounts) };
    return { state: item.owner === owner ? 'acquired' : 'busy', accounts: new Set(item.accounts) };
  }

  async acquirePolicyLease(
    bucket: string,
    owner: string,
    leaseMs: number,
    opts: { revoke?: string } = {},
  ): Promise<{ state: 'acquired' | 'busy'; accounts: Set<string> }> {
    this.calls.push(`lease${opts.revoke === undefined ? '' : ` revoking ${opts.revoke}`}`);
    const now = this.now();
    const item = this.items.get(bucket) ?? { accounts: new Set<string>() };
    if (item.expiresAt !== undefined && !(item.expiresAt < now) && item.owner !== owner)
      return { state: 'busy', accounts: new Set(item.accounts) };
    if (opts.revoke !== undefined) for (const k of grantKeysOf(opts.revoke)) item.accounts.delete(k);
    this.items.set(bucket, { ...item, owner, expiresAt: now + leaseMs });
    return { state: 'acquired', accounts: new Set(item.accounts) };
  }

  async grantedAccounts(bucket: string): Promise<Set<string>> {
    this.calls.push('read');
    return new Set(this.items.get(bucket)?.accounts ?? []);
  }

  /** Puts accounts in the catalog directly, as an earlier grant would have. */
  seed(bucket: string, accounts: readonly string[]): void {
    const item = this.items.get(bucket) ?? { accounts: new Set<string>() };
    for (const a of accounts) item.accounts.add(a);
    this.items.set(bucket, item);
  }

  async renewPolicyLock(bucket: string, owner: string, leaseMs: number): Promise<boolean> {
    this.calls.push('renew');
    const now = this.now();
    const item = this.items.get(bucket);
    if (item === undefined || item.owner !== owner || item.expiresAt === undefined || !(item.expiresAt > now))
      return false;
    item.expiresAt = now + leaseMs;
    return true;
  }

  async releasePolicyLock(bucket: string, owner: string, grant: readonly string[]): Promise<void> {
    this.calls.push(`release ${[...grant].join(',')}`);
    const item = this.items.get(bucket) ?? { accounts: new Set<string>() };
    if (item.owner === owner) {
      delete item.owner;
      delete item.expiresAt;
    }
    for (const a of grant) item.accounts.add(a);
    this.items.set(bucket, item);
  }
}
