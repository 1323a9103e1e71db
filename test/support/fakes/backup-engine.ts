import { newestCompleteRuns } from '../../../lib/domain/freshness';
import { isReborn, type TableRecord } from '../../../lib/domain/lifecycle';
import type { WriterAccess } from '../../../lib/domain/policy';
import { snapshotsFrom } from '../../../lib/domain/snapshots';
import type { TableRef } from '../../../lib/domain/table-ref';
import { ActivationFailedError, ConfigError, LeaseLostError, PipelineDefinitionError } from '../../../lib/errors';
import type {
  BackupEngine,
  BackupEngineName,
  BackupHealth,
  EngineSettings,
  Placement,
  PreparedBackup,
  PreparedRestore,
  RestoreFound,
  RestoreRequest,
} from '../../../lib/ports/backup-engine';

/** A step of the fake engine that can be told to fail. */
export type EngineStep =
  | 'prepare'
  | 'create'
  | 'define'
  | 'activate'
  | 'remove'
  | 'health'
  | 'inventory'
  | 'restore'
  | 'newest';

interface Resource {
  id: string;
  accountId: string;
  region: string;
  tableArn: string;
  generation: number;
  active: boolean;
  /** What the health check reports for it. */
  health: BackupHealth['status'];
}

interface Restore {
  id: string;
  targetArn: string;
  snapshot: string;
  started: boolean;
  running: boolean;
}

/**
 * A backup engine in memory: it makes one resource per table and generation (found again, as
 * Data Pipeline finds a pipeline by its uniqueId, when an attempt died before recording it),
 * records it on the claimed record and activates it alongside the ACTIVE mark, as the Data
 * Pipeline engine does. It records every call (`calls`) and can be told to fail at a step.
 */
export class FakeBackupEngine implements BackupEngine {
  /** Stands in for the configured engine. */
  readonly name: BackupEngineName = 'datapipeline';
  /** Not Data Pipeline's: a grant made through this engine shows the policy takes the engine's word. */
  readonly writerAccess: WriterAccess = {
    objects: { actions: ['s3:PutObject', 's3:AbortMultipartUpload'], key: '*' },
    cleanup: { actions: ['s3:DeleteObject'], keys: ['*/scratch/*'] },
  };
  readonly calls: string[] = [];
  readonly resources = new Map<string, Resource>();
  readonly restores: Restore[] = [];
  /** Resources in an account and region the engine did not make through this fake (`account/region` → table ARNs). */
  readonly foreign = new Map<string, string[]>();
  /** Regions the engine runs in; a table elsewhere needs settings.pipelineRegion. */
  regions = new Set(['us-east-1', 'us-west-2', 'eu-west-1']);
  deactivation: 'done' | 'failed' = 'done';
  private readonly faults: Array<{ step: EngineStep; left: number; error: Error; where?: string }> = [];
  private next = 1;

  /** The next `times` runs of `step` fail with `error` (only in `account/region` when `where` is given). */
  failAt(step: EngineStep, opts: { times?: number; error?: Error; where?: string } = {}): void {
    this.faults.push({
      step,
      left: opts.times ?? 1,
      error: opts.error ?? new Error(`injected failure at ${step}`),
      where: opts.where,
    });
  }

  placement(tableRegion: string, settings: EngineSettings): Placement {
    const region = this.regions.has(tableRegion) ? tableRegion : settings.pipelineRegion;
    return region === undefined
      ? { unsupported: `region ${tableRegion} has no engine endpoint and PIPELINE_REGION is not set` }
      : { region };
  }

  prepare(table: TableRef, settings: EngineSettings, _now: Date): PreparedBackup {
    const placement = this.placement(table.region, settings);
    if (placement.region === undefined) throw new ConfigError(placement.unsupported);
    const region = placement.region;
    this.fault(
      'prepare',
      table.accountId,
      region,
      (e) => new PipelineDefinitionError('the definition is invalid', [e.message]),
    );
    this.calls.push(`prepare ${table.tableName}`);
    return {
      region,
      warm: async () => undefined,
      ensure: async (claim) => {
        const { record } = claim;
        const generation = isReborn(record) ? record.generation + 1 : record.generation;
        let id = isReborn(record) ? undefined : record.pipelineId;
        let created = false;
        if (id === undefined) {
          id = [...this.resources.values()].find(
            (r) => r.tableArn === table.tableArn && r.generation === generation,
          )?.id;
          if (id === undefined) {
            this.fault('create', table.accountId, region);
            id = `res-${this.next++}`;
            this.resources.set(id, {
              id,
              accountId: table.accountId,
              region,
              tableArn: table.tableArn,
              generation,
              active: false,
              health: 'ok',
            });
            this.calls.push(`create ${table.tableName} ${id}`);
            created = true;
          }
          if (
            !(await claim.recordCreated({
              pipelineId: id,
              pipelineRegion: region,
              uniqueId: `unique-${table.tableArn}#${generation}`,
              generation,
            }))
          ) {
            throw new LeaseLostError(`lost the registry lease on ${table.tableArn}`);
          }
        }
        this.fault('define', table.accountId, region);
        this.calls.push(`define ${id}`);
        const resourceId = id;
        const [activation, marked] = await Promise.allSettled([
          this.activate(resourceId, table.accountId, region),
          claim.markActive(resourceId),
        ]);
        if (activation.status === 'rejected') throw new ActivationFailedError(resourceId, activation.reason);
        if (marked.status === 'rejected') throw marked.reason;
        return { resourceId, created };
      },
    };
  }

  async remove(record: TableRecord & { pipelineId: string }): Promise<{ deactivation: 'done' | 'failed' }> {
    this.fault('remove', record.accountId, record.pipelineRegion ?? record.region);
    this.calls.push(`remove ${record.pipelineId}`);
    this.resources.delete(record.pipelineId);
    return { deactivation: this.deactivation };
  }

  async health(accountId: string, region: string, records: readonly TableRecord[]): Promise<BackupHealth[]> {
    this.fault('health', accountId, region);
    this.calls.push(`health ${accountId}/${region}`);
    return records.map((r) => {
      const resource = this.resources.get(r.pipelineId as string);
      if (resource === undefined) return { status: 'vanished' };
      return { status: resource.health, state: resource.active ? 'SCHEDULED' : 'PENDING' };
    });
  }

  async inventory(accountId: string, region: string) {
    this.fault('inventory', accountId, region);
    this.calls.push(`inventory ${accountId}/${region}`);
    const arns = [...this.resources.values()]
      .filter((r) => r.accountId === accountId && r.region === region)
      .map((r) => r.tableArn);
    const all = new Set([...arns, ...(this.foreign.get(`${accountId}/${region}`) ?? [])]);
    return {
      count: arns.length + (this.foreign.get(`${accountId}/${region}`)?.length ?? 0),
      covers: (arn: string) => all.has(arn),
    };
  }

  snapshots: BackupEngine['snapshots'] = async ({ bucket, table, keys }) => snapshotsFrom(bucket, table, await keys());

  /** As the Data Pipeline engine reads them: one listing of the account-region, its run folders holding a manifest. */
  newestBackups: BackupEngine['newestBackups'] = async ({ accountId, region, records, objects }) => {
    this.fault('newest', accountId, region);
    this.calls.push(`newest ${accountId}/${region}`);
    const newest = newestCompleteRuns(
      accountId,
      region,
      records.map((r) => r.tableName),
      await objects(),
    );
    return records.map((r) => newest.get(r.tableName));
  };

  prepareRestore({ target, snapshot }: RestoreRequest, settings: EngineSettings): PreparedRestore {
    const placement = this.placement(target.region, settings);
    if (placement.region === undefined) throw new ConfigError(placement.unsupported);
    const region = placement.region;
    const mine = () => this.restores.find((r) => r.targetArn === target.tableArn && r.snapshot === snapshot.location);
    return {
      region,
      find: async (): Promise<RestoreFound> => {
        this.calls.push(`find restore ${target.tableName}`);
        const same = mine();
        if (same !== undefined)
          return same.started ? { kind: 'started', resourceId: same.id } : { kind: 'unfinished', resourceId: same.id };
        const other = this.restores.find((r) => r.targetArn === target.tableArn && r.running);
        return other === undefined
          ? { kind: 'none' }
          : { kind: 'other', description: `from ${other.snapshot} by ${other.id}` };
      },
      start: async (resume) => {
        let restore = resume === undefined ? mine() : this.restores.find((r) => r.id === resume);
        if (restore === undefined) {
          restore = {
            id: `restore-${this.next++}`,
            targetArn: target.tableArn,
            snapshot: snapshot.location,
            started: false,
            running: false,
          };
          this.restores.push(restore);
          this.calls.push(`create restore ${restore.id}`);
        }
        this.fault('restore', target.accountId, region);
        restore.started = true;
        restore.running = true;
        this.calls.push(`start restore ${restore.id}`);
        return restore.id;
      },
    };
  }

  private async activate(id: string, accountId: string, region: string): Promise<void> {
    this.fault('activate', accountId, region);
    const resource = this.resources.get(id);
    if (resource !== undefined) resource.active = true;
    this.calls.push(`activate ${id}`);
  }

  private fault(step: EngineStep, accountId: string, region: string, wrap: (e: Error) => Error = (e) => e): void {
    const f = this.faults.find(
      (x) => x.step === step && x.left > 0 && (x.where === undefined || x.where === `${accountId}/${region}`),
    );
    if (f === undefined) return;
    f.left--;
    throw wrap(f.error);
  }
}
