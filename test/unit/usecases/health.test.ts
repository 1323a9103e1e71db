import { checkHealth } from '../../../lib/usecases/health';
import { onboardTable } from '../../../lib/usecases/onboard';
import { A, B, fakeWorld, type FakeWorld, ref, REGION } from '../../support/fakes/world';

describe('health check', () => {
  let w: FakeWorld;
  beforeEach(async () => {
    w = fakeWorld();
    for (const t of ['orders', 'payments', 'invoices']) await onboardTable(w.deps, ref(A, t));
    await onboardTable(w.deps, ref(B, 'customers'));
  });
  const resourceOf = (account: string, table: string) => w.registry.record(ref(account, table))?.pipelineId as string;

  it('reports every backed-up table as the engine sees it, one engine call per account and region, and gauges zero problems', async () => {
    const report = await checkHealth(w.deps, new Date('2026-11-26T11:00:00Z'));
    expect(report.summary).toEqual({ pipelines: 4, ok: 4, error: 0, notScheduled: 0, vanished: 0, unreachable: 0, existsAgain: 0 });
    expect(report.tables.map((t) => `${t.account}/${t.table}:${t.status}:${t.state}`)).toEqual([
      `${A}/invoices:ok:SCHEDULED`,
      `${A}/orders:ok:SCHEDULED`,
      `${A}/payments:ok:SCHEDULED`,
      `${B}/customers:ok:SCHEDULED`,
    ]);
    expect(report.tables[0]).toMatchObject({ pipelineId: resourceOf(A, 'invoices'), pipelineRegion: REGION });
    expect(w.engine.calls.filter((c) => c.startsWith('health'))).toEqual([`health ${A}/${REGION}`, `health ${B}/${REGION}`]);
    expect(w.telemetry.gauges).toEqual({ PipelinesInError: 0, PipelinesNotScheduled: 0, PipelinesVanished: 0, PipelinesUnreachable: 0, TablesExistAgain: 0 });
    expect(report.checkedAt).toBe('2026-11-26T11:00:00.000Z');
  });

  it('counts each kind of problem: in error, not scheduled, vanished', async () => {
    (w.engine.resources.get(resourceOf(A, 'orders')) as { health: string }).health = 'error';
    (w.engine.resources.get(resourceOf(A, 'payments')) as { health: string }).health = 'not-scheduled';
    w.engine.resources.delete(resourceOf(A, 'invoices'));
    const report = await checkHealth(w.deps);
    expect(report.summary).toEqual({ pipelines: 4, ok: 1, error: 1, notScheduled: 1, vanished: 1, unreachable: 0, existsAgain: 0 });
    expect(w.telemetry.gauges).toEqual({ PipelinesInError: 1, PipelinesNotScheduled: 1, PipelinesVanished: 1, PipelinesUnreachable: 0, TablesExistAgain: 0 });
    expect(w.telemetry.logs.find((l) => l.message === 'health check')?.level).toBe('warn');
  });

  it('marks the tables of an account it cannot reach as unreachable, and still reports the others', async () => {
    w.engine.failAt('health', { where: `${B}/${REGION}`, error: new Error('AccessDenied: cannot assume the source role') });
    const report = await checkHealth(w.deps);
    expect(report.summary).toMatchObject({ ok: 3, unreachable: 1 });
    expect(report.tables.find((t) => t.account === B)).toMatchObject({ status: 'unreachable', error: 'AccessDenied: cannot assume the source role' });
    expect(w.telemetry.gauges.PipelinesUnreachable).toBe(1);
    expect(w.telemetry.logs).toContainEqual(expect.objectContaining({ level: 'error', message: 'health check could not reach an account' }));
  });

  it('looks only at tables whose backup resource should exist', async () => {
    w.registry.seed({ accountId: A, region: REGION, tableName: 'claimed-only', status: 'PENDING' });
    w.registry.seed({ accountId: A, region: REGION, tableName: 'deleted', status: 'OFFBOARDED', pipelineId: 'res-gone' });
    w.registry.seed({ accountId: A, region: REGION, tableName: 'half-made', status: 'ACTIVATION_FAILED', pipelineId: 'res-half' });
    const report = await checkHealth(w.deps);
    expect(report.tables.map((t) => t.table)).not.toEqual(expect.arrayContaining(['claimed-only', 'deleted']));
    expect(report.tables.find((t) => t.table === 'half-made')).toMatchObject({ status: 'vanished' });
  });

  describe('Given tables the registry says were offboarded', () => {
    beforeEach(() => {
      w.registry.seed({ accountId: A, region: REGION, tableName: 'back', status: 'OFFBOARDED', pipelineId: 'res-gone', tableId: 'old-id', offboardedAt: '2026-11-20T10:00:00Z' });
      w.registry.seed({ accountId: A, region: REGION, tableName: 'gone', status: 'OFFBOARDED', pipelineId: 'res-gone-too' });
      w.registry.seed({ accountId: A, region: REGION, tableName: 'going', status: 'OFFBOARDED' });
      w.accounts.add(A, REGION, 'back');
      w.accounts.add(A, REGION, 'going', { status: 'DELETING' });
    });

    it('reports one that exists again (and not one deleted or being deleted), counts it and gauges it', async () => {
      const report = await checkHealth(w.deps);
      expect(report.tables.filter((t) => t.status === 'exists-again')).toEqual([
        expect.objectContaining({ account: A, table: 'back', state: 'ACTIVE', error: expect.stringMatching(/^offboarded at 2026-11-20T10:00:00Z, yet the table exists \(tableId 0{8}-.*, the registry holds old-id\)/) }),
      ]);
      expect(report.summary).toMatchObject({ pipelines: 4, ok: 4, existsAgain: 1 });
      expect(w.telemetry.gauges.TablesExistAgain).toBe(1);
    });

    it('describes only the offboarded tables: one DescribeTable each, none for the backed-up ones', async () => {
      const described: string[] = [];
      const of = w.deps.sourceTables;
      const report = await checkHealth({
        ...w.deps,
        sourceTables: (account, region) => {
          const port = of(account, region);
          return { ...port, describe: (name) => (described.push(name), port.describe(name)) };
        },
      });
      expect(described.sort()).toEqual(['back', 'going', 'gone']);
      expect(report.summary.existsAgain).toBe(1);
    });

    it('reports an offboarded table whose account it cannot reach as unreachable', async () => {
      w.accounts.breakPlace(A, REGION, new Error('AccessDenied: cannot assume the source role'));
      const report = await checkHealth(w.deps);
      expect(report.tables.filter((t) => ['back', 'gone', 'going'].includes(t.table)).map((t) => t.status)).toEqual(['unreachable', 'unreachable', 'unreachable']);
    });
  });
});
