import type { Config } from '../config';
import { type TableRecord, WITH_BACKUP_RESOURCE } from '../domain/lifecycle';
import { errorFields, MetricName, type Telemetry } from '../observability';
import type { BackupEngine, BackupHealth, BackupRuns } from '../ports/backup-engine';
import type { BucketPolicyStore } from '../ports/bucket-policy-store';
import type { GrantCatalog } from '../ports/grant-catalog';
import type { SourceTablesOf } from '../ports/source-tables';
import type { TableRegistry } from '../ports/table-registry';
import { grantDepsFrom, type RepairResult, repairGrants } from './grant';
import type { LockOptions } from './lock';
import { mapPool } from './pool';

export interface HealthDeps {
  config: Config;
  registry: TableRegistry;
  engine: BackupEngine;
  /** DescribeTable in the source accounts: whether an offboarded table exists again. */
  sourceTables: SourceTablesOf;
  grants: GrantCatalog;
  policy: BucketPolicyStore;
  lock: LockOptions;
  newOwnerId: () => string;
  telemetry: Telemetry;
}

/** The bucket policy against the grant catalog: what was put back, and what is reported only. */
export interface PolicyHealth {
  /** Accounts whose grant the check put back (the policy lacked their statements, whole or in part). */
  repaired: string[];
  /** Guard statements (the TLS-only deny, …) the check put back. */
  guardsRestored: string[];
  /** Catalog accounts no longer in SOURCE_ACCOUNTS: not put back; `sls invoke -f revoke` removes them. */
  unconfigured: string[];
  /** Accounts the product's own statements grant without the catalog knowing them: left as they are, reported. */
  unknownGrants: string[];
  policyWritten: boolean;
}

export interface TableHealth {
  account: string;
  region: string;
  table: string;
  pipelineId: string;
  pipelineRegion: string;
  /**
   * `exists-again`: the registry says OFFBOARDED, yet the table exists in its account: nothing backs it up.
   * `backup-failed` / `backup-overdue` (engines that report their runs): the newest backup failed, or the newest
   * completed one is older than 26 hours (or there is none 26 hours after onboarding).
   */
  status: BackupHealth['status'] | 'unreachable' | 'exists-again' | 'backup-failed' | 'backup-overdue';
  state?: string;
  health?: string;
  latestRunTime?: string;
  nextRunTime?: string;
  /** The newest backup run (native: the newest export's status, time, item count and billed size). */
  newestBackup?: BackupRuns['newest'];
  /** Hours since the newest completed backup's point in time. */
  newestCompletedAgeHours?: number;
  error?: string;
}

/** A nightly backup older than this (hours) is overdue: one night missed, with two hours' grace for the window and the export. */
const OVERDUE_HOURS = 26;

/**
 * What a table's reported runs say about it (pure): `backup-failed` when the newest run failed,
 * `backup-overdue` when the newest completed one is older than OVERDUE_HOURS (or none completed
 * within OVERDUE_HOURS of `since`, when the table was brought under backup), else nothing.
 */
export function judgeRuns(
  runs: BackupRuns,
  since: string | undefined,
  now: Date,
): { problem?: 'backup-failed' | 'backup-overdue'; ageHours?: number } {
  const hoursSince = (iso: string) => (now.getTime() - Date.parse(iso)) / 3_600_000;
  const ageHours =
    runs.newestCompletedTime === undefined ? undefined : Math.round(hoursSince(runs.newestCompletedTime) * 10) / 10;
  if (runs.newest?.status === 'FAILED') return { problem: 'backup-failed', ageHours };
  const overdue =
    ageHours !== undefined ? ageHours > OVERDUE_HOURS : since !== undefined && hoursSince(since) > OVERDUE_HOURS;
  return overdue ? { problem: 'backup-overdue', ageHours } : { ageHours };
}

export interface HealthReport {
  checkedAt: string;
  summary: {
    pipelines: number;
    ok: number;
    error: number;
    notScheduled: number;
    vanished: number;
    unreachable: number;
    existsAgain: number;
    backupFailed: number;
    backupOverdue: number;
  };
  tables: TableHealth[];
  policy: PolicyHealth;
}

/**
 * Asks the engine about every registered backup resource, one account and region at a time
 * (for Data Pipeline: one ListPipelines to spot the vanished ones, then DescribePipelines 25 ids
 * a call), and emits one gauge per problem kind, zero included, so that the alarms always have
 * data. Alongside, puts back what the bucket policy lacks of the grant catalog (checkPolicy).
 */
export async function checkHealth(deps: HealthDeps, now: Date = new Date()): Promise<HealthReport> {
  const [pipelines, policy] = await Promise.allSettled([checkPipelines(deps, now), checkPolicy(deps)]);
  if (pipelines.status === 'rejected') throw pipelines.reason;
  const { summary, tables } = pipelines.value;
  // The pipelines' gauges are set by now; a policy check that failed fails the invocation (HealthCheckFailed).
  if (policy.status === 'rejected') throw policy.reason;
  return { checkedAt: now.toISOString(), summary, tables, policy: policy.value };
}

/**
 * Repairs the bucket policy from the grant catalog (lib/usecases/grant.ts repairGrants) and sets
 * the policy's gauges, zero included: PolicyRepaired (accounts put back), PolicyGuardsRestored,
 * PolicyUnknownGrants.
 */
async function checkPolicy(deps: HealthDeps): Promise<PolicyHealth> {
  const { config, telemetry } = deps;
  const result: RepairResult = await repairGrants(grantDepsFrom(config, deps));
  const health: PolicyHealth = {
    repaired: result.repaired,
    guardsRestored: result.guardsRestored,
    unconfigured: result.drift.unconfigured,
    unknownGrants: result.drift.unknown,
    policyWritten: result.policyWritten,
  };
  telemetry.gauge(MetricName.PolicyRepaired, health.repaired.length);
  telemetry.gauge(MetricName.PolicyGuardsRestored, health.guardsRestored.length);
  telemetry.gauge(MetricName.PolicyUnknownGrants, health.unknownGrants.length);
  if (result.policyWritten) {
    telemetry.warn('bucket policy repaired from the grant catalog', {
      repaired: health.repaired,
      guardsRestored: health.guardsRestored,
      statements: result.statementsWritten,
    });
  }
  if (health.unknownGrants.length > 0) {
    telemetry.warn(
      'the bucket policy grants accounts the grant catalog does not know (left as they are; revoke removes them)',
      { accounts: health.unknownGrants },
    );
  }
  if (health.unconfigured.length > 0) {
    telemetry.warn(
      'the grant catalog holds accounts no longer in SOURCE_ACCOUNTS (not put back; revoke removes them)',
      { accounts: health.unconfigured },
    );
  }
  return health;
}

async function checkPipelines(deps: HealthDeps, now: Date): Promise<Pick<HealthReport, 'summary' | 'tables'>> {
  const all = await deps.registry.listTables();
  const records = all.filter((r) => WITH_BACKUP_RESOURCE.includes(r.status) && r.pipelineId !== undefined);
  const groups = new Map<string, TableRecord[]>();
  for (const r of records) {
    const key = `${r.accountId}/${r.pipelineRegion ?? r.region}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const settled = await mapPool([...groups.values()], 4, async (group) => {
    const first = group[0] as TableRecord;
    const found = await deps.engine.health(first.accountId, first.pipelineRegion ?? first.region, group, deps.config);
    return group.map((r, i) => row(r, found[i], now));
  });
  const pipelineRows = settled.flatMap((s, i) => {
    if (s.status === 'fulfilled') return s.value;
    const group = [...groups.values()][i] as TableRecord[];
    deps.telemetry.error('health check could not reach an account', {
      account: group[0]?.accountId,
      ...errorFields(s.reason),
    });
    return group.map((r) => ({
      ...row(r, undefined),
      status: 'unreachable' as const,
      error: errorFields(s.reason).errorMessage as string,
    }));
  });
  const tables: TableHealth[] = [...pipelineRows, ...(await offboardedTablesExisting(deps, all))];
  tables.sort((a, b) => `${a.account}/${a.region}/${a.table}`.localeCompare(`${b.account}/${b.region}/${b.table}`));

  const count = (status: TableHealth['status']) => tables.filter((t) => t.status === status).length;
  const summary = {
    pipelines: pipelineRows.length,
    ok: count('ok'),
    error: count('error'),
    notScheduled: count('not-scheduled'),
    vanished: count('vanished'),
    unreachable: count('unreachable'),
    existsAgain: count('exists-again'),
    backupFailed: count('backup-failed'),
    backupOverdue: count('backup-overdue'),
  };
  deps.telemetry.gauge(MetricName.PipelinesInError, summary.error);
  deps.telemetry.gauge(MetricName.PipelinesNotScheduled, summary.notScheduled);
  deps.telemetry.gauge(MetricName.PipelinesVanished, summary.vanished);
  deps.telemetry.gauge(MetricName.PipelinesUnreachable, summary.unreachable);
  deps.telemetry.gauge(MetricName.TablesExistAgain, summary.existsAgain);
  // Only engines that report their runs are judged by them: with none of their tables, neither gauge has a reading to give.
  const judged = pipelineRows.filter((t) => t.newestCompletedAgeHours !== undefined || t.newestBackup !== undefined);
  if (judged.length > 0 || summary.backupFailed + summary.backupOverdue > 0) {
    deps.telemetry.gauge(MetricName.BackupsOverdue, summary.backupFailed + summary.backupOverdue);
    deps.telemetry.gauge(
      MetricName.NewestBackupAgeHours,
      Math.max(0, ...judged.map((t) => t.newestCompletedAgeHours ?? 0)),
    );
  }
  const unhealthy = tables.filter((t) => t.status !== 'ok');
  (unhealthy.length > 0 ? deps.telemetry.warn : deps.telemetry.info)('health check', { ...summary, unhealthy });
  return { summary, tables };
}

/** A table's row; without the engine's word (its account unreachable) the status is filled in by the caller. */
function row(r: TableRecord, found: BackupHealth | undefined, now?: Date): TableHealth {
  const runs = found?.runs === undefined || now === undefined ? undefined : judgeRuns(found.runs, r.activatedAt, now);
  const base = found?.status ?? 'vanished';
  return {
    account: r.accountId,
    region: r.region,
    table: r.tableName,
    pipelineId: r.pipelineId as string,
    pipelineRegion: r.pipelineRegion ?? r.region,
    status: base === 'ok' && runs?.problem !== undefined ? runs.problem : base,
    state: found?.state,
    health: found?.health,
    latestRunTime: found?.latestRunTime,
    nextRunTime: found?.nextRunTime,
    ...(found?.runs?.newest === undefined ? {} : { newestBackup: found.runs.newest }),
    ...(runs?.ageHours === undefined ? {} : { newestCompletedAgeHours: runs.ageHours }),
    ...(found?.error === undefined ? {} : { error: found.error }),
  };
}

/**
 * The tables the registry says were offboarded that exist again in their account (not DELETING):
 * a CreateTable missed, or judged stale, would otherwise leave a live table without a backup. One
 * DescribeTable per OFFBOARDED record, four at a time: the calls grow with the deleted tables only.
 * A table whose account cannot be reached is reported unreachable.
 */
async function offboardedTablesExisting(deps: HealthDeps, records: readonly TableRecord[]): Promise<TableHealth[]> {
  const offboarded = records.filter((r) => r.status === 'OFFBOARDED');
  const settled = await mapPool(offboarded, 4, async (r) =>
    deps.sourceTables(r.accountId, r.region).describe(r.tableName),
  );
  return settled.flatMap((s, i): TableHealth[] => {
    const r = offboarded[i] as TableRecord;
    const base = {
      account: r.accountId,
      region: r.region,
      table: r.tableName,
      pipelineId: r.pipelineId ?? '',
      pipelineRegion: r.pipelineRegion ?? r.region,
    };
    if (s.status === 'rejected') {
      deps.telemetry.error('health check could not describe an offboarded table', {
        account: r.accountId,
        table: r.tableName,
        ...errorFields(s.reason),
      });
      return [{ ...base, status: 'unreachable', error: errorFields(s.reason).errorMessage as string }];
    }
    if (s.value === undefined || s.value.status === 'DELETING') return [];
    const again =
      s.value.tableId !== undefined && s.value.tableId !== r.tableId
        ? ` (tableId ${s.value.tableId}, the registry holds ${r.tableId ?? 'none'})`
        : '';
    return [
      {
        ...base,
        status: 'exists-again',
        state: s.value.status,
        error: `offboarded at ${r.offboardedAt ?? 'an unknown time'}, yet the table exists${again}: run backfill for its account`,
      },
    ];
  });
}
