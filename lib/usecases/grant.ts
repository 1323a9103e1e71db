import { parsePolicy, planGrants, type PolicyLayout, type WriterAccess } from '../domain/policy';
import { LeaseLostError, LockBusyError, PolicyConflictError } from '../errors';
import type { BucketPolicyStore } from '../ports/bucket-policy-store';
import type { GrantCatalog } from '../ports/grant-catalog';
import { backoffMs, type LockOptions } from './lock';

export interface GrantDeps {
  bucket: string;
  layout: PolicyLayout;
  organizationId?: string;
  /** What the backup engine's writers need in an account's prefix (BackupEngine.writerAccess). */
  access: WriterAccess;
  grants: GrantCatalog;
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

/**
 * Makes sure the bucket policy grants `accountId` its prefix. The first round trip both checks
 * the grant catalog and takes the bucket-policy lease (one conditional write on one item), so an
 * account already granted costs one call and a new one five: take the lease (while the backup
 * role's credentials are fetched), read the policy, renew the lease as a fence while reading the
 * policy again (an edit made meanwhile is merged rather than lost; a holder whose lease expired
 * writes nothing), write, then release the lease and record the grant together.
 */
export async function ensureGrant(deps: GrantDeps, accountId: string): Promise<GrantResult> {
  const { grants, bucket, lock } = deps;
  const owner = deps.newOwnerId();
  const warming = deps.policy.warm?.();
  warming?.catch(() => undefined); // awaited once the lease is held; a failure surfaces there
  const deadline = lock.now() + lock.waitMs;
  let held;
  for (let attempt = 0; ; attempt++) {
    held = await grants.acquirePolicyLock(bucket, owner, lock.leaseMs, accountId);
    if (held.state === 'granted') {
      return { accountId, alreadyGranted: true, policyWritten: false, statementsWritten: [], statementsRemoved: [] };
    }
    if (held.state === 'acquired') break;
    if (lock.now() >= deadline) throw new LockBusyError(`the policy of ${bucket} is being written by another worker; gave up after ${lock.waitMs} ms`);
    await lock.sleep(backoffMs(attempt, lock.random));
  }
  const accounts = [...held.accounts, accountId];
  let released = false;
  const release = async () => {
    released = true;
    await grants.releasePolicyLock(bucket, owner, accounts);
  };
  try {
    await warming;
    let text = await deps.policy.get();
    for (let conflicts = 0; ; conflicts++) {
      const { result: merged, layout } = planGrants(parsePolicy(text), accounts, bucket, deps.access, deps.layout, deps.organizationId);
      if (!merged.changed) {
        await release();
        return { accountId, alreadyGranted: false, policyWritten: false, statementsWritten: [], statementsRemoved: [], layout, policyBytes: merged.bytes };
      }
      const [stillHeld, again] = await Promise.all([grants.renewPolicyLock(bucket, owner, lock.leaseMs), deps.policy.get()]);
      if (!stillHeld) throw new LeaseLostError(`the lease on the policy of ${bucket} expired or was taken over before the write; nothing was written`);
      if (again !== text) {
        if (conflicts + 1 >= MAX_POLICY_CONFLICTS) {
          throw new PolicyConflictError(`the bucket policy changed ${MAX_POLICY_CONFLICTS} times while we merged into it; nothing was written`);
        }
        text = again;
        continue;
      }
      await deps.policy.put(merged.text);
      await release();
      return { accountId, alreadyGranted: false, policyWritten: true, statementsWritten: merged.written, statementsRemoved: merged.removed, layout, policyBytes: merged.bytes };
    }
  } finally {
    // Best effort, and without recording a grant that was not written: an unreleased lease simply expires.
    if (!released) await grants.releasePolicyLock(bucket, owner, []).catch(() => undefined);
  }
}
