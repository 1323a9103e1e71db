import { exportClientToken } from '../../../lib/backup-engines/native/schedule';
import { RestoreRefusedError } from '../../../lib/errors';
import { backfill } from '../../../lib/usecases/backfill';
import { checkHealth, judgeRuns } from '../../../lib/usecases/health';
import { offboardFromEvent } from '../../../lib/usecases/offboard';
import { onboardFromEvent } from '../../../lib/usecases/onboard';
import { restore } from '../../../lib/usecases/restore';
import { writeExportFiles } from '../../support/export-files';
import { type NativeWorld, nativeWorld, simpleShape } from '../../support/fakes/native';
import { A, B, REGION, ref } from '../../support/fakes/world';
import { tableEvent } from '../../support/fixtures';

const GROUP = 'ddb-backup-orchestrator';
const ARN = (table: string) => `arn:aws:dynamodb:${REGION}:${A}:table/${table}`;

describe('Given an account in NATIVE_EXPORT_ACCOUNTS', () => {
  let w: NativeWorld;
  beforeEach(() => {
    w = nativeWorld();
    w.native.addTable(A, REGION, 'orders');
  });
  const create = (account: string, table: string) =>
    onboardFromEvent(w.deps, tableEvent('create-table', account, table));
  const remove = (account: string, table: string) =>
    offboardFromEvent(w.deps, tableEvent('delete-table', account, table, '2026-11-26T12:00:00Z'));

  describe('When one of its tables is created', () => {
    it('turns PITR on, makes the table’s schedule, and records both with the engine and the table’s shape', async () => {
      const result = await create(A, 'orders');
      expect(result).toMatchObject({
        outcome: 'onboarded',
        pipelineId: 'orders',
        pipelineRegion: REGION,
        pipelineCreated: true,
      });
      expect(w.native.table(A, REGION, 'orders')?.pitr).toBe(true);
      const schedule = w.native.schedule(A, REGION, GROUP, 'orders');
      expect(schedule?.schedule.target.Input).toEqual({
        TableArn: ARN('orders'),
        S3Bucket: 'corp-ddb-backups',
        S3BucketOwner: '999999999999',
        S3Prefix: `${A}/${REGION}/orders`,
        ExportFormat: 'DYNAMODB_JSON',
        ClientToken: exportClientToken(ARN('orders')),
      });
      expect(w.registry.record(ref(A, 'orders'))).toMatchObject({
        status: 'ACTIVE',
        engine: 'native',
        pipelineId: 'orders',
        uniqueId: `arn:aws:scheduler:${REGION}:${A}:schedule/${GROUP}/orders`,
        pitrEnabledByProduct: true,
        shape: simpleShape(),
      });
      expect(w.dataPipeline.calls).toEqual([]);
      expect(w.telemetry.metrics).toContain('TableOnboarded');
    });

    it('leaves PITR alone and records that the product did not turn it on when it was on already', async () => {
      w.native.addTable(A, REGION, 'ledger', { pitr: true });
      await create(A, 'ledger');
      expect(w.native.calls.filter((c) => c.includes('enablePitr'))).toEqual([]);
      expect(w.registry.record(ref(A, 'ledger'))).toMatchObject({ status: 'ACTIVE', pitrEnabledByProduct: false });
    });

    it('makes one schedule for the same event delivered twice, or ten times at once', async () => {
      await create(A, 'orders');
      const again = await create(A, 'orders');
      expect(again).toMatchObject({ outcome: 'already-onboarded', pipelineId: 'orders', pipelineCreated: false });
      const results = await Promise.all(Array.from({ length: 10 }, () => create(A, 'orders')));
      expect(results.every((r) => r.outcome === 'already-onboarded')).toBe(true);
      expect(w.native.calls.filter((c) => c.includes('createSchedule'))).toHaveLength(1);
      expect(w.native.schedules.size).toBe(1);
    });

    it('completes on the retry an onboarding that died after turning PITR on, before making the schedule', async () => {
      w.native.failAt('createSchedule');
      await expect(create(A, 'orders')).rejects.toThrow('injected failure at createSchedule');
      expect(w.registry.record(ref(A, 'orders'))).toMatchObject({ status: 'PENDING', pitrEnabledByProduct: true });
      expect(w.native.schedules.size).toBe(0);
      const retry = await create(A, 'orders');
      expect(retry).toMatchObject({ outcome: 'onboarded', pipelineCreated: true });
      expect(w.registry.record(ref(A, 'orders'))).toMatchObject({ status: 'ACTIVE', pitrEnabledByProduct: true });
      expect(w.native.schedules.size).toBe(1);
    });

    it('reuses the schedule an attempt that died before recording it made, and rewrites one that differs', async () => {
      await create(A, 'orders');
      const have = w.native.schedule(A, REGION, GROUP, 'orders');
      if (have === undefined) throw new Error('no schedule');
      have.schedule.expression = 'cron(0 12 * * ? *)';
      w.registry.seed({ accountId: A, region: REGION, tableName: 'orders', status: 'PENDING' });
      const retry = await create(A, 'orders');
      expect(retry).toMatchObject({ outcome: 'onboarded', pipelineCreated: false });
      expect(w.native.calls.filter((c) => c.includes('updateSchedule'))).toHaveLength(1);
      expect(w.native.schedule(A, REGION, GROUP, 'orders')?.schedule.expression).toBe('cron(0 3 * * ? *)');
      expect(w.native.schedules.size).toBe(1);
    });

    it('writes nothing for an event it ignores', async () => {
      w.native.addTable(A, REGION, 'tmp-scratch');
      const result = await create(A, 'tmp-scratch');
      expect(result).toMatchObject({ outcome: 'ignored', reason: 'ExcludedByPattern' });
      expect(w.native.calls).toEqual([]);
      expect(w.registry.record(ref(A, 'tmp-scratch'))).toBeUndefined();
      expect(w.policy.writes).toEqual([]);
    });
  });

  it('backs up the tables of other accounts with Data Pipeline', async () => {
    await create(B, 'customers');
    expect(w.dataPipeline.resources.size).toBe(1);
    expect(w.native.calls).toEqual([]);
    expect(w.registry.record(ref(B, 'customers'))).toMatchObject({ status: 'ACTIVE', engine: 'datapipeline' });
  });

  it('keeps a table on the engine its record names after the account changed engine', async () => {
    await create(B, 'customers');
    const moved = nativeWorld({ NATIVE_EXPORT_ACCOUNTS: `${A},${B}` });
    const record = w.registry.record(ref(B, 'customers'));
    if (record === undefined) throw new Error('no record');
    moved.registry.seed({ ...record, leaseOwner: undefined });
    await offboardFromEvent(moved.deps, tableEvent('delete-table', B, 'customers', '2026-11-26T12:00:00Z'));
    expect(moved.dataPipeline.calls).toContain('remove res-1');
    expect(moved.native.calls).toEqual([]);
  });

  describe('When the table is deleted', () => {
    it('deletes its schedule, leaves PITR as it is, and marks the record offboarded', async () => {
      await create(A, 'orders');
      const result = await remove(A, 'orders');
      expect(result).toMatchObject({ outcome: 'offboarded', pipelineId: 'orders', deactivation: 'done' });
      expect(w.native.schedules.size).toBe(0);
      expect(w.native.table(A, REGION, 'orders')?.pitr).toBe(true);
      expect(w.native.calls.filter((c) => c.includes('Pitr'))).toEqual([`${A}/${REGION} enablePitr orders`]);
      expect(w.registry.record(ref(A, 'orders'))?.status).toBe('OFFBOARDED');
    });

    it('offboards a table whose schedule someone already deleted', async () => {
      await create(A, 'orders');
      w.native.schedules.clear();
      await expect(remove(A, 'orders')).resolves.toMatchObject({ outcome: 'offboarded' });
    });
  });

  describe('When the health check runs', () => {
    const NOW = new Date('2026-11-26T10:00:00Z');
    beforeEach(async () => {
      for (const t of ['ledger', 'payments', 'invoices']) w.native.addTable(A, REGION, t);
      for (const t of ['orders', 'ledger', 'payments', 'invoices']) await create(A, t);
      const at = (hoursAgo: number) => new Date(NOW.getTime() - hoursAgo * 3_600_000).toISOString();
      w.native.addExport(ARN('orders'), {
        id: '01764100000000-aaaaaaaa',
        status: 'COMPLETED',
        time: at(7),
        itemCount: 5,
        sizeBytes: 900,
      });
      w.native.addExport(ARN('ledger'), { id: '01764000000000-aaaaaaaa', status: 'COMPLETED', time: at(31) });
      w.native.addExport(ARN('ledger'), {
        id: '01764090000000-bbbbbbbb',
        status: 'FAILED',
        time: at(7),
        failure: 'Access Denied',
      });
      w.native.addExport(ARN('payments'), { id: '01764000000000-cccccccc', status: 'COMPLETED', time: at(30) });
    });

    it('reports each table’s schedule and newest export, and alarms on a failed export and on one older than 26 hours', async () => {
      const report = await checkHealth(w.deps, NOW);
      const row = (t: string) => report.tables.find((x) => x.table === t);
      expect(row('orders')).toMatchObject({
        status: 'ok',
        state: 'ENABLED',
        newestBackup: { status: 'COMPLETED', itemCount: 5, sizeBytes: 900 },
        newestCompletedAgeHours: 7,
      });
      expect(row('ledger')).toMatchObject({
        status: 'backup-failed',
        newestBackup: { status: 'FAILED', failure: 'Access Denied' },
        newestCompletedAgeHours: 31,
      });
      expect(row('payments')).toMatchObject({ status: 'backup-overdue', newestCompletedAgeHours: 30 });
      // invoices was onboarded at NOW: no export yet is not overdue
      expect(row('invoices')).toMatchObject({ status: 'ok' });
      expect(report.summary).toMatchObject({ ok: 2, backupFailed: 1, backupOverdue: 1 });
      expect(w.telemetry.gauges).toMatchObject({ BackupsOverdue: 2, NewestBackupAgeHours: 31, PipelinesVanished: 0 });
    });

    it('reports a table whose schedule was deleted behind its back as vanished', async () => {
      w.native.schedules.delete(`${A}/${REGION}/${GROUP}/orders`);
      const report = await checkHealth(w.deps, NOW);
      expect(report.tables.find((x) => x.table === 'orders')?.status).toBe('vanished');
      expect(w.telemetry.gauges.PipelinesVanished).toBe(1);
    });

    it('describes only the newest exports it needs, one ListSchedules per account and region', async () => {
      await checkHealth(w.deps, NOW);
      expect(w.native.calls.filter((c) => c.includes('listSchedules'))).toHaveLength(1);
      expect(w.native.calls.filter((c) => c.includes('describeExport') && c.includes('/ledger/'))).toHaveLength(2);
    });
  });

  it('judges a table with no completed export overdue 26 hours after it was brought under backup', () => {
    const now = new Date('2026-11-27T12:00:00Z');
    expect(judgeRuns({}, '2026-11-26T09:00:00Z', now)).toEqual({ problem: 'backup-overdue' });
    expect(judgeRuns({}, '2026-11-26T11:00:01Z', new Date('2026-11-27T13:00:00Z'))).toEqual({});
    expect(judgeRuns({ newestCompletedTime: '2026-11-26T11:00:00Z' }, undefined, now)).toEqual({ ageHours: 25 });
    expect(judgeRuns({ newestCompletedTime: '2026-11-26T09:00:00Z' }, undefined, now)).toEqual({
      problem: 'backup-overdue',
      ageHours: 27,
    });
  });

  describe('When backfill runs', () => {
    it('brings the account’s tables under backup with schedules, not held to the Data Pipeline quota', async () => {
      for (const t of ['orders', 'payments', 'invoices']) {
        w.accounts.add(A, REGION, t);
        w.native.addTable(A, REGION, t);
      }
      w.accounts.add(B, REGION, 'customers');
      const s = await backfill(w.deps, { regions: [REGION], pipelineQuota: 1 });
      expect(s.onboarded.sort()).toEqual([
        `${A}/${REGION}/invoices`,
        `${A}/${REGION}/orders`,
        `${A}/${REGION}/payments`,
        `${B}/${REGION}/customers`,
      ]);
      expect([...w.native.schedules.keys()].sort()).toEqual(
        ['invoices', 'orders', 'payments'].map((t) => `${A}/${REGION}/${GROUP}/${t}`),
      );
    });

    it('counts a table whose schedule exists (its record lost) as backed up already', async () => {
      w.accounts.add(A, REGION, 'orders');
      await create(A, 'orders');
      const lost = nativeWorld();
      lost.accounts.add(A, REGION, 'orders');
      for (const [k, v] of w.native.schedules) lost.native.schedules.set(k, v);
      const s = await backfill(lost.deps, { regions: [REGION], accounts: [A] });
      expect(s.alreadyBackedUp).toEqual([`${A}/${REGION}/orders`]);
      expect(lost.native.calls.filter((c) => c.includes('createSchedule'))).toEqual([]);
    });
  });

  describe('When a table is restored', () => {
    const EXPORT = '01764100000000-aaaaaaaa';
    const request = (over: Record<string, unknown> = {}) => ({
      action: 'restore',
      account: A,
      region: REGION,
      table: 'orders',
      snapshot: EXPORT,
      targetTable: 'orders-restored',
      ...over,
    });
    beforeEach(async () => {
      await create(A, 'orders');
      w.native.addExport(ARN('orders'), {
        id: EXPORT,
        status: 'COMPLETED',
        time: '2026-11-26T03:10:00.000Z',
        prefix: `${A}/${REGION}/orders`,
        itemCount: 3,
      });
      writeExportFiles(w.policy, `${A}/${REGION}/orders`, EXPORT);
      w.native.addExport(ARN('orders'), {
        id: '01764200000000-bbbbbbbb',
        status: 'IN_PROGRESS',
        time: '2026-11-27T03:10:00.000Z',
      });
    });

    it('lists the table’s completed exports, newest first', async () => {
      const listed = await restore(w.deps, { action: 'list', account: A, region: REGION, table: 'orders' });
      expect(listed).toEqual({
        action: 'list',
        table: ARN('orders'),
        snapshots: [
          {
            snapshot: EXPORT,
            time: '2026-11-26T03:10:00.000Z',
            location: `s3://corp-ddb-backups/${A}/${REGION}/orders/AWSDynamoDB/${EXPORT}/`,
            itemCount: 3,
          },
        ],
        incomplete: ['01764200000000-bbbbbbbb'],
      });
    });

    it('imports the export into a new table with the recorded shape, and the same request again is the same import', async () => {
      const result = await restore(w.deps, request());
      expect(result).toMatchObject({
        action: 'restore',
        targetCreated: true,
        alreadyStarted: false,
        pipelineId: expect.stringContaining(`${ARN('orders-restored')}/import/`),
        state: 'IN_PROGRESS',
      });
      expect(w.native.imports).toHaveLength(1);
      expect(w.native.imports[0]?.request).toMatchObject({
        bucket: 'corp-ddb-backups',
        bucketOwner: '999999999999',
        keyPrefix: `${A}/${REGION}/orders/AWSDynamoDB/${EXPORT}/data/`,
        tableName: 'orders-restored',
        shape: simpleShape(),
      });
      const again = await restore(w.deps, request());
      expect(again).toMatchObject({ alreadyStarted: true, pipelineId: (result as { pipelineId: string }).pipelineId });
      expect(w.native.imports).toHaveLength(1);
    });

    it('refuses a table with local secondary indexes before any call that writes', async () => {
      const lsi = nativeWorld();
      lsi.native.addTable(A, REGION, 'orders', { shape: { ...simpleShape(), localSecondaryIndexes: ['by-date'] } });
      await onboardFromEvent(lsi.deps, tableEvent('create-table', A, 'orders'));
      lsi.native.addExport(ARN('orders'), { id: EXPORT, status: 'COMPLETED', time: '2026-11-26T03:10:00.000Z' });
      const error = await restore(lsi.deps, request()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RestoreRefusedError);
      expect((error as Error).message).toMatch(/local secondary indexes \(by-date\), which ImportTable cannot create/);
      expect(lsi.native.calls.filter((c) => c.includes('importTable'))).toEqual([]);
    });

    it('refuses a target table that exists, since ImportTable creates its table', async () => {
      w.accounts.add(A, REGION, 'orders-restored');
      await expect(restore(w.deps, request())).rejects.toThrow(
        /exists: this restore \(ImportTable\) creates its target/,
      );
      expect(w.native.imports).toHaveLength(0);
    });

    it('keeps the existing refusals: the source table as target, an export that has not completed', async () => {
      await expect(restore(w.deps, request({ targetTable: 'orders' }))).rejects.toThrow(RestoreRefusedError);
      await expect(restore(w.deps, request({ snapshot: '01764200000000-bbbbbbbb' }))).rejects.toThrow(
        'its export has not COMPLETED',
      );
      expect(w.native.imports).toHaveLength(0);
    });
  });
});
