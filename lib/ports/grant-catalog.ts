/**
 * Per bucket, the accounts its policy grants and the lease that serializes the policy's writers
 * (adapter: lib/adapters/grant-catalog.ts, one DynamoDB item per bucket). The catalog and the
 * lease live on one item so that "already granted?" and "take the lease" are one conditional write.
 *
 * The catalog is the product's intent: the accounts the policy must grant. A grant records an
 * account once its statements are written; a revoke forgets it before they are removed; the
 * health check puts back what the policy lacks of it (lib/usecases/health.ts).
 */
export interface GrantCatalog {
  /**
   * Takes the bucket-policy lease unless `grant` (a grant key: an account id for its Data
   * Pipeline grant, `<account>:native`; lib/domain/policy.ts grantKey) is already recorded (nothing to do) or
   * another live lease holds it. Returns the catalog either way. A lease of ours applied by an
   * earlier try whose response was lost counts as acquired.
   */
  acquirePolicyLock(
    bucket: string,
    owner: string,
    leaseMs: number,
    grant: string,
  ): Promise<{ state: 'acquired' | 'granted' | 'busy'; accounts: Set<string> }>;
  /**
   * Takes the bucket-policy lease whatever the catalog holds (a repair, a revoke, a write to
   * verify again), unless another live lease holds it; with `revoke`, forgets every engine's
   * grant of that account in the same write. Returns the catalog as it stands after the write (or as found, when busy).
   */
  acquirePolicyLease(
    bucket: string,
    owner: string,
    leaseMs: number,
    opts?: { revoke?: string },
  ): Promise<{ state: 'acquired' | 'busy'; accounts: Set<string> }>;
  /** Extends the lease if `owner` still holds it and it has not expired: the fence checked right before the policy write. */
  renewPolicyLock(bucket: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Releases the lease and records `grant` in the catalog; if the lease was lost meanwhile, the grant is still recorded. */
  releasePolicyLock(bucket: string, owner: string, grant: readonly string[]): Promise<void>;
  /** The grant keys the catalog holds for `bucket` (one read, no lease). */
  grantedAccounts(bucket: string): Promise<Set<string>>;
}
