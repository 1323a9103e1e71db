import { ConfigError, InvalidEventError } from '../../../lib/errors';
import { RestoreRefusedError, restore } from '../../../lib/usecases/restore';
import { A, B, BUCKET, type FakeWorld, fakeWorld, OUTSIDER, REGION } from '../../support/fakes/world';

const prefix = `${A}/${REGION}/orders/`;
const run = (name: string) => [
  `${prefix}${name}/part-000000`,
  `${prefix}${name}/manifest`,
  `${prefix}${name}_$folder$`,
];
const request = (extra: Record<string, unknown> = {}) => ({
  action: 'restore',
  account: A,
  region: REGION,
  table: 'orders',
  snapshot: '2026-11-25-03-00-00',
  targetTable: 'orders-restored',
  ...extra,
});

describe('restore', () => {
  let w: FakeWorld;
  beforeEach(() => {
    w = fakeWorld();
    w.policy.keys = [
      ...run('2026-11-24-03-00-00'),
      ...run('2026-11-25-03-00-00'),
      `${prefix}2026-11-26-03-00-00/part-000000`,
      `${prefix}logs/df-1/attempt.log`,
    ];
    w.accounts.add(A, REGION, 'orders', {
      keySchema: [
        { name: 'tenant', type: 'S', keyType: 'HASH' },
        { name: 'seq', type: 'N', keyType: 'RANGE' },
      ],
      items: 3,
    });
  });

  it('lists the complete snapshots newest first, and the incomplete ones apart', async () => {
    const result = await restore(w.deps, { action: 'list', account: A, region: REGION, table: 'orders' });
    expect(result).toEqual({
      action: 'list',
      table: `arn:aws:dynamodb:${REGION}:${A}:table/orders`,
      snapshots: [
        {
          snapshot: '2026-11-25-03-00-00',
          time: '2026-11-25T03:00:00Z',
          location: `s3://${BUCKET}/${prefix}2026-11-25-03-00-00/`,
          objects: 2,
        },
        {
          snapshot: '2026-11-24-03-00-00',
          time: '2026-11-24T03:00:00Z',
          location: `s3://${BUCKET}/${prefix}2026-11-24-03-00-00/`,
          objects: 2,
        },
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
      requestedBy: { requestId: 'none' },
    });
    expect(w.accounts.table(A, REGION, 'orders-restored')).toEqual({
      keySchema: [
        { name: 'tenant', type: 'S', keyType: 'HASH' },
        { name: 'seq', type: 'N', keyType: 'RANGE' },
      ],
      items: 0,
      tags: {
        'ddb-backup:managed-by': 'ddb-backup-orchestrator',
        'ddb-backup:restored-from': 'orders@2026-11-25-03-00-00',
      },
    });
    expect(w.engine.restores).toEqual([
      expect.objectContaining({
        id: 'restore-1',
        snapshot: `s3://${BUCKET}/${prefix}2026-11-25-03-00-00/`,
        started: true,
      }),
    ]);
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
  });

  it('refuses a different restore into a table another restore may still be writing, and makes nothing', async () => {
    await restore(w.deps, request());
    const other = request({ snapshot: '2026-11-24-03-00-00' });
    await expect(restore(w.deps, other)).rejects.toThrow(RestoreRefusedError);
    await expect(restore(w.deps, other)).rejects.toThrow(
      /^table orders-restored is already being restored from s3:\/\/.*2026-11-25-03-00-00\/ by restore-1$/,
    );
    expect(w.engine.restores).toHaveLength(1);
  });

  it('lets a different restore go ahead once the one before it has finished', async () => {
    await restore(w.deps, request());
    (w.engine.restores[0] as { running: boolean }).running = false;
    await expect(restore(w.deps, request({ snapshot: '2026-11-24-03-00-00' }))).resolves.toMatchObject({
      alreadyStarted: false,
      pipelineId: 'restore-2',
    });
  });

  it.each([
    [
      'a snapshot whose export did not finish',
      '2026-11-26-03-00-00',
      /its run folder has no manifest \(the export did not finish\)/,
    ],
    ['a snapshot that does not exist', '2026-01-01-03-00-00', /there is no such run folder/],
  ])('refuses %s, and makes nothing', async (_name, snapshot, message) => {
    await expect(restore(w.deps, request({ snapshot }))).rejects.toThrow(message);
    expect([w.accounts.created, w.engine.restores]).toEqual([[], []]);
  });

  describe('Given a target that must never be written', () => {
    it.each([
      ['the source table by name', 'orders'],
      ['the source table by a name differing only in case', 'ORDERS'],
      ['the source table by its ARN', `arn:aws:dynamodb:${REGION}:${A}:table/orders`],
    ])('refuses %s, touching nothing in the account', async (_name, targetTable) => {
      const error = await restore(w.deps, request({ targetTable })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RestoreRefusedError);
      expect((error as Error).message).toMatch(/a restore never writes into the table it restores/);
      expect([
        w.accounts.created,
        w.engine.restores,
        w.engine.calls,
        w.accounts.table(A, REGION, 'orders')?.tags,
      ]).toEqual([[], [], [], {}]);
    });

    it('refuses a target ARN in another account or region', async () => {
      await expect(
        restore(w.deps, request({ targetTable: `arn:aws:dynamodb:${REGION}:${B}:table/orders-restored` })),
      ).rejects.toThrow(/is not in .*: a restore writes into the source table's account and region only/);
      await expect(
        restore(w.deps, request({ targetTable: `arn:aws:dynamodb:eu-west-1:${A}:table/orders-restored` })),
      ).rejects.toThrow(RestoreRefusedError);
      expect(w.accounts.created).toEqual([]);
    });

    it('refuses an existing table that holds items, and never tags or imports into it', async () => {
      w.accounts.add(A, REGION, 'ledger', { items: 1 });
      await expect(restore(w.deps, request({ targetTable: 'ledger' }))).rejects.toThrow(
        'table ledger exists and holds items: a restore never writes into a table that holds items; restore into a new table',
      );
      expect([w.engine.restores, w.accounts.table(A, REGION, 'ledger')?.tags]).toEqual([[], {}]);
    });

    it('no longer takes "force": the request is rejected before anything is read', async () => {
      w.accounts.add(A, REGION, 'ledger', { items: 1 });
      await expect(restore(w.deps, request({ targetTable: 'ledger', force: true }))).rejects.toThrow(InvalidEventError);
      await expect(restore(w.deps, request({ targetTable: 'ledger', force: true }))).rejects.toThrow(
        /"force" is no longer accepted/,
      );
      expect(w.engine.calls).toEqual([]);
    });

    it('logs each refusal with who asked', async () => {
      await restore(w.deps, request({ targetTable: 'orders', requestedBy: 'alice' }), { requestId: 'req-7' }).catch(
        () => undefined,
      );
      expect(w.telemetry.logs).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: 'restore refused',
          extra: expect.objectContaining({ requestedBy: { requestId: 'req-7', claimed: 'alice' } }),
        }),
      );
    });
  });

  it('imports into an existing empty table after tagging it as the product’s (the import role writes only tagged tables)', async () => {
    w.accounts.add(A, REGION, 'empty-target', { tags: { team: 'payments' } });
    await expect(restore(w.deps, request({ targetTable: 'empty-target' }))).resolves.toMatchObject({
      targetCreated: false,
    });
    expect(w.accounts.table(A, REGION, 'empty-target')?.tags).toEqual({
      team: 'payments',
      'ddb-backup:managed-by': 'ddb-backup-orchestrator',
      'ddb-backup:restored-from': 'orders@2026-11-25-03-00-00',
    });
    expect(w.engine.restores).toHaveLength(1);
  });

  it('accepts the target as a table ARN of the source account and region', async () => {
    await expect(
      restore(w.deps, request({ targetTable: `arn:aws:dynamodb:${REGION}:${A}:table/orders-restored` })),
    ).resolves.toMatchObject({
      targetTable: `arn:aws:dynamodb:${REGION}:${A}:table/orders-restored`,
      targetCreated: true,
    });
  });

  it('names who asked in the result and the log: the invocation Lambda gives, and the request’s own claim apart', async () => {
    const result = await restore(w.deps, request({ requestedBy: 'alice@example.com' }), {
      requestId: 'req-1',
      cognitoIdentityId: 'us-east-1:abc',
    });
    const requestedBy = { requestId: 'req-1', cognitoIdentityId: 'us-east-1:abc', claimed: 'alice@example.com' };
    expect(result).toMatchObject({ requestedBy });
    expect(w.telemetry.logs).toContainEqual(
      expect.objectContaining({ message: 'restore started', extra: expect.objectContaining({ requestedBy }) }),
    );
  });

  it('takes the key schema from the registry when the source table no longer exists', async () => {
    w.policy.keys.push(`${A}/${REGION}/gone/2026-11-20-03-00-00/manifest`);
    w.registry.seed({
      accountId: A,
      region: REGION,
      tableName: 'gone',
      status: 'OFFBOARDED',
      keySchema: [{ name: 'id', type: 'N', keyType: 'HASH' }],
    });
    await restore(w.deps, request({ table: 'gone', snapshot: '2026-11-20-03-00-00', targetTable: 'gone-restored' }));
    expect(w.accounts.table(A, REGION, 'gone-restored')?.keySchema).toEqual([
      { name: 'id', type: 'N', keyType: 'HASH' },
    ]);
  });

  it('refuses when neither the source table nor the registry knows the key schema', async () => {
    w.policy.keys.push(`${A}/${REGION}/unknown/2026-11-20-03-00-00/manifest`);
    await expect(
      restore(w.deps, request({ table: 'unknown', snapshot: '2026-11-20-03-00-00', targetTable: 'unknown-restored' })),
    ).rejects.toThrow(/the key schema of .*unknown is unknown/);
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
