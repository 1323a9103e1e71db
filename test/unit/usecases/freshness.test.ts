import { dataPipelineEngine } from '../../../lib/backup-engines/datapipeline/engine';
import { parseConfig } from '../../../lib/config';
import { judgeFreshness, newestCompleteRuns } from '../../../lib/domain/freshness';
import type { TableRecord } from '../../../lib/domain/lifecycle';
import { renderTable } from '../../../lib/domain/report';
import { MetricName } from '../../../lib/observability';
import { buildReport } from '../../../lib/usecases/report';
import { FakeForwardingRules } from '../../support/fakes/forwarding-rules';
import { nativeWorld } from '../../support/fakes/native';
import { A, B, type FakeWorld, fakeWorld, REGION } from '../../support/fakes/world';

const NOW = new Date('2026-11-26T10:00:00Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3600_000).toISOString();
/** A run folder's name for a run `h` hours before NOW. */
const runAgo = (h: number) => hoursAgo(h).slice(0, 19).replace(/[T:]/g, '-');

/** A protected Data Pipeline table of account B, onboarded `onboardedHoursAgo` ago. */
function protect(w: FakeWorld, account: string, table: string, onboardedHoursAgo = 24 * 30) {
  w.accounts.add(account, REGION, table, { createdAt: hoursAgo(onboardedHoursAgo) });
  w.registry.seed({
    accountId: account,
    region: REGION,
    tableName: table,
    status: 'ACTIVE',
    activatedAt: hoursAgo(onboardedHoursAgo),
  });
}

/** A run folder of `table` in account B: data files, and the manifest unless told. */
function run(w: FakeWorld, table: string, hours: number, o: { manifest?: boolean; bytes?: number } = {}) {
  const folder = `${B}/${REGION}/${table}/${runAgo(hours)}/`;
  w.policy.keys.push(`${folder}ae10f955-0000_000000`, `${folder}ae10f955-0000_000001`);
  w.policy.sizes.set(`${folder}ae10f955-0000_000000`, o.bytes ?? 1000);
  w.policy.sizes.set(`${folder}ae10f955-0000_000001`, o.bytes ?? 1000);
  if (o.manifest !== false) {
    w.policy.keys.push(`${folder}manifest`);
    w.policy.sizes.set(`${folder}manifest`, 100);
  }
}

async function report(w: FakeWorld) {
  return buildReport(
    { ...w.deps, snapshots: w.policy, forwardingRules: new FakeForwardingRules().of },
    { regions: [REGION] },
    NOW,
  );
}
const rowOf = (r: Awaited<ReturnType<typeof report>>, account: string, table: string) =>
  r.rows.find((x) => x.account === account && x.table === table);

describe('Given Data Pipeline tables with run folders in the backup bucket', () => {
  it('finds a table whose newest complete backup is older than the objective, with its time, age and size, as a finding', async () => {
    const w = fakeWorld();
    protect(w, B, 'orders');
    run(w, 'orders', 40);
    run(w, 'orders', 64);
    const r = await report(w);
    expect(rowOf(r, B, 'orders')).toMatchObject({
      status: 'protected',
      newestBackup: { time: `${hoursAgo(40).slice(0, 19)}Z`, ageHours: 40, sizeBytes: 2100 },
      overObjective: true,
      freshness: expect.stringContaining('over the 26 h objective'),
    });
    expect(r.totals.overObjective).toBe(1);
    expect(w.telemetry.gauges[MetricName.TablesOverObjective]).toBe(1);
    expect(w.telemetry.gauges[MetricName.WorstBackupAgeHours]).toBe(40);
    expect(renderTable(r)).toContain('40.0 h !');
  });

  it('passes over a newer run folder without a manifest and takes the older complete one', async () => {
    const w = fakeWorld();
    protect(w, B, 'orders');
    run(w, 'orders', 6, { manifest: false });
    run(w, 'orders', 30);
    const r = await report(w);
    expect(rowOf(r, B, 'orders')?.newestBackup?.ageHours).toBe(30);
    expect(rowOf(r, B, 'orders')?.overObjective).toBe(true);
  });

  it('is fine with a backup younger than the objective, and sets both gauges all the same', async () => {
    const w = fakeWorld();
    protect(w, B, 'orders');
    run(w, 'orders', 7);
    const r = await report(w);
    expect(rowOf(r, B, 'orders')).toMatchObject({ overObjective: false, newestBackup: { ageHours: 7 } });
    expect(rowOf(r, B, 'orders')?.freshness).toBeUndefined();
    expect(r.totals.overObjective).toBe(0);
    expect(w.telemetry.gauges[MetricName.TablesOverObjective]).toBe(0);
    expect(w.telemetry.gauges[MetricName.WorstBackupAgeHours]).toBe(7);
  });

  it('takes the objective from RPO_HOURS', async () => {
    const w = fakeWorld({ RPO_HOURS: '6' });
    protect(w, B, 'orders');
    run(w, 'orders', 7);
    expect(rowOf(await report(w), B, 'orders')?.freshness).toContain('over the 6 h objective');
  });

  it('finds a table with no complete backup a day after its onboarding, and not one onboarded less than a day ago', async () => {
    const w = fakeWorld();
    protect(w, B, 'orders', 30);
    protect(w, B, 'ledger', 20);
    run(w, 'orders', 2, { manifest: false });
    const r = await report(w);
    expect(rowOf(r, B, 'orders')).toMatchObject({
      overObjective: true,
      freshness: expect.stringContaining('no complete backup 30 h after onboarding'),
    });
    expect(rowOf(r, B, 'orders')?.newestBackup).toBeUndefined();
    expect(rowOf(r, B, 'ledger')).toMatchObject({ overObjective: false });
    expect(w.telemetry.gauges[MetricName.TablesOverObjective]).toBe(1);
    expect(w.telemetry.gauges[MetricName.WorstBackupAgeHours]).toBe(30);
    expect(renderTable(r)).toContain('none !');
  });

  it('lists the bucket once per account and region, whatever the number of tables, and not where no table is protected', async () => {
    const w = fakeWorld();
    for (const t of ['orders', 'ledger', 'invoices']) {
      protect(w, B, t);
      run(w, t, 5);
    }
    w.accounts.add(A, REGION, 'unregistered', { createdAt: hoursAgo(100) });
    await report(w);
    expect(w.policy.listings).toEqual([`${B}/${REGION}/`]);
  });

  it('reports a table whose backups could not be read with the error, not as fresh and not as over the objective', async () => {
    const w = fakeWorld();
    protect(w, B, 'orders');
    w.engine.failAt('newest', { error: new Error('AccessDenied: not authorized to perform s3:ListBucket') });
    const r = await report(w);
    expect(rowOf(r, B, 'orders')).toMatchObject({ backupError: expect.stringContaining('AccessDenied') });
    expect(rowOf(r, B, 'orders')?.overObjective).toBeUndefined();
    expect(renderTable(r)).toContain('its backups could not be read: AccessDenied');
  });
});

describe('Given a native account whose exports DynamoDB lists', () => {
  it('passes over a newer FAILED export (never describing it) and takes the older COMPLETED one', async () => {
    const w = nativeWorld();
    w.accounts.add(A, REGION, 'orders', { createdAt: hoursAgo(24 * 30) });
    w.registry.seed({
      accountId: A,
      region: REGION,
      tableName: 'orders',
      status: 'ACTIVE',
      engine: 'native',
      activatedAt: hoursAgo(24 * 30),
    });
    const arn = `arn:aws:dynamodb:${REGION}:${A}:table/orders`;
    w.native.addExport(arn, { id: '01764122400000-aaaa0003', status: 'FAILED', time: hoursAgo(7) });
    w.native.addExport(arn, {
      id: '01764036000000-aaaa0002',
      status: 'COMPLETED',
      time: hoursAgo(31),
      sizeBytes: 5120,
    });
    w.native.addExport(arn, { id: '01763949600000-aaaa0001', status: 'COMPLETED', time: hoursAgo(55) });
    const r = await buildReport(
      { ...w.deps, snapshots: w.policy, forwardingRules: new FakeForwardingRules().of },
      { regions: [REGION] },
      NOW,
    );
    expect(rowOf(r, A, 'orders')).toMatchObject({
      engine: 'native',
      newestBackup: { time: hoursAgo(31), ageHours: 31, sizeBytes: 5120 },
      overObjective: true,
    });
    const described = w.native.calls.filter((c) => c.includes('describeExport'));
    expect(described).toEqual([`${A}/${REGION} describeExport ${arn}/export/01764036000000-aaaa0002`]);
    // The native account's backups are read from DynamoDB: the bucket is not listed for it.
    expect(w.policy.listings).toEqual([]);
  });

  it('takes the newest COMPLETED export by its time when the ids do not order them', async () => {
    const w = nativeWorld();
    w.accounts.add(A, REGION, 'orders', { createdAt: hoursAgo(24 * 30) });
    w.registry.seed({ accountId: A, region: REGION, tableName: 'orders', status: 'ACTIVE', engine: 'native' });
    const arn = `arn:aws:dynamodb:${REGION}:${A}:table/orders`;
    w.native.addExport(arn, { id: 'export-b', status: 'COMPLETED', time: hoursAgo(3) });
    w.native.addExport(arn, { id: 'export-a', status: 'COMPLETED', time: hoursAgo(27) });
    const r = await buildReport(
      { ...w.deps, snapshots: w.policy, forwardingRules: new FakeForwardingRules().of },
      { regions: [REGION] },
      NOW,
    );
    expect(rowOf(r, A, 'orders')).toMatchObject({ newestBackup: { ageHours: 3 }, overObjective: false });
  });
});

describe('The Data Pipeline engine reading newest backups', () => {
  it('reads them from the one listing it is handed, per record in order, undefined where none is complete', async () => {
    const engine = dataPipelineEngine(() => {
      throw new Error('no Data Pipeline call is needed');
    });
    const record = (tableName: string) => ({ tableName }) as TableRecord;
    let listings = 0;
    const found = await engine.newestBackups({
      bucket: 'b',
      accountId: B,
      region: REGION,
      records: [record('orders'), record('ledger')],
      objects: async () => {
        listings++;
        return [
          { key: `${B}/${REGION}/orders/2026-11-25-03-00-00/manifest`, size: 10 },
          { key: `${B}/${REGION}/orders/2026-11-25-03-00-00/part-0`, size: 90 },
          { key: `${B}/${REGION}/ledger/2026-11-26-03-00-00/part-0`, size: 90 },
        ];
      },
    });
    expect(found).toEqual([{ id: '2026-11-25-03-00-00', time: '2026-11-25T03:00:00Z', sizeBytes: 100 }, undefined]);
    expect(listings).toBe(1);
  });
});

describe('newestCompleteRuns', () => {
  it('ignores other tables, native exports, logs and keys that are not run folders', () => {
    const keys = [
      `${B}/${REGION}/orders/AWSDynamoDB/01764036000000-aaaa0002/manifest-summary.json`,
      `${B}/logs/${REGION}/orders/df-1/manifest`,
      `${B}/${REGION}/orders/not-a-run/manifest`,
      `${B}/${REGION}/orders-archive/2026-11-26-03-00-00/manifest`,
      `${B}/${REGION}/orders/2026-11-24-03-00-00/manifest`,
    ].map((key) => ({ key }));
    expect([...newestCompleteRuns(B, REGION, ['orders'], keys)]).toEqual([
      ['orders', { id: '2026-11-24-03-00-00', time: '2026-11-24T03:00:00Z' }],
    ]);
  });
});

describe('judgeFreshness', () => {
  it('counts a table onboarded without activatedAt from the time it is given', () => {
    expect(judgeFreshness(undefined, hoursAgo(25), NOW, 26)).toMatchObject({ overObjective: true, exposureHours: 25 });
    expect(judgeFreshness(undefined, hoursAgo(23), NOW, 26)).toMatchObject({ overObjective: false });
  });

  it('holds a backup exactly at the objective within it', () => {
    expect(judgeFreshness({ id: 'x', time: hoursAgo(26) }, hoursAgo(100), NOW, 26).overObjective).toBe(false);
  });
});

describe('RPO_HOURS', () => {
  const base = {
    BACKUP_BUCKET: 'corp-ddb-backups',
    BACKUP_ROLE_ARN: 'arn:aws:iam::999999999999:role/ddb-backup-policy-writer',
    SOURCE_ROLE_NAME: 'ddb-backup-orchestrator',
    SOURCE_ACCOUNTS: A,
    REGISTRY_TABLE: 'ddb-backup-registry',
  };

  it('defaults to 26 hours and takes a fraction', () => {
    expect(parseConfig(base).rpoHours).toBe(26);
    expect(parseConfig({ ...base, RPO_HOURS: '12.5' }).rpoHours).toBe(12.5);
  });

  it.each(['0', '-3', 'a day', '9000'])('refuses %s, naming the variable', (v) => {
    expect(() => parseConfig({ ...base, RPO_HOURS: v })).toThrow(`RPO_HOURS must be a number of hours from 1 to 8760`);
  });
});
