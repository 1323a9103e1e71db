import { z } from 'zod';
import { InvalidEventError } from '../errors';
import { isRegion } from './regions';
import { ACCOUNT_ID, compileNamePattern, type NamePattern } from './table-ref';

/** The input of `sls invoke -f backfill --data '{…}'`. Pure: parsing, quota planning, the summary. */

export interface BackfillInput {
  /** Accounts to backfill; default: every account in SOURCE_ACCOUNTS. */
  accounts?: string[];
  regions: string[];
  /** Only table names matching this regular expression (RE2: linear time) are considered. */
  tableFilter?: NamePattern;
  dryRun: boolean;
  concurrency: number;
  /** Data Pipeline's pipelines-per-account quota (100 unless raised). */
  pipelineQuota: number;
}

const schema = z
  .object({
    accounts: z
      .array(z.string().regex(ACCOUNT_ID, 'must be a 12-digit account id'), {
        invalid_type_error: 'must be a list of account ids',
      })
      .min(1, 'must name at least one account when given')
      .optional(),
    regions: z
      .array(z.string().refine(isRegion, 'is not an AWS region name'), {
        required_error: 'is required: the regions to look for tables in, e.g. ["us-east-1","eu-west-1"]',
        invalid_type_error: 'must be a list of region names',
      })
      .min(1, 'must name at least one region'),
    tableFilter: z.string().optional(),
    dryRun: z.boolean({ invalid_type_error: 'must be true or false' }).default(false),
    concurrency: z.number().int().min(1).max(25).default(4),
    pipelineQuota: z.number().int().min(1).max(10_000).default(100),
  })
  .strict();

export function parseBackfillInput(input: unknown, allowedAccounts: readonly string[]): BackfillInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidEventError('backfill input must be a JSON object such as {"regions":["us-east-1"],"dryRun":true}');
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) =>
      i.code === 'unrecognized_keys'
        ? `unknown field(s) ${i.keys.join(', ')}`
        : `${i.path.join('.') || 'input'} ${i.message}`,
    );
    throw new InvalidEventError(`invalid backfill input: ${problems.join('; ')}`);
  }
  const d = parsed.data;
  const outside = (d.accounts ?? []).filter((a) => !allowedAccounts.includes(a));
  if (outside.length > 0)
    throw new InvalidEventError(`invalid backfill input: accounts not in SOURCE_ACCOUNTS: ${outside.join(', ')}`);
  let tableFilter: NamePattern | undefined;
  if (d.tableFilter !== undefined) {
    const pattern = compileNamePattern(d.tableFilter, 'tableFilter');
    if ('error' in pattern) throw new InvalidEventError(`invalid backfill input: ${pattern.error}`);
    tableFilter = pattern;
  }
  return {
    accounts: d.accounts ? [...new Set(d.accounts)] : undefined,
    regions: [...new Set(d.regions)],
    tableFilter,
    dryRun: d.dryRun,
    concurrency: d.concurrency,
    pipelineQuota: d.pipelineQuota,
  };
}

/**
 * Which candidates fit under the pipeline quota of their account and pipeline region, given how
 * many pipelines exist there already. Candidates keep their order; the rest are over quota.
 */
export function planQuota<T extends { accountId: string; pipelineRegion: string }>(
  candidates: readonly T[],
  existing: ReadonlyMap<string, number>,
  quota: number,
): { fits: T[]; overQuota: T[] } {
  const used = new Map(existing);
  const fits: T[] = [];
  const overQuota: T[] = [];
  for (const c of candidates) {
    const key = `${c.accountId}/${c.pipelineRegion}`;
    const n = used.get(key) ?? 0;
    if (n < quota) {
      used.set(key, n + 1);
      fits.push(c);
    } else {
      overQuota.push(c);
    }
  }
  return { fits, overQuota };
}

export type BackfillOutcome =
  | { table: string; account: string; outcome: 'planned' | 'onboarded' | 'already-backed-up' }
  | { table: string; account: string; outcome: 'skipped'; reason: string }
  | { table: string; account: string; outcome: 'failed'; error: string };

export interface BackfillCounts {
  planned: number;
  onboarded: number;
  alreadyBackedUp: number;
  skipped: number;
  failed: number;
}

export interface BackfillSummary {
  dryRun: boolean;
  text: string;
  counts: BackfillCounts;
  byAccount: Record<string, BackfillCounts>;
  onboarded: string[];
  planned: string[];
  alreadyBackedUp: string[];
  skipped: Array<{ table: string; reason: string }>;
  failed: Array<{ table: string; error: string }>;
}

/**
 * `planned` counts every table the run meant to onboard (in a dry run, what it would onboard);
 * each of those ends onboarded or failed in a real run.
 */
export function summarize(outcomes: readonly BackfillOutcome[], dryRun: boolean): BackfillSummary {
  const zero = (): BackfillCounts => ({ planned: 0, onboarded: 0, alreadyBackedUp: 0, skipped: 0, failed: 0 });
  const counts = zero();
  const byAccount: Record<string, BackfillCounts> = {};
  const bump = (account: string, key: keyof BackfillCounts) => {
    counts[key]++;
    byAccount[account] ??= zero();
    (byAccount[account] as BackfillCounts)[key]++;
  };
  const s: BackfillSummary = {
    dryRun,
    text: '',
    counts,
    byAccount,
    onboarded: [],
    planned: [],
    alreadyBackedUp: [],
    skipped: [],
    failed: [],
  };
  for (const o of outcomes) {
    switch (o.outcome) {
      case 'planned':
        bump(o.account, 'planned');
        s.planned.push(o.table);
        break;
      case 'onboarded':
        bump(o.account, 'planned');
        bump(o.account, 'onboarded');
        s.onboarded.push(o.table);
        break;
      case 'already-backed-up':
        bump(o.account, 'alreadyBackedUp');
        s.alreadyBackedUp.push(o.table);
        break;
      case 'skipped':
        bump(o.account, 'skipped');
        s.skipped.push({ table: o.table, reason: o.reason });
        break;
      case 'failed':
        bump(o.account, 'planned');
        bump(o.account, 'failed');
        s.failed.push({ table: o.table, error: o.error });
        break;
    }
  }
  const accounts = Object.entries(byAccount)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([a, c]) =>
        `${a}: ${c.planned} planned, ${c.onboarded} onboarded, ${c.alreadyBackedUp} already, ${c.skipped} skipped, ${c.failed} failed`,
    );
  s.text =
    `${dryRun ? 'backfill (dry run, nothing written)' : 'backfill'}: ${counts.planned} planned, ${counts.onboarded} onboarded, ` +
    `${counts.alreadyBackedUp} already backed up, ${counts.skipped} skipped, ${counts.failed} failed` +
    (accounts.length > 0 ? ` | ${accounts.join(' | ')}` : '');
  return s;
}
