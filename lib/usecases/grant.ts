import type { BucketPolicyStore } from '../adapters/bucket-policy';
import type { Registry } from '../adapters/registry';
import { parsePolicy, planGrants, type PolicyLayout } from '../domain/policy';
import { PolicyConflictError } from '../errors';
import { type LockOptions, withLock } from './lock';

export interface GrantDeps {
  bucket: string;
  layout: PolicyLayout;
  organizationId?: string;
  registry: Registry;
  policy: BucketPolicyStore;
  lock: LockOptions;
  newOwnerId: () => string;
}

export interface GrantResult {
  accountId: string;
  /** True when the registry already recorded the grant: the policy was not even read. */
  alreadyGranted: boolean;
  policyWritten: boolean;
  /** Sids this call added or rewrote. */
  statementsWritten: string[];
  /** Sids of the product's own statements this call removed (a layout switch). */
  statementsRemoved: string[];
  /** The layout written (what `auto` resolved to). */
  layout?: Exclude<PolicyLayout, 'auto'>;
  policyBytes?: number;
}

/** How many times the policy may change under us between our read and our write before we give up. */
const MAX_POLICY_CONFLICTS = 3;

export const policyLockName = (bucket: string) => `bucket-policy#${bucket}`;

/**
 * Makes sure the bucket policy grants `accountId` its prefix. Skips everything when the registry
 * already records the grant; otherwise merges under the bucket-policy lock, fenced so that a
 * holder whose lease expired cannot overwrite its successor's policy, and re-reads the policy
 * right before writing so that an edit made meanwhile is merged rather than lost.
 */
export async function ensureGrant(deps: GrantDeps, accountId: string): Promise<GrantResult> {
  const granted: GrantResult = { accountId, alreadyGranted: true, policyWritten: false, statementsWritten: [], statementsRemoved: [] };
  const grants = await deps.registry.getGrants(deps.bucket);
  if (grants.has(accountId)) return granted;
  const accounts = [...grants, accountId];
  const warming = deps.policy.warm?.();
  // While another writer holds the lock, it may be granting this very account (another table of it).
  const grantedMeanwhile = async () => ((await deps.registry.getGrants(deps.bucket)).has(accountId) ? granted : undefined);
  return withLock(deps.registry, policyLockName(deps.bucket), deps.newOwnerId(), deps.lock, async (fence) => {
    await warming;
    let text = await deps.policy.get();
    for (let conflicts = 0; ; conflicts++) {
      const { result: merged, layout } = planGrants(parsePolicy(text), accounts, deps.bucket, deps.layout, deps.organizationId);
      if (!merged.changed) {
        await deps.registry.addGrants(deps.bucket, accounts);
        return { accountId, alreadyGranted: false, policyWritten: false, statementsWritten: [], statementsRemoved: [], layout, policyBytes: merged.bytes };
      }
      const [, again] = await Promise.all([fence(), deps.policy.get()]);
      if (again !== text) {
        if (conflicts + 1 >= MAX_POLICY_CONFLICTS) {
          throw new PolicyConflictError(`the bucket policy changed ${MAX_POLICY_CONFLICTS} times while we merged into it; nothing was written`);
        }
        text = again;
        continue;
      }
      await deps.policy.put(merged.text);
      await deps.registry.addGrants(deps.bucket, accounts);
      return { accountId, alreadyGranted: false, policyWritten: true, statementsWritten: merged.written, statementsRemoved: merged.removed, layout, policyBytes: merged.bytes };
    }
  }, grantedMeanwhile);
}
