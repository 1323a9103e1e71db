import type { ExportInfo, ImportInfo, ImportRequest, NativeCalls } from '../../../lib/backup-engines/native/api';
import { nativeEngine } from '../../../lib/backup-engines/native/engine';
import type { ExportSchedule } from '../../../lib/backup-engines/native/schedule';
import { routeEngines } from '../../../lib/backup-engines/route';
import type { TableShape } from '../../../lib/domain/lifecycle';
import { A, fakeWorld } from './world';

/** The native engine's calls that can be told to fail. */
export type NativeStep = keyof Omit<NativeCalls, 'warm'>;

interface Table {
  tableArn: string;
  shape: TableShape;
  pitr: boolean;
}

export const simpleShape = (): TableShape => ({
  attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
  keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  globalSecondaryIndexes: [],
  localSecondaryIndexes: [],
  billingMode: 'PAY_PER_REQUEST',
});

/**
 * Scheduler and DynamoDB's control plane of every source account and region, in memory, with the
 * answers the adapter gives: CreateSchedule of an existing name throws ConflictException, a schedule
 * or table that is not there reads as undefined. Records every call (`calls`, `account/region method
 * arg`) and can be told to fail at a call.
 */
class FakeNative {
  readonly tables = new Map<string, Table>();
  readonly schedules = new Map<string, { arn: string; schedule: ExportSchedule }>();
  readonly exports = new Map<string, ExportInfo[]>();
  readonly imports: Array<ImportInfo & { place: string; token: string; request: ImportRequest }> = [];
  readonly calls: string[] = [];
  private readonly faults: Array<{ step: NativeStep; left: number; error: Error }> = [];
  private next = 1;

  failAt(step: NativeStep, opts: { times?: number; error?: Error } = {}): void {
    this.faults.push({ step, left: opts.times ?? 1, error: opts.error ?? new Error(`injected failure at ${step}`) });
  }

  /** A table in a source account, PITR off unless said. */
  addTable(accountId: string, region: string, name: string, o: { pitr?: boolean; shape?: TableShape } = {}): void {
    this.tables.set(`${accountId}/${region}/${name}`, {
      tableArn: `arn:aws:dynamodb:${region}:${accountId}:table/${name}`,
      shape: o.shape ?? simpleShape(),
      pitr: o.pitr ?? false,
    });
  }

  table(accountId: string, region: string, name: string): Table | undefined {
    return this.tables.get(`${accountId}/${region}/${name}`);
  }

  schedule(accountId: string, region: string, group: string, name: string) {
    return this.schedules.get(`${accountId}/${region}/${group}/${name}`);
  }

  /** An export of a table, as DescribeExport would tell it. */
  addExport(tableArn: string, e: Partial<ExportInfo> & { id: string; status: string; time: string }): void {
    const list = this.exports.get(tableArn) ?? [];
    list.push({
      arn: `${tableArn}/export/${e.id}`,
      type: 'FULL_EXPORT',
      bucket: 'corp-ddb-backups',
      prefix: 'P',
      ...e,
    });
    this.exports.set(tableArn, list);
  }

  readonly of = (accountId: string, region: string): NativeCalls => {
    const place = `${accountId}/${region}`;
    const enter = (step: NativeStep, arg: string) => {
      this.calls.push(`${place} ${step} ${arg}`);
      const f = this.faults.find((x) => x.step === step && x.left > 0);
      if (f !== undefined) {
        f.left--;
        throw f.error;
      }
    };
    const key = (group: string, name: string) => `${place}/${group}/${name}`;
    const arnOf = (group: string, name: string) => `arn:aws:scheduler:${region}:${accountId}:schedule/${group}/${name}`;
    return {
      warm: async () => undefined,
      describeTable: async (name) => {
        enter('describeTable', name);
        const t = this.tables.get(`${place}/${name}`);
        return t === undefined ? undefined : { tableArn: t.tableArn, shape: structuredClone(t.shape) };
      },
      pitrEnabled: async (name) => {
        enter('pitrEnabled', name);
        return this.tables.get(`${place}/${name}`)?.pitr === true;
      },
      enablePitr: async (name) => {
        enter('enablePitr', name);
        const t = this.tables.get(`${place}/${name}`);
        if (t === undefined) throw Object.assign(new Error(`no table ${name}`), { name: 'TableNotFoundException' });
        t.pitr = true;
      },
      createSchedule: async (s) => {
        enter('createSchedule', s.name);
        if (this.schedules.has(key(s.group, s.name)))
          throw Object.assign(new Error(`Schedule ${s.name} already exists.`), { name: 'ConflictException' });
        this.schedules.set(key(s.group, s.name), { arn: arnOf(s.group, s.name), schedule: structuredClone(s) });
        return arnOf(s.group, s.name);
      },
      updateSchedule: async (s) => {
        enter('updateSchedule', s.name);
        this.schedules.set(key(s.group, s.name), { arn: arnOf(s.group, s.name), schedule: structuredClone(s) });
        return arnOf(s.group, s.name);
      },
      getSchedule: async (group, name) => {
        enter('getSchedule', name);
        const s = this.schedules.get(key(group, name));
        return s === undefined ? undefined : structuredClone(s);
      },
      deleteSchedule: async (group, name) => {
        enter('deleteSchedule', name);
        return this.schedules.delete(key(group, name));
      },
      listSchedules: async (group) => {
        enter('listSchedules', group);
        return [...this.schedules.entries()]
          .filter(([k]) => k.startsWith(`${place}/${group}/`))
          .map(([, v]) => ({ name: v.schedule.name, state: v.schedule.state }));
      },
      listExports: async (tableArn) => {
        enter('listExports', tableArn);
        return (this.exports.get(tableArn) ?? []).map((e) => ({ arn: e.arn, status: e.status }));
      },
      describeExport: async (arn) => {
        enter('describeExport', arn);
        const found = [...this.exports.values()].flat().find((e) => e.arn === arn);
        if (found === undefined)
          throw Object.assign(new Error(`no export ${arn}`), { name: 'ExportNotFoundException' });
        return { ...found };
      },
      importTable: async (request) => {
        enter('importTable', request.tableName);
        const same = this.imports.find((i) => i.place === place && i.token === request.clientToken);
        if (same !== undefined) return { ...same };
        const tableArn = `arn:aws:dynamodb:${region}:${accountId}:table/${request.tableName}`;
        if (this.tables.has(`${place}/${request.tableName}`))
          throw Object.assign(new Error(`Table already exists: ${request.tableName}`), {
            name: 'ResourceInUseException',
          });
        const created = {
          arn: `${tableArn}/import/imp-${this.next++}`,
          status: 'IN_PROGRESS',
          tableArn,
          bucket: request.bucket,
          keyPrefix: request.keyPrefix,
          place,
          token: request.clientToken,
          request: structuredClone(request),
        };
        this.imports.push(created);
        this.tables.set(`${place}/${request.tableName}`, {
          tableArn,
          shape: structuredClone(request.shape),
          pitr: false,
        });
        return {
          arn: created.arn,
          status: created.status,
          tableArn,
          bucket: request.bucket,
          keyPrefix: request.keyPrefix,
        };
      },
      describeImport: async (arn) => {
        enter('describeImport', arn);
        const i = this.imports.find((x) => x.arn === arn);
        if (i === undefined) throw Object.assign(new Error(`no import ${arn}`), { name: 'ImportNotFoundException' });
        return { arn: i.arn, status: i.status, tableArn: i.tableArn, bucket: i.bucket, keyPrefix: i.keyPrefix };
      },
      listImports: async (tableArn) => {
        enter('listImports', tableArn);
        return this.imports
          .filter((i) => i.tableArn === tableArn)
          .map((i) => ({
            arn: i.arn,
            status: i.status,
            tableArn: i.tableArn,
            bucket: i.bucket,
            keyPrefix: i.keyPrefix,
          }));
      },
    };
  };
}

/**
 * The fake world with both engines behind the router, as lib/wiring.ts puts them: account A
 * (NATIVE_EXPORT_ACCOUNTS) uses the native engine on FakeNative, every other account the fake
 * Data Pipeline engine (`w.engine`).
 */
export function nativeWorld(env: Record<string, string> = {}) {
  const w = fakeWorld({ NATIVE_EXPORT_ACCOUNTS: A, ...env });
  const native = new FakeNative();
  const dataPipeline = w.engine;
  const engine = routeEngines(
    {
      datapipeline: dataPipeline,
      native: nativeEngine(native.of, { scheduleGroup: w.config.scheduleGroup }),
    },
    w.config,
  );
  w.deps.engine = engine;
  return { ...w, native, dataPipeline };
}

export type NativeWorld = ReturnType<typeof nativeWorld>;
