import type { Registry, TableRecord } from '../adapters/registry';
import type { PipelineApi, PipelineStatus } from '../engine/datapipeline/api';
import { classifyPipeline, type PipelineProblem } from '../engine/datapipeline/health';
import { errorFields, MetricName, type Telemetry } from '../observability';
import { mapPool } from './pool';

export interface HealthDeps {
  registry: Registry;
  pipelines: (accountId: string, region: string) => PipelineApi;
  telemetry: Telemetry;
}

export interface TableHealth {
  account: string;
  region: string;
  table: string;
  pipelineId: string;
  pipelineRegion: string;
  status: 'ok' | PipelineProblem;
  state?: string;
  health?: string;
  latestRunTime?: string;
  nextRunTime?: string;
  error?: string;
}

export interface HealthReport {
  checkedAt: string;
  summary: { pipelines: number; ok: number; error: number; notScheduled: number; vanished: number; unreachable: number };
  tables: TableHealth[];
}

/** Registry states whose pipeline should exist. */
const WATCHED = new Set<TableRecord['status']>(['ACTIVE', 'ACTIVATION_FAILED', 'CREATED']);

/**
 * Describes every registered pipeline (one ListPipelines per account and region to spot the
 * vanished ones, then DescribePipelines 25 ids a call) and emits one gauge per problem kind,
 * zero included, so that the alarms always have data.
 */
export async function checkHealth(deps: HealthDeps, now: Date = new Date()): Promise<HealthReport> {
  const records = (await deps.registry.listTables()).filter((r) => WATCHED.has(r.status) && r.pipelineId !== undefined);
  const groups = new Map<string, TableRecord[]>();
  for (const r of records) {
    const key = `${r.accountId}/${r.pipelineRegion ?? r.region}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const settled = await mapPool([...groups.values()], 4, async (group) => {
    const first = group[0] as TableRecord;
    const api = deps.pipelines(first.accountId, first.pipelineRegion ?? first.region);
    const existing = new Set(await api.listIds());
    const present = group.map((r) => r.pipelineId as string).filter((id) => existing.has(id));
    const statuses = new Map((await api.describe(present)).map((s) => [s.pipelineId, s]));
    return group.map((r) => row(r, statuses.get(r.pipelineId as string)));
  });
  const tables = settled.flatMap((s, i) => {
    if (s.status === 'fulfilled') return s.value;
    const group = [...groups.values()][i] as TableRecord[];
    deps.telemetry.error('health check could not reach an account', { account: group[0]?.accountId, ...errorFields(s.reason) });
    return group.map((r) => ({ ...row(r, undefined), status: 'unreachable' as const, error: errorFields(s.reason).errorMessage as string }));
  });
  tables.sort((a, b) => `${a.account}/${a.region}/${a.table}`.localeCompare(`${b.account}/${b.region}/${b.table}`));

  const count = (status: TableHealth['status']) => tables.filter((t) => t.status === status).length;
  const summary = {
    pipelines: tables.length,
    ok: count('ok'),
    error: count('error'),
    notScheduled: count('not-scheduled'),
    vanished: count('vanished'),
    unreachable: count('unreachable'),
  };
  deps.telemetry.gauge(MetricName.PipelinesInError, summary.error);
  deps.telemetry.gauge(MetricName.PipelinesNotScheduled, summary.notScheduled);
  deps.telemetry.gauge(MetricName.PipelinesVanished, summary.vanished);
  deps.telemetry.gauge(MetricName.PipelinesUnreachable, summary.unreachable);
  const unhealthy = tables.filter((t) => t.status !== 'ok');
  (unhealthy.length > 0 ? deps.telemetry.warn : deps.telemetry.info)('health check', { ...summary, unhealthy });
  return { checkedAt: now.toISOString(), summary, tables };
}

function row(r: TableRecord, s: PipelineStatus | undefined): TableHealth {
  return {
    account: r.accountId,
    region: r.region,
    table: r.tableName,
    pipelineId: r.pipelineId as string,
    pipelineRegion: r.pipelineRegion ?? r.region,
    status: classifyPipeline(s) ?? 'ok',
    state: s?.state,
    health: s?.health,
    latestRunTime: s?.latestRunTime,
    nextRunTime: s?.nextRunTime,
  };
}
