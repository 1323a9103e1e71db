import { ENGINE_WRITER_ACCESS } from '../backup-engines/access';
import type { Config } from '../config';
import {
  type Drift,
  findDrift,
  grantKey,
  type MergeResult,
  type PolicyDocument,
  type PolicyLayout,
  parseGrantKey,
  parsePolicy,
  planGrants,
  verifyWritten,
  type WriterAccess,
} from '../domain/policy';
import { LeaseLostError, LockBusyError, OrchestratorError, PolicyConflictError, PolicyIntegrityError } from '../errors';
import type { BackupEngineName } from '../ports/backup-engine';
import type { BucketPolicyStore } from '../ports/bucket-policy-store';
import type { GrantCatalog } from '../ports/grant-catalog';
import { backoffMs, type LockOptions } from './lock';

/**
 * The policy read back right after our write did not hold what we wrote (another writer the
 * lease does not fence — a person, a holder whose lease ran out — wrote over it, or the read was
 * stale). Retried within the call; thrown, retryable, when it persists.
 */
export class PolicyVerificationError extends OrchestratorError {
  readonly retryable = true;
  constructor(readonly problems: readonly string[]) {
    super(`the bucket policy read back after our write does not hold what was written: ${problems.join('; ')}`);
  }
}

/** What every writer of the bucket policy (grant, repair, revoke) needs. */
export interface PolicyWriterDeps {
  bucket: string;
  organizationId?: string;
  /** What each engine's writers need in an account's prefix (lib/backup-engines/access.ts). */
  access: Readonly<Record<BackupEngineName, WriterAccess>>;
  /** SOURCE_ROLE_NAME: the `<name>-restore` role of an account holding the native grant reads its prefix. */
  sourceRoleName: string;
  grants: GrantCatalog;
  policy: BucketPolicyStore;
  lock: LockOptions;
  newOwnerId: () => string;
}

export interface GrantDeps extends PolicyWriterDeps {
  layout: PolicyLayout;
  /** SOURCE_ACCOUNTS: only these are ever granted (a catalog account no longer listed is not put back by another account's grant). */
  sourceAccounts: readonly string[];
}

/**
 * A policy writer's dependencies, from the settings and the ports a use case was handed (onboard,
 * health, revoke). Every engine's access comes along: a grant is per account and engine, and a
 * repair or a revoke deals with every engine's grants.
 */
export function grantDepsFrom(
  config: Pick<Config, 'backupBucket' | 'policyLayout' | 'organizationId' | 'sourceAccounts' | 'sourceRoleName'>,
  deps: Pick<PolicyWriterDeps, 'grants' | 'policy' | 'lock' | 'newOwnerId'>,
): GrantDeps {
  return {
    bucket: config.backupBucket,
    layout: config.policyLayout,
    sourceAccounts: config.sourceAccounts,
    organizationId: config.organizationId,
    access: ENGINE_WRITER_ACCESS,
    sourceRoleName: config.sourceRoleName,
    grants: deps.grants,
    policy: deps.policy,
    lock: deps.lock,
    newOwnerId: deps.newOwnerId,
  };
}

export interface GrantResult {
  accountId: string;
  engine: BackupEngineName;
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
/** How many written policies may fail their read-back before we give up. */
const MAX_VERIFY_FAILURES = 3;

/**
 * Makes sure the bucket policy grants `accountId` its prefix for `engine`'s writers (an account
 * that uses both engines holds both grants, each recorded in the catalog under its own key: see
 * grantKey in lib/domain/policy.ts). The first round trip both checks
 * the grant catalog and takes the bucket-policy lease (one conditional write on one item), so an
 * account already granted costs one call and a new one five: take the lease (while the backup
 * role's credentials are fetched), read the policy, renew the lease as a fence while reading the
 * policy again (an edit made meanwhile is merged rather than lost; a holder whose lease expired
 * writes nothing), write, then release the lease and record the grant together while reading the
 * policy back to verify the write (see writeUnderLease).
 *
 * Only configured accounts are granted: the account itself must be in SOURCE_ACCOUNTS, and of the
 * catalog's other accounts only those still listed are put back if the policy lacks them. An
 * account the policy grants today keeps its grant whatever the configuration says (a merge never
 * drops a grant; revoke is how one is removed).
 */
export async function ensureGrant(
  deps: GrantDeps,
  accountId: string,
  engine: BackupEngineName = 'datapipeline',
): Promise<GrantResult> {
  const { grants, bucket, lock } = deps;
  if (!deps.sourceAccounts.includes(accountId)) {
    throw new PolicyIntegrityError(`account ${accountId} is not in SOURCE_ACCOUNTS; the bucket policy was not changed`);
  }
  const key = grantKey(accountId, engine);
  const configured = (k: string) => deps.sourceAccounts.includes(parseGrantKey(k).accountId);
  const owner = deps.newOwnerId();
  const warming = deps.policy.warm?.();
  warming?.catch(() => undefined); // awaited once the lease is held; a failure surfaces there
  const deadline = lock.now() + lock.waitMs;
  let held: Awaited<ReturnType<GrantCatalog['acquirePolicyLock']>>;
  for (let attempt = 0; ; attempt++) {
    held = await grants.acquirePolicyLock(bucket, owner, lock.leaseMs, key);
    if (held.state === 'granted') {
      return {
        accountId,
        engine,
        alreadyGranted: true,
        policyWritten: false,
        statementsWritten: [],
        statementsRemoved: [],
      };
    }
    if (held.state === 'acquired') break;
    if (lock.now() >= deadline)
      throw new LockBusyError(
        `the policy of ${bucket} is being written by another worker; gave up after ${lock.waitMs} ms`,
      );
    await lock.sleep(backoffMs(attempt, lock.random));
  }
  const keys = [...[...held.accounts].filter(configured), key];
  return withLease(deps, owner, async () => {
    await warming;
    let layout: Exclude<PolicyLayout, 'auto'> | undefined;
    const outcome = await writeUnderLease(deps, owner, {
      text: await deps.policy.get(),
      plan: (current) => {
        const plan = planGrants(current, keys, bucket, deps, deps.layout, deps.organizationId);
        layout = plan.layout;
        return plan.result;
      },
      release: () => grants.releasePolicyLock(bucket, owner, keys),
    });
    return {
      accountId,
      engine,
      alreadyGranted: false,
      policyWritten: outcome.written.length > 0 || outcome.removed.length > 0,
      statementsWritten: outcome.written,
      statementsRemoved: outcome.removed,
      layout,
      policyBytes: outcome.last.bytes,
    };
  });
}

/** Takes the bucket-policy lease whatever the catalog holds (optionally forgetting `revoke`), waiting with backoff while another worker holds it. */
export async function takePolicyLease(
  deps: PolicyWriterDeps,
  owner: string,
  opts: { revoke?: string } = {},
): Promise<Set<string>> {
  const { grants, bucket, lock } = deps;
  const deadline = lock.now() + lock.waitMs;
  for (let attempt = 0; ; attempt++) {
    const held = await grants.acquirePolicyLease(bucket, owner, lock.leaseMs, opts);
    if (held.state === 'acquired') return held.accounts;
    if (lock.now() >= deadline)
      throw new LockBusyError(
        `the policy of ${bucket} is being written by another worker; gave up after ${lock.waitMs} ms`,
      );
    await lock.sleep(backoffMs(attempt, lock.random));
  }
}

/** Runs `work` under a lease `owner` holds; on failure, frees the lease (best effort, recording nothing) and rethrows. */
export async function withLease<T>(deps: PolicyWriterDeps, owner: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    // An unreleased lease simply expires; the release is conditional on `owner`, so it never frees another holder's.
    await deps.grants.releasePolicyLock(deps.bucket, owner, []).catch(() => undefined);
    throw e;
  }
}

export interface LeasedWrite {
  /** The policy text as read once the lease was held. */
  text: string | undefined;
  /** The policy to write over `current` (unchanged: nothing to write). */
  plan: (current: PolicyDocument) => MergeResult;
  /** Ends the lease, recording what the write did: runs alongside the read-back of the write. */
  release: () => Promise<void>;
  /** For a revoke: the account the read-back must no longer grant. */
  revoked?: string;
}

export interface LeasedWriteOutcome {
  /** Sids written / removed, over every write this call made. */
  written: string[];
  removed: string[];
  /** The last plan (what the policy holds now, as far as this call knows). */
  last: MergeResult;
}

/**
 * The one way the bucket policy is written, under the lease `owner` holds: plan over the policy
 * read; if it changes, renew the lease while reading the policy again (the fence: an edit made
 * meanwhile is planned over again, a lost lease writes nothing), write, then read the policy back
 * — alongside the release, so that the write costs no extra round trip — and verify that it
 * parses and holds what was written (lib/domain/policy.ts verifyWritten). A mismatch takes the
 * lease again and plans over what is there, up to MAX_VERIFY_FAILURES times, then throws
 * PolicyVerificationError (retryable).
 *
 * What the lease cannot do: S3 has no conditional PutBucketPolicy, so a writer outside the lease
 * (a person, or a holder whose lease ran out between its renewal and its write) can still
 * overwrite ours after the fence; the read-back catches that when it happens before it, and the
 * hourly health check (repairGrants) when it happens after.
 */
export async function writeUnderLease(
  deps: PolicyWriterDeps,
  owner: string,
  w: LeasedWrite,
): Promise<LeasedWriteOutcome> {
  const { grants, bucket, lock } = deps;
  const written = new Set<string>();
  const removed = new Set<string>();
  const outcome = (last: MergeResult): LeasedWriteOutcome => ({ written: [...written], removed: [...removed], last });
  let text = w.text;
  let conflicts = 0;
  let mismatches = 0;
  for (;;) {
    const merged = w.plan(parsePolicy(text));
    if (!merged.changed) {
      await w.release();
      return outcome(merged);
    }
    const [stillHeld, again] = await Promise.all([
      grants.renewPolicyLock(bucket, owner, lock.leaseMs),
      deps.policy.get(),
    ]);
    if (!stillHeld)
      throw new LeaseLostError(
        `the lease on the policy of ${bucket} expired or was taken over before the write; nothing was written`,
      );
    if (again !== text) {
      if (++conflicts >= MAX_POLICY_CONFLICTS) {
        throw new PolicyConflictError(
          `the bucket policy changed ${MAX_POLICY_CONFLICTS} times while we merged into it; nothing was written`,
        );
      }
      text = again;
      continue;
    }
    await deps.policy.put(merged.text);
    for (const sid of merged.written) written.add(sid);
    for (const sid of merged.removed) removed.add(sid);
    const [readBack] = await Promise.all([deps.policy.get(), w.release()]);
    const problems = verifyWritten(readBack, merged.document, bucket, deps, {
      organizationId: deps.organizationId,
      revoked: w.revoked,
    });
    if (problems.length === 0) return outcome(merged);
    if (++mismatches >= MAX_VERIFY_FAILURES) throw new PolicyVerificationError(problems);
    await takePolicyLease(deps, owner);
    text = await deps.policy.get();
  }
}

export type RepairDeps = GrantDeps;

export interface RepairResult {
  /** What the policy lacked (or held that the catalog does not know), as found under the lease when a repair was needed. */
  drift: Drift;
  /** Grants put back (keys: an account id for Data Pipeline, `<account>:native`; see grantKey). */
  repaired: string[];
  /** Guard statements put back. */
  guardsRestored: string[];
  policyWritten: boolean;
  statementsWritten: string[];
}

/**
 * The health check's half on the bucket policy: compares it with the grant catalog and puts back
 * what a configured catalog account lacks (and the guard statements), through the same lease and
 * verified write as a grant. A policy that lacks nothing costs two reads and no lease. Accounts
 * no longer in SOURCE_ACCOUNTS are not put back, and grants the catalog does not know are left
 * as they are: both are reported in `drift`.
 */
export async function repairGrants(deps: RepairDeps): Promise<RepairResult> {
  const { bucket } = deps;
  const find = (text: string | undefined, catalog: Set<string>) =>
    findDrift(parsePolicy(text), catalog, deps.sourceAccounts, bucket, deps, deps.organizationId);
  const needsRepair = (d: Drift) => d.missing.length > 0 || d.guardsMissing.length > 0;
  const [catalog, text] = await Promise.all([deps.grants.grantedAccounts(bucket), deps.policy.get()]);
  const seen = find(text, catalog);
  const nothing = (drift: Drift): RepairResult => ({
    drift,
    repaired: [],
    guardsRestored: [],
    policyWritten: false,
    statementsWritten: [],
  });
  if (!needsRepair(seen)) return nothing(seen);

  const owner = deps.newOwnerId();
  const held = await takePolicyLease(deps, owner);
  return withLease(deps, owner, async () => {
    const current = await deps.policy.get();
    const drift = find(current, held);
    if (!needsRepair(drift)) {
      await deps.grants.releasePolicyLock(bucket, owner, []);
      return nothing(drift);
    }
    const owed = [...held].filter((k) => deps.sourceAccounts.includes(parseGrantKey(k).accountId));
    const outcome = await writeUnderLease(deps, owner, {
      text: current,
      plan: (doc) => planGrants(doc, owed, bucket, deps, deps.layout, deps.organizationId).result,
      release: () => deps.grants.releasePolicyLock(bucket, owner, []),
    });
    const policyWritten = outcome.written.length > 0 || outcome.removed.length > 0;
    return {
      drift,
      repaired: policyWritten ? drift.missing : [],
      guardsRestored: policyWritten ? drift.guardsMissing : [],
      policyWritten,
      statementsWritten: outcome.written,
    };
  });
}
