import { classify } from '../../lib/domain/coverage';
import { scratchTableName } from '../../lib/domain/drill';
import { parseTableEvent, TABLE_CREATION_EVENTS } from '../../lib/domain/event';
import { selectTable } from '../../lib/domain/selection';
import { InvalidEventError } from '../../lib/errors';
import { type CoverageDeps, checkCoverage } from '../../lib/usecases/coverage';
import { offboardFromEvent } from '../../lib/usecases/offboard';
import { onboardFromEvent } from '../../lib/usecases/onboard';
import { FakeForwardingRules } from '../support/fakes/forwarding-rules';
import { A, fakeWorld, REGION, ref } from '../support/fakes/world';
import { loadEvent } from '../support/fixtures';

/** The calls that create a table other than CreateTable, each with its example event and where it names the table. */
const RESTORES = [
  {
    eventName: 'ImportTable',
    file: 'import-table',
    table: 'orders-restored',
    tableId: '7d1e4b2a-9c3f-4a6e-8b0d-2f4e6a8c0b1d',
    description: 'importTableDescription',
    setName: (e: Record<string, any>, name: unknown) => {
      e.detail.requestParameters.tableCreationParameters.tableName = name;
    },
    namePath: 'detail.requestParameters.tableCreationParameters.tableName',
  },
  {
    eventName: 'RestoreTableToPointInTime',
    file: 'restore-table-to-point-in-time',
    table: 'orders-pitr',
    tableId: '5a9c1e3b-2d4f-4e6a-9b8c-0d2e4f6a8b0c',
    description: 'tableDescription',
    setName: (e: Record<string, any>, name: unknown) => {
      e.detail.requestParameters.targetTableName = name;
    },
    namePath: 'detail.requestParameters.targetTableName',
  },
  {
    eventName: 'RestoreTableFromBackup',
    file: 'restore-table-from-backup',
    table: 'orders-from-backup',
    tableId: '8e2a6c4d-1b3f-4d5e-a7c9-0e2f4a6c8d0f',
    description: 'tableDescription',
    setName: (e: Record<string, any>, name: unknown) => {
      e.detail.requestParameters.targetTableName = name;
    },
    namePath: 'detail.requestParameters.targetTableName',
  },
] as const;
const KEYS = [
  { name: 'pk', type: 'S', keyType: 'HASH' },
  { name: 'sk', type: 'N', keyType: 'RANGE' },
];
const eventFor = (c: (typeof RESTORES)[number], table?: string) => {
  const e = loadEvent(c.file);
  if (table !== undefined) {
    c.setName(e, table);
    delete e.detail.responseElements[c.description].tableArn;
  }
  return e;
};

describe('parseTableEvent, for the calls that create a table by restoring one', () => {
  it('knows CreateTable and the three restores as the calls that create a table', () => {
    expect(TABLE_CREATION_EVENTS).toEqual([
      'CreateTable',
      'ImportTable',
      'RestoreTableToPointInTime',
      'RestoreTableFromBackup',
    ]);
  });

  describe.each(RESTORES)('$eventName', (c) => {
    it('reads the created table, its incarnation and its key schema, with no tags', () => {
      expect(parseTableEvent(loadEvent(c.file))).toEqual({
        kind: 'table-event',
        eventName: c.eventName,
        eventId: loadEvent(c.file).detail.eventID,
        eventTime: '2026-11-26T09:14:03Z',
        table: {
          accountId: '111111111111',
          region: 'us-east-1',
          tableName: c.table,
          tableArn: `arn:aws:dynamodb:us-east-1:111111111111:table/${c.table}`,
        },
        tableId: c.tableId,
        tags: {},
        keySchema: KEYS,
      });
    });

    it('reads a record without response elements as a creation of an unknown incarnation and key schema', () => {
      const e = loadEvent(c.file);
      e.detail.responseElements = null;
      if (c.eventName === 'ImportTable') {
        delete e.detail.requestParameters.tableCreationParameters.keySchema;
      }
      const parsed = parseTableEvent(e);
      expect(parsed).toMatchObject({ kind: 'table-event', eventName: c.eventName, table: { tableName: c.table } });
      expect(parsed.kind === 'table-event' && [parsed.tableId, parsed.keySchema]).toEqual([undefined, undefined]);
    });

    it('reads a key schema it cannot make out as absent, not as an error', () => {
      const e = loadEvent(c.file);
      const holder =
        c.eventName === 'ImportTable'
          ? e.detail.requestParameters.tableCreationParameters
          : e.detail.responseElements.tableDescription;
      holder.attributeDefinitions = [{ attributeName: 'pk', attributeType: 'S' }];
      const parsed = parseTableEvent(e);
      expect(parsed.kind === 'table-event' && parsed.keySchema).toBeUndefined();
    });

    it('returns the call as failed when CloudTrail records an error', () => {
      const e = loadEvent(c.file);
      e.detail.errorCode = 'TableAlreadyExistsException';
      e.detail.responseElements = null;
      expect(parseTableEvent(e)).toMatchObject({
        kind: 'failed-call',
        eventName: c.eventName,
        errorCode: 'TableAlreadyExistsException',
      });
    });

    const bad: Array<[string, (e: Record<string, any>) => void, string]> = [
      ['a missing target table name', (e) => c.setName(e, undefined), `${c.namePath} is missing`],
      ['a target table name that is not a string', (e) => c.setName(e, 42), 'Expected string, received number'],
      ['an invalid target table name', (e) => c.setName(e, 'my table'), `${c.namePath} "my table" is not a valid`],
      [
        'a response ARN that names another table',
        (e) => {
          e.detail.responseElements[c.description].tableArn = 'arn:aws:dynamodb:us-east-1:111111111111:table/orders';
        },
        `responseElements.${c.description}.tableArn "arn:aws:dynamodb:us-east-1:111111111111:table/orders" does not match`,
      ],
      [
        'a tableId that is not one',
        (e) => {
          e.detail.responseElements[c.description].tableId = '../etc';
        },
        `detail.responseElements.${c.description}.tableId "../etc" is not a DynamoDB table id`,
      ],
      [
        'a spoofed source',
        (e) => {
          e.source = 'custom.dynamodb';
        },
        'source is "custom.dynamodb", expected "aws.dynamodb"',
      ],
      [
        'a spoofed eventSource',
        (e) => {
          e.detail.eventSource = 'dynamodb.example.com';
        },
        'detail.eventSource is "dynamodb.example.com"',
      ],
      [
        'an envelope account other than the record’s',
        (e) => {
          e.account = '222222222222';
        },
        'account "222222222222" does not match detail.recipientAccountId "111111111111"',
      ],
      [
        'an envelope region other than the record’s',
        (e) => {
          e.region = 'eu-west-1';
        },
        'region "eu-west-1" does not match detail.awsRegion "us-east-1"',
      ],
      [
        'an account id that is not 12 digits',
        (e) => {
          e.detail.recipientAccountId = e.account = '12345';
        },
        '"12345" is not a 12-digit account id',
      ],
      [
        'an unknown region',
        (e) => {
          e.detail.awsRegion = e.region = 'mars-north-1';
        },
        '"mars-north-1" is not a known AWS region name',
      ],
    ];
    it.each(bad)('rejects %s with an InvalidEventError naming it', (_name, mutate, message) => {
      const e = loadEvent(c.file);
      mutate(e);
      expect(() => parseTableEvent(e)).toThrow(InvalidEventError);
      expect(() => parseTableEvent(e)).toThrow(message);
    });
  });

  it('does not read ImportTable’s table name from a top-level tableName', () => {
    const e = loadEvent('import-table');
    delete e.detail.requestParameters.tableCreationParameters;
    e.detail.requestParameters.tableName = 'orders-restored';
    expect(() => parseTableEvent(e)).toThrow('detail.requestParameters.tableCreationParameters.tableName is missing');
  });
});

describe('onboard and offboard, given an event of a call that creates a table by restoring one', () => {
  it.each(RESTORES)(
    'onboard brings the table created by $eventName under backup, keeping its key schema and incarnation',
    async (c) => {
      const w = fakeWorld();
      const result = await onboardFromEvent(w.deps, loadEvent(c.file));
      expect(result).toMatchObject({ outcome: 'onboarded', pipelineCreated: true });
      expect(w.engine.calls).toEqual([
        `prepare ${c.table}`,
        `create ${c.table} res-1`,
        'define res-1',
        'activate res-1',
      ]);
      expect(w.registry.record(ref(A, c.table))).toMatchObject({
        status: 'ACTIVE',
        keySchema: KEYS,
        tableId: c.tableId,
      });
    },
  );

  it.each(RESTORES)('offboard ignores $eventName as not a DeleteTable', async (c) => {
    const w = fakeWorld();
    expect(await offboardFromEvent(w.deps, loadEvent(c.file))).toMatchObject({
      outcome: 'ignored',
      reason: 'NotDeleteTable',
      message: `event is ${c.eventName}, not DeleteTable`,
    });
  });

  it('onboard ignores a DynamoDB call that creates no table, naming the calls it acts on', async () => {
    const w = fakeWorld();
    const e = loadEvent('import-table');
    e.detail.eventName = 'DescribeImport';
    expect(await onboardFromEvent(w.deps, e)).toMatchObject({
      outcome: 'ignored',
      reason: 'NotCreateTable',
      message:
        'event is DescribeImport, not a call that creates a table (CreateTable, ImportTable, RestoreTableToPointInTime, RestoreTableFromBackup)',
    });
    expect(w.engine.calls).toEqual([]);
  });
});

describe('A restore drill’s scratch table', () => {
  const scratch = scratchTableName(`arn:aws:dynamodb:${REGION}:${A}:table/orders`, new Date('2026-11-26T09:00:00Z'));
  const rules = { sourceAccounts: [A], optOutTag: 'ddb-backup' };

  it('is never selected for backup, whatever its tags and with no exclusion pattern configured', () => {
    expect(selectTable({ accountId: A, tableName: scratch }, { 'ddb-backup': 'on' }, rules)).toEqual({
      reason: 'DrillScratchTable',
      message: `table ${scratch} is a restore drill's scratch table (ddb-backup-drill-*): never backed up`,
    });
  });

  it('leaves a table named like the prefix alone, and names that merely contain it', () => {
    expect(selectTable({ accountId: A, tableName: 'ddb-backup-drill-' }, {}, rules)).toBeUndefined();
    expect(selectTable({ accountId: A, tableName: 'orders-ddb-backup-drill-x' }, {}, rules)).toBeUndefined();
  });

  it.each([...RESTORES.map((c) => [c.eventName, c] as const), ['CreateTable', undefined] as const])(
    'is not onboarded by a %s event',
    async (eventName, c) => {
      const w = fakeWorld();
      const e = c === undefined ? loadEvent('create-table') : eventFor(c, scratch);
      if (c === undefined) {
        e.detail.requestParameters.tableName = scratch;
        delete e.detail.responseElements.tableDescription.tableArn;
      }
      expect(e.detail.eventName).toBe(eventName);
      expect(await onboardFromEvent(w.deps, e)).toMatchObject({ outcome: 'ignored', reason: 'DrillScratchTable' });
      expect(w.engine.calls).toEqual([]);
      expect(w.registry.record(ref(A, scratch))).toBeUndefined();
      expect(w.telemetry.metrics).toEqual(['EventIgnored{Reason=DrillScratchTable}']);
    },
  );

  it('is counted by the coverage report as excluded (by the drill rule), not as unprotected', () => {
    const row = classify(
      {
        account: A,
        region: REGION,
        table: scratch,
        excluded: selectTable({ accountId: A, tableName: scratch }, {}, rules),
      },
      undefined,
      new Date('2026-11-26T10:00:00Z'),
      30,
    );
    expect(row).toMatchObject({ status: 'excluded', finding: false, exclusion: { by: 'drill' } });
  });

  it('is reported excluded by a coverage run, without reading its tags', async () => {
    const w = fakeWorld({ WATCH_REGIONS: REGION });
    const rules = new FakeForwardingRules();
    const deps: CoverageDeps = { ...w.deps, forwardingRules: rules.of, repair: async () => 'not called' };
    w.accounts.add(A, REGION, scratch, { createdAt: '2026-11-26T08:00:00Z' });
    const report = await checkCoverage(deps, undefined, new Date('2026-11-26T10:00:00Z'));
    expect(report.rows.find((r) => r.table === scratch)).toMatchObject({
      status: 'excluded',
      finding: false,
      exclusion: { by: 'drill' },
    });
    expect(w.accounts.reads).toEqual([]);
  });
});
