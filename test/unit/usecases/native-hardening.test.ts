import { RestoreRefusedError } from '../../../lib/errors';
import { checkHealth } from '../../../lib/usecases/health';
import { onboardFromEvent } from '../../../lib/usecases/onboard';
import { restore } from '../../../lib/usecases/restore';
import { writeExportFiles } from '../../support/export-files';
import { type NativeWorld, nativeWorld } from '../../support/fakes/native';
import { A, B, REGION } from '../../support/fakes/world';
import { tableEvent } from '../../support/fixtures';

const GROUP = 'ddb-backup-orchestrator';
const ARN = (table: string) => `arn:aws:dynamodb:${REGION}:${A}:table/${table}`;
const NOW = new Date('2026-11-26T10:00:00Z');

describe('Given a table backed up by the native engine', () => {
  let w: NativeWorld;
  beforeEach(async () => {
    w = nativeWorld();
    for (const t of ['orders', 'ledger']) {
      w.native.addTable(A, REGION, t);
      await onboardFromEvent(w.deps, tableEvent('create-table', A, t));
    }
  });
  const scheduleOf = (table: string) => {
    const s = w.native.schedules.get(`${A}/${REGION}/${GROUP}/${table}`);
    if (s === undefined) throw new Error(`no schedule for ${table}`);
    return s.schedule;
  };

  describe('When its schedule was edited in the source account', () => {
    it('reports the table in error, naming the Input fields that differ, and counts it in PipelinesInError', async () => {
      const input = scheduleOf('orders').target.Input as unknown as Record<string, unknown>;
      input.S3Prefix = 'elsewhere';
      input.S3SseKmsKeyId = 'arn:aws:kms:eu-west-1:111111111111:key/attacker';
      const report = await checkHealth(w.deps, NOW);
      const orders = report.tables.find((t) => t.table === 'orders');
      expect(orders).toMatchObject({ status: 'error', state: 'ENABLED' });
      expect(orders?.error).toMatch(
        /differs from the product's definition in Target\.Input\.S3Prefix, Target\.Input\.S3SseKmsKeyId/,
      );
      expect(report.tables.find((t) => t.table === 'ledger')?.status).toBe('ok');
      expect(report.summary).toMatchObject({ ok: 1, error: 1 });
      expect(w.telemetry.gauges.PipelinesInError).toBe(1);
    });

    it('reports a cron that never fires and another role by the schedule fields they are in', async () => {
      scheduleOf('orders').expression = 'cron(0 0 31 2 ? *)';
      scheduleOf('orders').target.RoleArn = `arn:aws:iam::${A}:role/other`;
      const report = await checkHealth(w.deps, NOW);
      expect(report.tables.find((t) => t.table === 'orders')?.error).toMatch(/in ScheduleExpression, Target\.RoleArn /);
    });

    it('leaves the schedule as it is (backfill rewrites it) and reports every untouched one ok', async () => {
      scheduleOf('orders').target.Input.S3Bucket = 'attacker-bucket';
      await checkHealth(w.deps, NOW);
      expect(w.native.calls.filter((c) => c.includes('updateSchedule'))).toEqual([]);
      expect(scheduleOf('orders').target.Input.S3Bucket).toBe('attacker-bucket');
      scheduleOf('orders').target.Input.S3Bucket = 'corp-ddb-backups';
      const report = await checkHealth(w.deps, NOW);
      expect(report.summary).toMatchObject({ ok: 2, error: 0 });
      expect(w.telemetry.gauges.PipelinesInError).toBe(0);
    });
  });

  describe('When one of its exports is restored', () => {
    const EXPORT = '01764100000000-aaaaaaaa';
    const PREFIX = `${A}/${REGION}/orders`;
    let files: { folder: string; dataKeys: string[] };
    const request = () => ({
      action: 'restore',
      account: A,
      region: REGION,
      table: 'orders',
      snapshot: EXPORT,
      targetTable: 'orders-restored',
    });
    const refused = async () => {
      const error = await restore(w.deps, request()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RestoreRefusedError);
      expect(w.native.imports).toHaveLength(0);
      return (error as Error).message;
    };
    beforeEach(() => {
      files = writeExportFiles(w.policy, PREFIX, EXPORT, 2);
    });
    const addExport = (over: { bucket?: string; prefix?: string } = {}) =>
      w.native.addExport(ARN('orders'), {
        id: EXPORT,
        status: 'COMPLETED',
        time: '2026-11-26T03:10:00.000Z',
        prefix: PREFIX,
        ...over,
      });

    it('imports an export as DynamoDB wrote it, having listed its folder’s versions', async () => {
      addExport();
      await expect(restore(w.deps, request())).resolves.toMatchObject({ action: 'restore', alreadyStarted: false });
      expect(w.native.imports).toHaveLength(1);
      expect(w.policy.listings).toContain(files.folder);
    });

    it('refuses an export into which its account added a data file its manifest does not list', async () => {
      addExport();
      w.policy.bodies.set(`${files.folder}data/extra.json.gz`, new Uint8Array([1]));
      expect(await refused()).toMatch(
        new RegExp(
          `data files its manifest-files.json does not list were added to its export: ${files.folder}data/extra\\.json\\.gz`,
        ),
      );
    });

    it('refuses an export one of whose objects was overwritten (a second version) or deleted (a delete marker)', async () => {
      addExport();
      const data = files.dataKeys[0] as string;
      w.policy.extraVersions.set(data, [{ key: data, versionId: 'v2', deleteMarker: false }]);
      expect(await refused()).toMatch(`overwritten after it was written (more than one version): ${data}`);
      w.policy.extraVersions.clear();
      const manifest = `${files.folder}manifest-files.json`;
      w.policy.extraVersions.set(manifest, [{ key: manifest, versionId: 'v2', deleteMarker: true }]);
      expect(await refused()).toMatch(`deleted after it was written: ${manifest}`);
    });

    it('refuses an export outside the backup bucket, or outside the table’s own prefix', async () => {
      addExport({ bucket: 'attacker-bucket' });
      expect(await refused()).toMatch('in bucket attacker-bucket, not in the backup bucket corp-ddb-backups');
      w.native.exports.clear();
      addExport({ prefix: `${B}/${REGION}/orders` });
      expect(await refused()).toMatch(`not under the table's own ${files.folder}`);
    });

    it('fails, without refusing or importing, when a manifest cannot be read (denied), naming S3’s error', async () => {
      addExport();
      jest
        .spyOn(w.policy, 'read')
        .mockRejectedValue(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
      const error = await restore(w.deps, request()).catch((e: unknown) => e);
      expect(error).not.toBeInstanceOf(RestoreRefusedError);
      expect((error as Error).name).toBe('AccessDenied');
      expect(w.native.imports).toHaveLength(0);
    });

    it('refuses an export whose manifests are missing, or that lacks a data file its manifest lists', async () => {
      addExport();
      const missing = files.dataKeys[1] as string;
      w.policy.bodies.delete(missing);
      expect(await refused()).toMatch(`data files its manifest-files.json lists are missing: ${missing}`);
      w.policy.bodies.delete(`${files.folder}manifest-summary.json`);
      expect(await refused()).toMatch(
        `its manifests cannot be read (s3 object ${files.folder}manifest-summary.json is missing`,
      );
    });
  });
});
