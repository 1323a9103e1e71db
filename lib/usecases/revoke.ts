import { z } from 'zod';
import type { Config } from '../config';
import type { TableStatus } from '../domain/lifecycle';
import { grantKeysOf, hasOrganizationGrant, parsePolicy, planRevoke } from '../domain/policy';
import { ACCOUNT_ID } from '../domain/table-ref';
import { InvalidEventError, OrchestratorError } from '../errors';
import { MetricName, type Telemetry } from '../observability';
import type { BucketPolicyStore } from '../ports/bucket-policy-store';
import type { GrantCatalog } from '../ports/grant-catalog';
import type { TableRegistry } from '../ports/table-registry';
import { grantDepsFrom, takePolicyLease, withLease, writeUnderLease } from './grant';
import type { LockOptions } from './lock';

/** A revoke that cannot go ahead, and why (nothing was written). */
export class RevokeRefusedError extends OrchestratorError {
  readonly retryable = false;
}

export interface RevokeDeps {
  config: Config;
  registry: TableRegistry;
  grants: GrantCatalog;
  policy: BucketPolicyStore;
  lock: LockOptions;
  newOwnerId: () => string;
  telemetry: Telemetry;
}

/** A table in one of these statuses is still under backup: its writers need the grant. */
const UNDER_BACKUP: readonly TableStatus[] = ['ACTIVE', 'CREATED', 'PENDING', 'ACTIVATION_FAILED'];

const schema = z
  .object({
    account: z
      .string({ required_error: 'account is required', invalid_type_error: 'account must be a string' })
      .regex(ACCOUNT_ID, 'account must be a 12-digit account id'),
    force: z.boolean({ invalid_type_error: 'force must be true or false' }).default(false),
  })
  .strict();
type RevokeInput = z.infer<typeof schema>;

function parseRevokeInput(input: unknown): RevokeInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidEventError('revoke input must be a JSON object such as {"account":"123456789012"}');
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) =>
      i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message,
    );
    throw new InvalidEventError(`invalid revoke input: ${problems.join('; ')}`);
  }
  return parsed.data;
}

export interface RevokeResult {
  account: string;
  /** Whether the catalog held a grant of the account, whichever engine's (it no longer does). */
  catalogEntryRemoved: boolean;
  policyWritten: boolean;
  /** Sids removed from the policy, and Sids rewritten (the shared statements' principal list). */
  statementsRemoved: string[];
  statementsWritten: string[];
  /** With `force`: the account's tables still under backup, whose exports will now be denied. */
  tablesUnderBackup: string[];
  /** The account is still in SOURCE_ACCOUNTS: its next CreateTable would grant it again. */
  stillConfigured: boolean;
  warnings: string[];
}

/**
 * `sls invoke -f revoke --data '{"account":"123456789012"}'`: takes every engine's grant of the
 * account out of the bucket policy (its own statements, or its root from the shared statements'
 * principal lists) and forgets them in the grant catalog, leaving every other account and every foreign statement
 * as they were. Refused while the account still has tables under backup, unless `force`.
 *
 * Order: the catalog forgets the account in the same write that takes the lease, before the
 * policy is written. A revoke that dies in between leaves a grant the catalog does not know —
 * which the health check reports and never puts back — rather than one the health check would
 * restore; running the revoke again finishes it.
 *
 * The organization layout grants every account of ORGANIZATION_ID by membership: there is no
 * statement of one account to take out, so a revoke is refused there (take the account out of
 * the organization, or switch to per-account or compact first).
 */
export async function revoke(deps: RevokeDeps, raw: unknown): Promise<RevokeResult> {
  const { config, telemetry } = deps;
  const input = parseRevokeInput(raw);
  const { account } = input;
  telemetry.appendKeys({ account });
  const bucket = config.backupBucket;
  if (config.policyLayout === 'organization') {
    throw new RevokeRefusedError(
      `POLICY_LAYOUT is organization: every account of ${config.organizationId ?? 'the organization'} reaches its own prefix by membership, so ${account} cannot be revoked alone; take it out of the organization, or switch POLICY_LAYOUT to per-account or compact and revoke then. Nothing was written.`,
    );
  }
  const tables = (await deps.registry.listTables()).filter(
    (r) => r.accountId === account && UNDER_BACKUP.includes(r.status),
  );
  const tableNames = tables.map((r) => `${r.region}/${r.tableName} (${r.status})`).sort();
  if (tables.length > 0 && !input.force) {
    throw new RevokeRefusedError(
      `account ${account} still has ${tables.length} table(s) under backup: ${tableNames.slice(0, 10).join(', ')}${tables.length > 10 ? ', …' : ''}; offboard them first, or pass "force": true (their exports will then be denied). Nothing was written.`,
    );
  }
  const [catalog, text] = await Promise.all([deps.grants.grantedAccounts(bucket), deps.policy.get()]);
  if (hasOrganizationGrant(parsePolicy(text))) {
    throw new RevokeRefusedError(
      `the bucket policy grants a whole organization, which ${account} may belong to; one account cannot be revoked from it. Nothing was written.`,
    );
  }

  const writer = grantDepsFrom(config, deps);
  const owner = deps.newOwnerId();
  await takePolicyLease(writer, owner, { revoke: account });
  const outcome = await withLease(writer, owner, async () =>
    writeUnderLease(writer, owner, {
      text: await deps.policy.get(),
      plan: (current) => planRevoke(current, account),
      release: () => deps.grants.releasePolicyLock(bucket, owner, []),
      revoked: account,
    }),
  );

  const stillConfigured = config.sourceAccounts.includes(account);
  const warnings = [
    ...(stillConfigured
      ? [
          `${account} is still in SOURCE_ACCOUNTS: its next CreateTable (or a backfill) grants it again; remove it from sourceAccounts and deploy`,
        ]
      : []),
    ...(tables.length > 0
      ? [
          `${tables.length} table(s) of ${account} are still under backup and their exports will be denied: ${tableNames.slice(0, 10).join(', ')}`,
        ]
      : []),
  ];
  const result: RevokeResult = {
    account,
    catalogEntryRemoved: grantKeysOf(account).some((k) => catalog.has(k)),
    policyWritten: outcome.written.length > 0 || outcome.removed.length > 0,
    statementsRemoved: outcome.removed,
    statementsWritten: outcome.written,
    tablesUnderBackup: tableNames,
    stillConfigured,
    warnings,
  };
  telemetry.count(MetricName.AccountRevoked);
  (warnings.length > 0 ? telemetry.warn : telemetry.info)('account revoked', { ...result });
  return result;
}
