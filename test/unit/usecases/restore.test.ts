import { ConfigError, InvalidEventError } from '../../../lib/errors';
import { restore, RestoreRefusedError } from '../../../lib/usecases/restore';
import { A, BUCKET, fakeWorld, type FakeWorld, OUTSIDER, REGION } from '../../support/fakes/world';

const prefix = `${A}/${REGION}/orders/`;
const run = (name: string) => [`${prefix}${name}/part-000000`, `${prefix}${name}/manifest`, `${prefix}${name}_$folder$`];
const request = (extra: Record<string, unknown> = {}) => ({ action: 'restore', account: A, region: REGION, table: 'orders', snapshot: '2026-11-25-03-00-00', targetTable: 'orders-restored', ...extra });

describe('restore', () => {
  let w: FakeWorld;
  beforeEach(() => {
    w = fakeWorld();
    w.policy.keys = [...run('2026-11-24-03-00-00'), ...run('2026-11-25-03-00-00'), `${prefix}2026-11-26-03-00-00/part-000000`, `${prefix}logs/df-1/attempt.log`];
    w.accounts.add(A, REGION, 'orders', { keySchema: [{ name: 'tenant', type: 'S', keyType: 'HASH' }, { name: 'seq', type: 'N', keyType: 'RANGE' }], items: 3 });
  });

  it('lists the complete snapshots newest first, and the incomplete ones apart', async () => {
    const result = await restore(w.deps, { action: 'list', account: A, region: REGION, table: 'orders' });
    expect(result).toEqual({
      action: 'list',
      table: `arn:aws:dynamodb:${REGION}:${A}:table/orders`,
      snapshots: [
        { snapshot: '2026-11-25-03-00-00', time: '2026-11-25T03:00:00Z', location: `s3://${BUCKET}/${prefix}2026-11-25-03-00-00/`, objects: 2 },
        { snapshot: '2026-11-24-03-00-00', time: '2026-11-24T03:00:00Z', location: `s3://${BUCKET}/${prefix}2026-11-24-03-00-00/`, objects: 2 },
      ],
      incomplete: ['2026-11-26-03-00-00'],
    });
  });

  it('restores a snapshot into a new table with the source’s key schema, and starts the engine’s restore', async () => {
    const result = await restore(w.deps, request());
    expect(result).toEqual({
      action: 'restore',
      source: `arn:aws:dynamodb:${REGION}:${A}:table/orders`,
      snapshot: '2026-11-25-03-00-00',
      targetTable: `arn:aws:dynamodb:${REGION}:${A}:table/orders-restored`,
      targetCreated: true,
      pipelineId: 'restore-1',
      pipelineRegion: REGION,
      alreadyStarted: false,
    });
    expect(w.accounts.table(A, REGION, 'orders-restored')).toEqual({
      keySchema: [{ name: 'tenant', type: 'S', keyType: 'HASH' }, { name: 'seq', type: 'N', keyType: 'RANGE' }],
      items: 0,
      tags: { 'ddb-backup:managed-by': 'ddb-backup-orchestrator', 'ddb-backup:restored-from': 'orders@2026-11-25-03-00-00' },
    });
    expect(w.engine.restores).toEqual([expect.objectContaining({ id: 'restore-1', snapshot: `s3://${BUCKET}/${prefix}2026-11-25-03-00-00/`, started: true })]);
  });

  describe('Given the same restore asked for again', () => {
    it('returns the restore already started, and makes nothing', async () => {
      const first = await restore(w.deps, request());
      const again = await restore(w.deps, request());
      expect(again).toEqual({ ...first, targetCreated: false, alreadyStarted: true });
      expect(w.engine.restores).toHaveLength(1);
      expect(w.accounts.created).toEqual([`${A}/${REGION}/orders-restored`]);
      expect(w.telemetry.logs.map((l) => l.message)).toContain('restore already started');
    });

    it('resumes a restore whose attempt died before starting it, with the same resource', async () => {
      w.engine.failAt('restore', { error: new Error('Lambda timed out') });
      await expect(restore(w.deps, request())).rejects.toThrow('Lambda timed out');
      const retry = await restore(w.deps, request());
      expect(retry).toMatchObject({ pipelineId: 'restore-1', alreadyStarted: false, targetCreated: false });
      expect(w.engine.restores).toHaveLength(1);
      expect(w.engine.calls.filter((c) => c.startsWith('create restore'))).toEqual(['create restore restore-1']);
    });

    it('treats a forced and an unforced request for the same snapshot as the same restore', async () => {
      const first = await restore(w.deps, request());
      await expect(restore(w.deps, request({ force: true }))).resolves.toMatchObject({ pipelineId: first.action === 'restore' ? first.pipelineId : '', alreadyStarted: true });
    });
  });

  it('refuses a different restore into a table another restore may still be writing, and makes nothing', async () => {
    await restore(w.deps, request());
    const other = request({ snapshot: '2026-11-24-03-00-00' });
    await expect(restore(w.deps, other)).rejects.toThrow(RestoreRefusedError);
    await expect(restore(w.deps, other)).rejects.toThrow(/^table orders-restored is already being restored from s3:\/\/.*2026-11-25-03-00-00\/ by restore-1$/);
    expect(w.engine.restores).toHaveLength(1);
  });

  it('lets a different restore go ahead once the one before it has finished', async () => {
    await restore(w.deps, request());
    (w.engine.restores[0] as { running: boolean }).running = false;
    await expect(restore(w.deps, request({ snapshot: '2026-11-24-03-00-00', force: true }))).resolves.toMatchObject({ alreadyStarted: false, pipelineId: 'restore-2' });
  });

  it.each([
    ['a snapshot whose export did not finish', '2026-11-26-03-00-00', /its run folder has no manifest \(the export did not finish\)/],
    ['a snapshot that does not exist', '2026-01-01-03-00-00', /there is no such run folder/],
  ])('refuses %s, and makes nothing', async (_name, snapshot, message) => {
    await expect(restore(w.deps, request({ snapshot }))).rejects.toThrow(message);
    expect([w.accounts.created, w.engine.restores]).toEqual([[], []]);
  });

  it('refuses to import into an existing table that holds items unless forced', async () => {
    await expect(restore(w.deps, request({ targetTable: 'orders' }))).rejects.toThrow('table orders exists and holds items; pass "force": true to import into it anyway');
    expect(w.engine.restores).toEqual([]);
    await expect(restore(w.deps, request({ targetTable: 'orders', force: true }))).resolves.toMatchObject({ targetCreated: false, alreadyStarted: false });
  });

  it('imports into an existing empty table without being forced', async () => {
    w.accounts.add(A, REGION, 'empty-target');
    await expect(restore(w.deps, request({ targetTable: 'empty-target' }))).resolves.toMatchObject({ targetCreated: false });
  });

  it('takes the key schema from the registry when the source table no longer exists', async () => {
    w.policy.keys.push(`${A}/${REGION}/gone/2026-11-20-03-00-00/manifest`);
    w.registry.seed({ accountId: A, region: REGION, tableName: 'gone', status: 'OFFBOARDED', keySchema: [{ name: 'id', type: 'N', keyType: 'HASH' }] });
    await restore(w.deps, request({ table: 'gone', snapshot: '2026-11-20-03-00-00', targetTable: 'gone' }));
    expect(w.accounts.table(A, REGION, 'gone')?.keySchema).toEqual([{ name: 'id', type: 'N', keyType: 'HASH' }]);
  });

  it('refuses when neither the source table nor the registry knows the key schema', async () => {
    w.policy.keys.push(`${A}/${REGION}/unknown/2026-11-20-03-00-00/manifest`);
    await expect(restore(w.deps, request({ table: 'unknown', snapshot: '2026-11-20-03-00-00', targetTable: 'unknown-restored' }))).rejects.toThrow(/the key schema of .*unknown is unknown/);
  });

  it('refuses, before any call to the account, a region the engine does not run in', async () => {
    w.policy.keys.push(`${A}/eu-central-1/orders/2026-11-25-03-00-00/manifest`);
    await expect(restore(w.deps, request({ region: 'eu-central-1' }))).rejects.toThrow(ConfigError);
    expect(w.engine.calls).toEqual([]);
  });

  it.each([
    [{ action: 'undo', account: A, region: REGION, table: 'orders' }, /action must be "list" or "restore"/],
    [{ action: 'list', account: OUTSIDER, region: REGION, table: 'orders' }, /not in SOURCE_ACCOUNTS/],
    [request({ snapshot: 'yesterday' }), /snapshot must be a run folder name/],
    [request({ targetTable: undefined }), /targetTable is required/],
  ])('rejects %j with a clear error', async (input, message) => {
    await expect(restore(w.deps, input)).rejects.toThrow(InvalidEventError);
    await expect(restore(w.deps, input)).rejects.toThrow(message);
  });
});
