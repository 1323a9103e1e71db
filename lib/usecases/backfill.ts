import {
  type BackfillOutcome,
  type BackfillSummary,
  parseBackfillInput,
  planQuota,
  summarize,
} from '../domain/backfill';
import { selectTable } from '../domain/selection';
import { type TableRef, tableArn, tableKey } from '../domain/table-ref';
import { errorFields, MetricName } from '../observability';
import type { BackupInventory } from '../ports/backup-engine';
import type { SourceTablesOf } from '../ports/source-tables';
import { type OnboardDeps, onboardTable } from './onboard';
import { mapPool } from './pool';

export interface BackfillDeps extends OnboardDeps {
  sourceTables: SourceTablesOf;
}

interface Candidate extends TableRef {
  pipelineRegion: string;
}

/**
 * Brings every existing table of the given accounts and regions under backup, through the same
 * code path as `onboard`. Skips what is already backed up (the registry, then what the engine
 * finds in the account, e.g. pipelines tagged with the table's ARN), applies the same
 * exclusions, keeps within the engine's quota, and never lets one table's failure stop the
 * others. `dryRun` only reads.
 */
export async function backfill(deps: BackfillDeps, rawInput: unknown): Promise<BackfillSummary> {
  const { config, telemetry } = deps;
  const input = parseBackfillInput(rawInput, config.sourceAccounts);
  const accounts = input.accounts ?? [...config.sourceAccounts];
  const outcomes: BackfillOutcome[] = [];
  const skip = (t: Pick<TableRef, 'accountId' | 'region' | 'tableName'>, reason: string) =>
    outcomes.push({ table: tableKey(t), account: t.accountId, outcome: 'skipped', reason });
  const fail = (t: Pick<TableRef, 'accountId' | 'region' | 'tableName'>, e: unknown) =>
    outcomes.push({
      table: tableKey(t),
      account: t.accountId,
      outcome: 'failed',
      error: errorFields(e).errorMessage as string,
    });
  const already = (t: Pick<TableRef, 'accountId' | 'region' | 'tableName'>) =>
    outcomes.push({ table: tableKey(t), account: t.accountId, outcome: 'already-backed-up' });

  // 1. The registry, once.
  const registry = new Map((await deps.registry.listTables()).map((r) => [tableKey(r), r]));

  // 2. Every table of every account and region (paginated), with the same exclusions as onboarding.
  const places = accounts.flatMap((accountId) => input.regions.map((region) => ({ accountId, region })));
  const listed = await mapPool(places, input.concurrency, async (p) => ({
    ...p,
    names: await deps.sourceTables(p.accountId, p.region).listNames(),
  }));
  const found: TableRef[] = [];
  for (const [i, l] of listed.entries()) {
    const p = places[i] as { accountId: string; region: string };
    if (l.status === 'rejected') {
      fail({ ...p, tableName: '*' }, l.reason);
      continue;
    }
    for (const tableName of l.value.names) {
      if (input.tableFilter !== undefined && !input.tableFilter.test(tableName)) continue;
      found.push({
        accountId: p.accountId,
        region: p.region,
        tableName,
        tableArn: tableArn(p.region, p.accountId, tableName),
      });
    }
  }

  const unregistered: TableRef[] = [];
  for (const t of found) {
    if (registry.get(tableKey(t))?.status === 'ACTIVE') {
      already(t);
      continue;
    }
    const byName = selectTable(t, {}, config); // account and name rules first: no ListTagsOfResource call for those
    if (byName !== undefined) skip(t, byName.message);
    else unregistered.push(t);
  }
  const tagged = await mapPool(unregistered, input.concurrency, (t) =>
    deps.sourceTables(t.accountId, t.region).tags(t.tableArn),
  );
  const candidates: Candidate[] = [];
  for (const [i, tags] of tagged.entries()) {
    const t = unregistered[i] as TableRef;
    if (tags.status === 'rejected') {
      fail(t, tags.reason);
      continue;
    }
    const excluded = selectTable(t, tags.value, config);
    if (excluded !== undefined) {
      skip(t, excluded.message);
      continue;
    }
    const placement = deps.engine.placement(t.region, config, t.accountId);
    if (placement.region === undefined) {
      skip(t, placement.unsupported);
      continue;
    }
    candidates.push({ ...t, pipelineRegion: placement.region });
  }

  // 3. What the engine finds in the accounts: a backup resource made for the table already
  //    (registry lost, or made by an earlier version) counts as backed up, and every one counts
  //    against the quota.
  const inventoryKeys = [...new Set(candidates.map((c) => `${c.accountId}/${c.pipelineRegion}`))];
  const inventories = await mapPool(inventoryKeys, input.concurrency, async (key) => {
    const [accountId, region] = key.split('/') as [string, string];
    return deps.engine.inventory(accountId, region);
  });
  const inventory = new Map(inventoryKeys.map((k, i) => [k, inventories[i] as PromiseSettledResult<BackupInventory>]));
  const fresh: Candidate[] = [];
  for (const c of candidates) {
    const inv = inventory.get(`${c.accountId}/${c.pipelineRegion}`);
    if (inv?.status === 'rejected') fail(c, inv.reason);
    else if (inv?.value.covers(c.tableArn)) already(c);
    else fresh.push(c);
  }
  const existing = new Map(
    [...inventory].flatMap(([k, v]) => (v.status === 'fulfilled' ? [[k, v.value.count] as const] : [])),
  );
  // Only engines whose resources have a quota worth planning for count against pipelineQuota (Data Pipeline's 100 a region).
  const unbounded = (c: Candidate) => {
    const inv = inventory.get(`${c.accountId}/${c.pipelineRegion}`);
    return inv?.status === 'fulfilled' && inv.value.bounded === false;
  };
  const planned = planQuota(
    fresh.filter((c) => !unbounded(c)),
    existing,
    input.pipelineQuota,
  );
  const fits = [...planned.fits, ...fresh.filter(unbounded)];
  const { overQuota } = planned;
  for (const c of overQuota) {
    skip(
      c,
      `Data Pipeline quota of ${input.pipelineQuota} pipelines reached in account ${c.accountId} (${c.pipelineRegion}); raise the quota, then pass pipelineQuota`,
    );
  }

  // 4. Onboard (or, in a dry run, only plan) the rest, through the same code path as `onboard`.
  if (input.dryRun) {
    for (const c of fits) outcomes.push({ table: tableKey(c), account: c.accountId, outcome: 'planned' });
  } else {
    const results = await mapPool(fits, input.concurrency, (c) => onboardTable(deps, c));
    for (const [i, r] of results.entries()) {
      const c = fits[i] as Candidate;
      if (r.status === 'rejected') {
        fail(c, r.reason);
        continue;
      }
      if (r.value.outcome === 'ignored') {
        skip(c, r.value.message);
        continue;
      }
      if (r.value.outcome === 'already-onboarded') {
        already(c);
        continue;
      }
      outcomes.push({ table: tableKey(c), account: c.accountId, outcome: 'onboarded' });
    }
  }

  const summary = summarize(outcomes, input.dryRun);
  if (summary.counts.failed > 0) telemetry.count(MetricName.BackfillFailed);
  (summary.counts.failed > 0 ? telemetry.warn : telemetry.info)(summary.text, {
    counts: summary.counts,
    byAccount: summary.byAccount,
    skipped: summary.skipped,
    failed: summary.failed,
  });
  return summary;
}
