import {
  DRILL_TABLE_PREFIX,
  dueForDrill,
  isScheduleExpression,
  runsPerMonth,
  sameItem,
  scratchTableName,
  TAG_DRILL_OF,
} from '../../../lib/domain/drill';
import type { TableRecord } from '../../../lib/domain/lifecycle';
import { renderTable } from '../../../lib/domain/report';
import { TAG_MANAGED_BY } from '../../../lib/domain/tags';
import { InvalidEventError } from '../../../lib/errors';
import { runDrills } from '../../../lib/usecases/drill';
import { buildReport } from '../../../lib/usecases/report';
import { FakeDrillEngine, FakeScratchTables } from '../../support/fakes/drill';
import { FakeForwardingRules } from '../../support/fakes/forwarding-rules';
import { A, B, fakeWorld, REGION, ref } from '../../support/fakes/world';

const NOW = new Date('2026-11-26T10:00:00Z');
const SHAPE = {
  attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
  keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  globalSecondaryIndexes: [],
  localSecondaryIndexes: [],
  billingMode: 'PAY_PER_REQUEST' as const,
};
const ITEMS = [
  { pk: { S: 'a' }, n: { N: '1' }, s: { SS: ['y', 'x'] } },
  { pk: { S: 'b' }, m: { M: { k: { BOOL: true } } } },
  { pk: { S: 'c' }, bin: { B: 'AAE=' } },
];

function world(env: Record<string, string> = {}) {
  const w = fakeWorld(env);
  const scratch = new FakeScratchTables();
  const engine = new FakeDrillEngine(scratch);
  engine.backup = structuredClone(ITEMS);
  const files = { read: async () => undefined, listKeys: async () => [] };
  const seed = (name: string, extra: Partial<TableRecord> = {}, account = A) => {
    w.registry.seed({
      accountId: account,
      region: REGION,
      tableName: name,
      status: 'ACTIVE',
      engine: 'native',
      shape: SHAPE,
      ...extra,
    });
    engine.snapshotsOf.set(ref(account, name).tableArn, [
      { snapshot: `exp-${name}`, time: '2026-11-26T03:00:00Z', location: `s3://b/${name}/` },
    ]);
  };
  const drill = (input?: unknown) =>
    runDrills(
      {
        config: w.config,
        registry: w.registry,
        engine,
        scratchTables: () => scratch,
        backupFiles: () => files,
        telemetry: w.telemetry,
        now: w.clock.now,
        sleep: w.clock.sleep,
      },
      input,
      NOW,
    );
  const recorded = (name: string, account = A) =>
    w.registry.record({ accountId: account, region: REGION, tableName: name })?.drill;
  return { ...w, scratch, engine, seed, drill, recorded };
}

describe('Given the drill’s pure parts', () => {
  it('names a scratch table ddb-backup-drill-<10 hex>-<yyyymmdd>, the same for a table on a day and another for another table', () => {
    const name = scratchTableName(ref(A, 'orders').tableArn, NOW);
    expect(name).toMatch(/^ddb-backup-drill-[0-9a-f]{10}-20261126$/);
    expect(name.length).toBeLessThanOrEqual(255);
    expect(scratchTableName(ref(A, 'orders').tableArn, NOW)).toBe(name);
    expect(scratchTableName(ref(A, 'invoices').tableArn, NOW)).not.toBe(name);
  });

  it('picks leftovers first, then tables never drilled, then the least recently drilled, and no table without a backup resource', () => {
    const r = (tableArn: string, extra: Partial<TableRecord> = {}) =>
      ({ tableArn, status: 'ACTIVE', ...extra }) as TableRecord;
    const records = [
      r('old', { drill: { state: 'passed', time: '2026-11-01T00:00:00Z' } }),
      r('recent', { drill: { state: 'passed', time: '2026-11-20T00:00:00Z' } }),
      r('never'),
      r('gone', { status: 'OFFBOARDED' }),
      r('leftover', { drill: { state: 'running', time: '2026-11-25T00:00:00Z', scratchTable: 'x' } }),
    ];
    expect(dueForDrill(records, 3).map((x) => x.tableArn)).toEqual(['leftover', 'never', 'old']);
    expect(dueForDrill(records, 10).map((x) => x.tableArn)).not.toContain('gone');
  });

  it('counts the runs a rate makes in 30 days, and takes only schedule expressions EventBridge takes', () => {
    expect(runsPerMonth('rate(7 days)')).toBeCloseTo(30 / 7);
    expect(runsPerMonth('cron(0 4 ? * SUN *)')).toBeUndefined();
    expect(isScheduleExpression('rate(1 day)')).toBe(true);
    expect(isScheduleExpression('rate(1 days)')).toBe(false);
    expect(isScheduleExpression('weekly')).toBe(false);
  });

  it('compares items whatever the order of their sets and attributes', () => {
    expect(sameItem({ a: { SS: ['x', 'y'] }, b: { N: '1' } }, { b: { N: '1' }, a: { SS: ['y', 'x'] } })).toBe(true);
    expect(sameItem({ a: { N: '1' } }, { a: { N: '2' } })).toBe(false);
  });
});

describe('Given native tables with a complete backup', () => {
  it('restores the newest backup into a scratch table, finds it equal, deletes it and records passed', async () => {
    const w = world();
    w.seed('orders');
    const result = await w.drill(undefined);
    const scratch = scratchTableName(ref(A, 'orders').tableArn, NOW);
    expect(result.drills).toEqual([
      expect.objectContaining({
        result: 'passed',
        expectedItems: 3,
        actualItems: 3,
        sampled: 3,
      }),
    ]);
    expect(w.engine.calls[0]).toBe(`start ${scratch} from exp-orders`);
    expect(w.scratch.calls).toContain(`tag arn:aws:dynamodb:${REGION}:${A}:table/${scratch}`);
    expect(w.scratch.calls.at(-1)).toBe(`delete ${scratch}`);
    expect(w.scratch.tables.size).toBe(0);
    expect(w.recorded('orders')).toMatchObject({ state: 'passed', snapshot: 'exp-orders', expectedItems: 3 });
    expect(w.recorded('orders')?.scratchTable).toBeUndefined();
    expect(w.telemetry.metrics).toEqual(['DrillPassed']);
  });

  it('tags the scratch table as the product’s and as the drill of its table before checking it', async () => {
    const w = world();
    w.seed('orders');
    let tags: Record<string, string> | undefined;
    const count = w.scratch.count.bind(w.scratch);
    w.scratch.count = async (name) => {
      tags = { ...w.scratch.tables.get(name)?.tags };
      return count(name);
    };
    await w.drill(undefined);
    expect(tags).toEqual({ [TAG_MANAGED_BY]: 'ddb-backup-orchestrator', [TAG_DRILL_OF]: ref(A, 'orders').tableArn });
  });

  it('fails when the restored table holds fewer items than the manifest says, and still deletes the scratch table', async () => {
    const w = world();
    w.seed('orders');
    w.engine.restored = ITEMS.slice(0, 2);
    const result = await w.drill(undefined);
    expect(result.drills[0]).toMatchObject({
      result: 'failed',
      why: "the restored table holds 2 items, the backup's manifest says 3",
    });
    expect(w.scratch.tables.size).toBe(0);
    expect(w.telemetry.metrics).toEqual(['DrillFailed']);
    expect(w.recorded('orders')).toMatchObject({ state: 'failed', expectedItems: 3, actualItems: 2 });
  });

  it('fails when a sampled item differs from the backup’s', async () => {
    const w = world();
    w.seed('orders');
    w.engine.restored = [ITEMS[0], { ...ITEMS[1], m: { M: { k: { BOOL: false } } } }, ITEMS[2]] as typeof ITEMS;
    const result = await w.drill(undefined);
    expect(result.drills[0]?.why).toBe('the item {"pk":{"S":"b"}} of the backup is different in the restored table');
    expect(w.scratch.tables.size).toBe(0);
  });

  it('fails when the backup cannot be read (a data file missing), naming why, and deletes the scratch table', async () => {
    const w = world();
    w.seed('orders');
    w.engine.contents = async () => {
      throw new Error('s3 object x/data/1.json.gz is missing from the backup');
    };
    const result = await w.drill(undefined);
    expect(result.drills[0]?.why).toBe(
      'the backup exp-orders cannot be read: s3 object x/data/1.json.gz is missing from the backup',
    );
    expect(w.scratch.tables.size).toBe(0);
  });

  it('fails when the import fails, and deletes the scratch table', async () => {
    const w = world();
    w.seed('orders');
    w.engine.states = ['FAILED'];
    const result = await w.drill(undefined);
    expect(result.drills[0]).toMatchObject({ result: 'failed' });
    expect(result.drills[0]?.why).toMatch(/ended FAILED$/);
    expect(w.scratch.tables.size).toBe(0);
  });

  it('deletes the scratch table after an error thrown mid-drill, and records the failure', async () => {
    const w = world();
    w.seed('orders');
    w.scratch.count = async () => {
      throw new Error('ThrottlingException');
    };
    const result = await w.drill(undefined);
    expect(result.drills[0]).toMatchObject({ result: 'failed', why: 'the drill stopped: ThrottlingException' });
    expect(w.scratch.tables.size).toBe(0);
  });

  it('records a scratch table it could not delete, and removes it on the next run first', async () => {
    const w = world();
    w.seed('orders');
    w.scratch.failDelete = new Error('AccessDenied');
    const first = await w.drill(undefined);
    const scratch = scratchTableName(ref(A, 'orders').tableArn, NOW);
    expect(first.drills[0]?.why).toMatch(`the scratch table ${scratch} could not be deleted: AccessDenied`);
    expect(w.recorded('orders')?.scratchTable).toBe(scratch);
    w.scratch.failDelete = undefined;
    w.clock.advance(7 * 86_400_000);
    const second = await w.drill(undefined);
    expect(second.drills[0]?.result).toBe('passed');
    expect(w.scratch.tables.has(scratch)).toBe(false);
  });

  it('leaves a restore still running at the end of its wait to the next run, which checks it and deletes the scratch table', async () => {
    const w = world({ DRILL_WAIT_SECONDS: '30' });
    w.seed('orders');
    w.engine.states = ['IN_PROGRESS'];
    const first = await w.drill(undefined);
    const scratch = scratchTableName(ref(A, 'orders').tableArn, NOW);
    expect(first.drills[0]).toMatchObject({ result: 'running', scratchTable: scratch });
    expect(w.scratch.tables.has(scratch)).toBe(true);
    expect(w.recorded('orders')).toMatchObject({ state: 'running', importId: `import-${scratch}` });
    expect(w.telemetry.metrics).toEqual([]);

    w.engine.states = ['COMPLETED'];
    w.clock.advance(3_600_000);
    const second = await w.drill(undefined);
    expect(second.drills[0]).toMatchObject({ result: 'passed', snapshot: 'exp-orders' });
    expect(w.engine.calls.filter((c) => c.startsWith('start'))).toHaveLength(1);
    expect(w.scratch.tables.size).toBe(0);
  });

  it('removes the scratch table of a drill that crashed before its restore started, then drills afresh', async () => {
    const w = world();
    w.seed('orders', {
      drill: {
        state: 'running',
        time: '2026-11-19T10:00:00Z',
        scratchTable: `${DRILL_TABLE_PREFIX}deadbeef00-20261119`,
      },
    });
    w.scratch.tables.set(`${DRILL_TABLE_PREFIX}deadbeef00-20261119`, { items: [], tags: {} });
    const result = await w.drill(undefined);
    expect(w.scratch.calls[0]).toBe(`delete ${DRILL_TABLE_PREFIX}deadbeef00-20261119`);
    expect(result.drills[0]?.result).toBe('passed');
    expect(w.scratch.tables.size).toBe(0);
    expect(w.telemetry.logs.map((l) => l.message)).toContain(
      'removed the scratch table of an earlier drill that did not finish',
    );
  });

  it('removes the scratch table of a drill abandoned for more than a day instead of resuming it', async () => {
    const w = world();
    const stale = `${DRILL_TABLE_PREFIX}0123456789-20261120`;
    w.seed('orders', {
      drill: {
        state: 'running',
        time: '2026-11-20T10:00:00Z',
        startedAt: '2026-11-20T10:00:00Z',
        scratchTable: stale,
        importId: 'import-old',
        snapshot: 'exp-orders',
      },
    });
    w.scratch.tables.set(stale, { items: [], tags: {} });
    await w.drill(undefined);
    expect(w.scratch.tables.has(stale)).toBe(false);
    expect(w.engine.calls.filter((c) => c.startsWith('start'))).toEqual([
      `start ${scratchTableName(ref(A, 'orders').tableArn, NOW)} from exp-orders`,
    ]);
  });

  it('never deletes a table whose name is not a scratch table’s, whatever the record says', async () => {
    const w = world();
    w.seed('orders', { drill: { state: 'running', time: '2026-11-19T10:00:00Z', scratchTable: 'orders' } });
    w.scratch.tables.set('orders', { items: [], tags: {} });
    const result = await w.drill(undefined);
    expect(result.drills[0]).toMatchObject({ result: 'failed' });
    expect(result.drills[0]?.why).toMatch(/refusing to delete orders: not a scratch table/);
    expect(w.scratch.tables.has('orders')).toBe(true);
  });

  it('drills DRILL_TABLES_PER_RUN tables a run, and warns when the schedule cannot visit every table within 30 days', async () => {
    const w = world({ DRILL_TABLES_PER_RUN: '1' });
    for (const t of ['t1', 't2', 't3', 't4', 't5']) w.seed(t);
    const result = await w.drill(undefined);
    expect(result.drills).toHaveLength(1);
    expect(result).toMatchObject({ eligible: 5, monthlyCapacity: 4 });
    expect(w.telemetry.logs.map((l) => l.message)).toContain(
      'the drill schedule visits fewer tables in 30 days than there are',
    );
  });

  it('drills the tables asked for by name, and refuses one the registry does not know', async () => {
    const w = world();
    w.seed('orders');
    w.seed('invoices', {}, B);
    const result = await w.drill({ tables: [`${B}/${REGION}/invoices`] });
    expect(result.drills.map((d) => d.table)).toEqual([ref(B, 'invoices').tableArn]);
    await expect(w.drill({ tables: [`${A}/${REGION}/nope`] })).rejects.toThrow(InvalidEventError);
    await expect(w.drill({ tables: 'orders' })).rejects.toThrow(InvalidEventError);
  });

  it('takes a scheduled event as the tables due', async () => {
    const w = world();
    w.seed('orders');
    const result = await w.drill({ 'detail-type': 'Scheduled Event', source: 'aws.events' });
    expect(result.drills).toHaveLength(1);
  });
});

describe('Given tables a drill cannot restore', () => {
  it('skips a table whose restore the engine refuses (local secondary indexes under the native engine), with its reason', async () => {
    const w = world();
    w.seed('orders');
    w.engine.refuse = 'orders has local secondary indexes (byDate), which ImportTable cannot create';
    const result = await w.drill(undefined);
    expect(result.drills[0]).toMatchObject({ result: 'skipped', why: w.engine.refuse });
    expect(w.scratch.calls).toEqual([]);
    expect(w.telemetry.metrics).toEqual(['DrillSkipped']);
    expect(w.recorded('orders')).toMatchObject({ state: 'skipped', why: w.engine.refuse });
  });

  it('skips a table with no complete backup yet', async () => {
    const w = world();
    w.seed('orders');
    w.engine.snapshotsOf.clear();
    const result = await w.drill(undefined);
    expect(result.drills[0]).toMatchObject({ result: 'skipped', why: 'no complete backup of the table yet' });
  });
});

describe('Given a Data Pipeline table', () => {
  it('skips it while DRILL_DATAPIPELINE is false (the default), saying why, and calls nothing', async () => {
    const w = world();
    w.seed('orders', { engine: undefined, shape: undefined, keySchema: [{ name: 'pk', type: 'S', keyType: 'HASH' }] });
    const result = await w.drill(undefined);
    expect(result.drills[0]).toMatchObject({
      result: 'skipped',
      engine: 'datapipeline',
      why: 'Data Pipeline drills are off (DRILL_DATAPIPELINE=false): each would start an EMR cluster',
    });
    expect(w.engine.calls).toEqual([]);
  });

  it('with DRILL_DATAPIPELINE=true makes the tagged scratch table the import writes into, starts the import, and deletes it', async () => {
    const w = world({ DRILL_DATAPIPELINE: 'true' });
    w.seed('orders', { engine: undefined, shape: undefined, keySchema: [{ name: 'pk', type: 'S', keyType: 'HASH' }] });
    w.engine.createsTarget = false;
    w.engine.tellsContents = false;
    const scratch = scratchTableName(ref(A, 'orders').tableArn, NOW);
    let made: { tags: Record<string, string>; keySchema?: unknown } | undefined;
    const create = w.scratch.create.bind(w.scratch);
    w.scratch.create = async (name, keys, tags) => {
      await create(name, keys, tags);
      made = structuredClone(w.scratch.tables.get(name));
    };
    const result = await w.drill(undefined);
    expect(made).toMatchObject({
      tags: { [TAG_MANAGED_BY]: 'ddb-backup-orchestrator', [TAG_DRILL_OF]: ref(A, 'orders').tableArn },
      keySchema: [{ name: 'pk', type: 'S', keyType: 'HASH' }],
    });
    expect(w.scratch.calls.indexOf(`create ${scratch}`)).toBeLessThan(w.scratch.calls.indexOf(`count ${scratch}`));
    expect(w.engine.calls[0]).toBe(`start ${scratch} from exp-orders`);
    expect(result.drills[0]).toMatchObject({ result: 'passed', actualItems: 3 });
    expect(result.drills[0]?.why).toMatch(/tells no item count/);
    expect(w.scratch.tables.size).toBe(0);
  });
});

describe('Given drills recorded on the registry', () => {
  it('puts each table’s last finished drill in the report, and counts the failed ones in its totals', async () => {
    const w = fakeWorld({ WATCH_REGIONS: REGION });
    const rules = new FakeForwardingRules();
    for (const t of ['orders', 'invoices', 'ledger']) {
      w.accounts.add(A, REGION, t, { createdAt: '2026-11-01T00:00:00Z' });
      w.registry.seed({ accountId: A, region: REGION, tableName: t, status: 'ACTIVE' });
    }
    const key = (tableName: string) => ({ accountId: A, region: REGION, tableName });
    await w.registry.recordDrill(key('orders'), { state: 'passed', time: '2026-11-25T04:00:00Z' });
    await w.registry.recordDrill(key('invoices'), {
      state: 'failed',
      time: '2026-11-25T04:01:00Z',
      why: "the restored table holds 2 items, the backup's manifest says 3",
    });
    await w.registry.recordDrill(key('ledger'), { state: 'running', time: '2026-11-25T04:02:00Z', scratchTable: 'x' });
    const report = await buildReport(
      { ...w.deps, snapshots: w.policy, forwardingRules: rules.of, repair: async () => '' },
      undefined,
      NOW,
    );
    const rowOf = (t: string) => report.rows.find((r) => r.table === t);
    expect(rowOf('orders')?.lastDrill).toEqual({ time: '2026-11-25T04:00:00Z', result: 'passed' });
    expect(rowOf('invoices')?.lastDrill).toMatchObject({ result: 'failed', why: expect.stringContaining('2 items') });
    expect(rowOf('ledger')?.lastDrill).toBeUndefined();
    expect(report.totals.failedDrills).toBe(1);
    expect(renderTable(report)).toMatch(/invoices .*failed 2026-11-25T04:01:00Z/);
  });
});
