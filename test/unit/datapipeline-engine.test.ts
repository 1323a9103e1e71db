import type { PipelineCalls, PipelineStatus } from '../../lib/backup-engines/datapipeline/api';
import { dataPipelineEngine } from '../../lib/backup-engines/datapipeline/engine';
import { pipelineUniqueId } from '../../lib/backup-engines/datapipeline/naming';
import { EXPORT_S3_ACCESS } from '../../lib/backup-engines/datapipeline/s3-access';
import type { TableRecord } from '../../lib/domain/lifecycle';
import { ActivationFailedError, ConfigError, LeaseLostError } from '../../lib/errors';
import type { ClaimedTable, EngineSettings } from '../../lib/ports/backup-engine';
import { recordingTelemetry } from '../support/telemetry';

/** Data Pipeline in memory, one account and region: CreatePipeline idempotent on (name, uniqueId) as the API reference says. */
class MemoryPipelines implements PipelineCalls {
  readonly pipelines = new Map<string, PipelineStatus & { defined: boolean }>();
  readonly calls: string[] = [];
  failActivate?: Error;
  failDeactivate?: Error;
  failDelete?: Error;
  private n = 0;

  async warm() {}
  async create(input: { name: string; uniqueId: string; description: string; tags: Record<string, string> }) {
    this.calls.push('create');
    const same = [...this.pipelines.values()].find((p) => p.name === input.name && p.uniqueId === input.uniqueId);
    if (same !== undefined) return same.pipelineId;
    const pipelineId = `df-${++this.n}`;
    this.pipelines.set(pipelineId, {
      pipelineId,
      name: input.name,
      uniqueId: input.uniqueId,
      description: input.description,
      tags: input.tags,
      state: 'PENDING',
      defined: false,
    });
    return pipelineId;
  }
  async putDefinition(id: string) {
    this.calls.push(`define ${id}`);
    (this.pipelines.get(id) as { defined: boolean }).defined = true;
    return ['Default: a warning'];
  }
  async activate(id: string) {
    this.calls.push(`activate ${id}`);
    if (this.failActivate) throw this.failActivate;
    (this.pipelines.get(id) as PipelineStatus).state = 'SCHEDULED';
  }
  async deactivate(id: string) {
    this.calls.push(`deactivate ${id}`);
    if (this.failDeactivate) throw this.failDeactivate;
  }
  async delete(id: string) {
    this.calls.push(`delete ${id}`);
    if (this.failDelete) throw this.failDelete;
    this.pipelines.delete(id);
  }
  async getDefinition() {
    return [];
  }
  async describe(ids: readonly string[]) {
    this.calls.push('describe');
    return ids.flatMap((id) => {
      const p = this.pipelines.get(id);
      return p === undefined ? [] : [{ ...p }];
    });
  }
  async list() {
    this.calls.push('list');
    return [...this.pipelines.values()].map((p) => ({ id: p.pipelineId, name: p.name }));
  }
  async listIds() {
    return (await this.list()).map((p) => p.id);
  }
  async findByUniqueId(uniqueId: string) {
    this.calls.push('findByUniqueId');
    return [...this.pipelines.values()].find((p) => p.uniqueId === uniqueId);
  }
}

const settings: EngineSettings = {
  backupBucket: 'corp-ddb-backups',
  backupTimeUtc: { hour: 3, minute: 0 },
  readThroughputRatio: 0.25,
  alarmTopicArn: undefined,
  pipelineRegion: undefined,
};
const table = (name: string, region = 'us-east-1') => ({
  accountId: '111111111111',
  region,
  tableName: name,
  tableArn: `arn:aws:dynamodb:${region}:111111111111:table/${name}`,
});
const record = (fields: Partial<TableRecord> = {}): TableRecord => ({
  pk: 'TABLE#111111111111#us-east-1#orders',
  accountId: '111111111111',
  region: 'us-east-1',
  tableName: 'orders',
  tableArn: table('orders').tableArn,
  status: 'PENDING',
  attempts: 1,
  generation: 1,
  createdAt: '2026-11-26T10:00:00Z',
  updatedAt: '2026-11-26T10:00:00Z',
  ...fields,
});

describe('the Data Pipeline engine', () => {
  let dp: MemoryPipelines;
  let engine: ReturnType<typeof dataPipelineEngine>;
  const saved: Array<Record<string, unknown>> = [];
  const claimOf = (r: TableRecord, stillOurs = true): ClaimedTable => ({
    record: r,
    recordCreated: async (fields) => {
      saved.push({ created: fields });
      return stillOurs;
    },
    markActive: async (id) => saved.push({ active: id }),
  });
  beforeEach(() => {
    dp = new MemoryPipelines();
    engine = dataPipelineEngine(() => dp);
    saved.length = 0;
  });

  it('is named "datapipeline" and asks the policy for the blog’s export access', () => {
    expect(engine.name).toBe('datapipeline');
    expect(engine.writerAccess).toBe(EXPORT_S3_ACCESS);
  });

  it('places a pipeline in the table’s region, or PIPELINE_REGION where Data Pipeline does not run, or says why not', () => {
    expect(engine.placement('eu-west-1', settings)).toEqual({ region: 'eu-west-1' });
    expect(engine.placement('eu-central-1', { ...settings, pipelineRegion: 'eu-west-1' })).toEqual({
      region: 'eu-west-1',
    });
    expect(engine.placement('eu-central-1', settings)).toEqual({
      unsupported: 'region eu-central-1 has no Data Pipeline endpoint and PIPELINE_REGION is not set',
    });
    expect(() => engine.prepare(table('orders', 'eu-central-1'), settings, new Date())).toThrow(ConfigError);
  });

  it('creates, records, defines and activates a new table’s pipeline, logging the service’s warnings', async () => {
    const log = recordingTelemetry();
    const result = await engine
      .prepare(table('orders'), settings, new Date('2026-11-26T10:00:00Z'))
      .ensure(claimOf(record()), log);
    expect(result).toEqual({ resourceId: 'df-1', created: true });
    expect(dp.calls).toEqual(['create', 'define df-1', 'activate df-1']);
    expect(saved).toEqual([
      {
        created: {
          pipelineId: 'df-1',
          pipelineRegion: 'us-east-1',
          uniqueId: pipelineUniqueId(table('orders'), 1),
          generation: 1,
        },
      },
      { active: 'df-1' },
    ]);
    expect(dp.pipelines.get('df-1')?.tags).toEqual({
      'ddb-backup:table-arn': table('orders').tableArn,
      'ddb-backup:managed-by': 'ddb-backup-orchestrator',
    });
    expect(log.logs).toContainEqual({
      level: 'warn',
      message: 'Data Pipeline reported warnings',
      extra: { warnings: ['Default: a warning'] },
    });
  });

  it('reuses the pipeline the record names, creating nothing', async () => {
    const id = await dp.create({ name: 'ddb-backup-orders', uniqueId: 'u', description: '', tags: {} });
    dp.calls.length = 0;
    await engine
      .prepare(table('orders'), settings, new Date())
      .ensure(claimOf(record({ status: 'ACTIVATION_FAILED', pipelineId: id })), recordingTelemetry());
    expect(dp.calls).toEqual([`define ${id}`, `activate ${id}`]);
  });

  it('on a retry, finds the pipeline made by an attempt that died before recording it', async () => {
    const id = await dp.create({
      name: 'ddb-backup-orders',
      uniqueId: pipelineUniqueId(table('orders'), 1),
      description: '',
      tags: {},
    });
    dp.calls.length = 0;
    const result = await engine
      .prepare(table('orders'), settings, new Date())
      .ensure(claimOf(record({ attempts: 2 })), recordingTelemetry());
    expect(result).toEqual({ resourceId: id, created: false });
    expect(dp.calls).toEqual(['findByUniqueId', `define ${id}`, `activate ${id}`]);
  });

  it('makes a new pipeline, of the next generation, for a table created again after it was offboarded', async () => {
    await engine
      .prepare(table('orders'), settings, new Date())
      .ensure(claimOf(record({ status: 'OFFBOARDED', pipelineId: 'df-deleted', generation: 1 })), recordingTelemetry());
    expect(saved[0]).toEqual({
      created: expect.objectContaining({
        pipelineId: 'df-1',
        generation: 2,
        uniqueId: pipelineUniqueId(table('orders'), 2),
      }),
    });
  });

  it('throws ActivationFailedError, after the ACTIVE mark has settled, when only the activation fails', async () => {
    dp.failActivate = new Error('InternalServiceError');
    await expect(
      engine.prepare(table('orders'), settings, new Date()).ensure(claimOf(record()), recordingTelemetry()),
    ).rejects.toThrow(ActivationFailedError);
    expect(saved).toContainEqual({ active: 'df-1' });
  });

  it('stops before activating when the registry lease was lost while the pipeline was defined', async () => {
    await expect(
      engine.prepare(table('orders'), settings, new Date()).ensure(claimOf(record(), false), recordingTelemetry()),
    ).rejects.toThrow(LeaseLostError);
    expect(dp.calls).not.toContain('activate df-1');
  });

  it('deletes a pipeline even when it cannot be deactivated, and takes one already gone as removed', async () => {
    const log = recordingTelemetry();
    const id = await dp.create({ name: 'ddb-backup-orders', uniqueId: 'u', description: '', tags: {} });
    dp.failDeactivate = Object.assign(new Error('not implemented'), { name: 'InternalServiceError' });
    await expect(engine.remove({ ...record(), pipelineId: id }, log)).resolves.toEqual({ deactivation: 'failed' });
    expect(dp.pipelines.has(id)).toBe(false);
    expect(log.logs[0]?.message).toBe('DeactivatePipeline failed; deleting the pipeline anyway');
    dp.failDeactivate = Object.assign(new Error('gone'), { name: 'PipelineNotFoundException' });
    dp.failDelete = Object.assign(new Error('gone'), { name: 'PipelineDeletedException' });
    await expect(engine.remove({ ...record(), pipelineId: id }, log)).resolves.toEqual({ deactivation: 'done' });
    dp.failDelete = new Error('AccessDeniedException');
    await expect(engine.remove({ ...record(), pipelineId: id }, log)).rejects.toThrow('AccessDeniedException');
  });

  it('reports each registered pipeline healthy, in error, not scheduled or vanished', async () => {
    const ids = [];
    for (const state of ['SCHEDULED', 'SCHEDULED', 'PENDING']) {
      const id = await dp.create({ name: `p${ids.length}`, uniqueId: `u${ids.length}`, description: '', tags: {} });
      (dp.pipelines.get(id) as PipelineStatus).state = state;
      ids.push(id);
    }
    (dp.pipelines.get(ids[1] as string) as PipelineStatus).health = 'ERROR';
    const found = await engine.health(
      '111111111111',
      'us-east-1',
      [...ids, 'df-vanished'].map((pipelineId) => record({ pipelineId })),
    );
    expect(found.map((h) => h.status)).toEqual(['ok', 'error', 'not-scheduled', 'vanished']);
  });

  it('counts every pipeline of an account and knows the tables they back up, long ARNs included', async () => {
    const long = table('x'.repeat(250));
    await dp.create({
      name: 'a',
      uniqueId: 'a',
      description: '',
      tags: { 'ddb-backup:table-arn': table('orders').tableArn },
    });
    await engine.prepare(long, settings, new Date()).ensure(claimOf(record()), recordingTelemetry());
    await dp.create({ name: 'by-hand', uniqueId: 'h', description: '', tags: {} });
    const inventory = await engine.inventory('111111111111', 'us-east-1');
    expect(inventory.count).toBe(3);
    expect([
      inventory.covers(table('orders').tableArn),
      inventory.covers(long.tableArn),
      inventory.covers(table('other').tableArn),
    ]).toEqual([true, true, false]);
  });

  describe('restores', () => {
    const snapshot = (name: string) => ({
      snapshot: name,
      time: '',
      location: `s3://corp-ddb-backups/111111111111/us-east-1/orders/${name}/`,
      objects: 2,
    });
    const prepared = (name: string, target = 'orders-restored') =>
      engine.prepareRestore({ source: table('orders'), target: table(target), snapshot: snapshot(name) }, settings);

    it('finds nothing before a first restore into the target, then the same restore started', async () => {
      await expect(prepared('2026-11-25-03-00-00').find()).resolves.toEqual({ kind: 'none' });
      const id = await prepared('2026-11-25-03-00-00').start();
      await expect(prepared('2026-11-25-03-00-00').find()).resolves.toEqual({ kind: 'started', resourceId: id });
    });

    it('finds the same restore made but never activated, and resumes it', async () => {
      dp.failActivate = new Error('Lambda timed out');
      await expect(prepared('2026-11-25-03-00-00').start()).rejects.toThrow();
      dp.failActivate = undefined;
      await expect(prepared('2026-11-25-03-00-00').find()).resolves.toEqual({ kind: 'unfinished', resourceId: 'df-1' });
      await expect(prepared('2026-11-25-03-00-00').start('df-1')).resolves.toBe('df-1');
      expect(dp.pipelines.size).toBe(1);
    });

    it('names another restore into the target while its pipeline is active, and not once it has finished', async () => {
      const id = await prepared('2026-11-24-03-00-00').start();
      await expect(prepared('2026-11-25-03-00-00').find()).resolves.toEqual({
        kind: 'other',
        description: `from s3://corp-ddb-backups/111111111111/us-east-1/orders/2026-11-24-03-00-00/ by pipeline ${id} (SCHEDULED); delete that pipeline once its import has finished to restore into the table again`,
      });
      (dp.pipelines.get(id) as PipelineStatus).state = 'FINISHED';
      await expect(prepared('2026-11-25-03-00-00').find()).resolves.toEqual({ kind: 'none' });
    });

    it('describes only the pipelines named after the target', async () => {
      await engine.prepare(table('orders'), settings, new Date()).ensure(claimOf(record()), recordingTelemetry());
      dp.calls.length = 0;
      await expect(prepared('2026-11-25-03-00-00').find()).resolves.toEqual({ kind: 'none' });
      expect(dp.calls).toEqual(['list']);
    });
  });
});
