import type { DrillRecord } from '../../../lib/domain/drill';
import type { TableRecord } from '../../../lib/domain/lifecycle';
import type { TableRef } from '../../../lib/domain/table-ref';
import { IllegalTransitionError } from '../../../lib/errors';
import type { ClaimResult, TableKey, TableRegistry } from '../../../lib/ports/table-registry';

type Method = keyof TableRegistry;

/**
 * The table registry in memory, with the DynamoDB adapter's conditions: a claim takes the lease
 * only when there is no record, or the lease is free (expired on the injected clock) and — when
 * given — the status is one of those asked; an update needs the lease owner, and moves the status
 * only along a step that starts from the record's status. test/support/fakes/contract.ts runs the
 * same cases against this fake and against the adapter on moto.
 */
export class FakeTableRegistry implements TableRegistry {
  private readonly records = new Map<string, TableRecord>();
  private readonly faults: Array<{ method: Method; error: Error; when: (args: unknown[]) => boolean }> = [];
  /** Every call, in order, e.g. `claimTable 111111111111/us-east-1/orders`. */
  readonly calls: string[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** The next call of `method` (for which `when` holds) throws `error` instead of doing anything. */
  failNext(method: Method, error: Error, when: (args: unknown[]) => boolean = () => true): void {
    this.faults.push({ method, error, when });
  }

  /** Puts a record in place, as an earlier run would have left it. */
  seed(record: Partial<TableRecord> & TableKey & { status: TableRecord['status'] }): void {
    const iso = new Date(this.now()).toISOString();
    this.records.set(pk(record), {
      pk: pk(record),
      tableArn: `arn:aws:dynamodb:${record.region}:${record.accountId}:table/${record.tableName}`,
      attempts: 1,
      generation: 1,
      createdAt: iso,
      updatedAt: iso,
      ...record,
    });
  }

  /** A copy of the record, as a Scan would read it. */
  record(t: TableKey): TableRecord | undefined {
    const r = this.records.get(pk(t));
    return r === undefined ? undefined : structuredClone(r);
  }

  async getTable(t: TableKey): Promise<TableRecord | undefined> {
    this.enter('getTable', [t], t);
    return this.record(t);
  }

  async claimTable(
    t: TableRef,
    owner: string,
    leaseMs: number,
    opts: { statuses?: readonly TableRecord['status'][] } = {},
  ): Promise<ClaimResult> {
    this.enter('claimTable', [t, owner, leaseMs, opts], t);
    const now = this.now();
    const current = this.records.get(pk(t));
    const leaseFree = current?.leaseExpiresAt === undefined || current.leaseExpiresAt < now;
    const allowed =
      current === undefined || ((opts.statuses === undefined || opts.statuses.includes(current.status)) && leaseFree);
    if (!allowed) return { claimed: current.leaseOwner === owner, record: structuredClone(current) } as ClaimResult;
    const iso = new Date(now).toISOString();
    const next: TableRecord = {
      ...(current ?? { pk: pk(t), status: 'PENDING', attempts: 0, generation: 1, createdAt: iso, updatedAt: iso }),
      accountId: t.accountId,
      region: t.region,
      tableName: t.tableName,
      tableArn: t.tableArn,
      leaseOwner: owner,
      leaseExpiresAt: now + leaseMs,
      updatedAt: iso,
    } as TableRecord;
    next.attempts = (current?.attempts ?? 0) + 1;
    this.records.set(pk(t), next);
    return { claimed: true, record: structuredClone(next) };
  }

  async updateClaimed(
    t: TableKey,
    owner: string,
    fields: Parameters<TableRegistry['updateClaimed']>[2],
    opts: Parameters<TableRegistry['updateClaimed']>[3] = {},
  ): Promise<boolean> {
    this.enter('updateClaimed', [t, owner, fields, opts], t, opts.transition?.on);
    const step = opts.transition;
    if (step !== undefined && step.from.length === 0) throw new IllegalTransitionError('NONE', step.on);
    const current = this.records.get(pk(t));
    if (current === undefined || current.leaseOwner !== owner) return false;
    if (step !== undefined && !step.from.includes(current.status)) {
      // As the adapter reads a retry of its own write whose response was lost: already applied.
      if (current.status === step.to) return true;
      throw new IllegalTransitionError(current.status, step.on);
    }
    const next: Record<string, unknown> = { ...current };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) next[k] = structuredClone(v);
    if (step !== undefined) next.status = step.to;
    next.updatedAt = new Date(this.now()).toISOString();
    if (opts.expireLease) next.leaseExpiresAt = 0;
    for (const k of opts.remove ?? []) delete next[k];
    if (opts.release) {
      delete next.leaseOwner;
      delete next.leaseExpiresAt;
    }
    this.records.set(pk(t), next as unknown as TableRecord);
    return true;
  }

  async listTables(): Promise<TableRecord[]> {
    this.enter('listTables', []);
    return [...this.records.values()].map((r) => structuredClone(r));
  }

  async recordDrill(t: TableKey, drill: DrillRecord): Promise<boolean> {
    this.enter('recordDrill', [t, drill], t, drill.state);
    const current = this.records.get(pk(t));
    if (current === undefined) return false;
    this.records.set(pk(t), { ...current, drill: structuredClone(drill) });
    return true;
  }

  private enter(method: Method, args: unknown[], t?: TableKey, detail?: string): void {
    this.calls.push(
      [method, t === undefined ? undefined : `${t.accountId}/${t.region}/${t.tableName}`, detail]
        .filter((x) => x !== undefined)
        .join(' '),
    );
    const i = this.faults.findIndex((f) => f.method === method && f.when(args));
    if (i >= 0) {
      const [fault] = this.faults.splice(i, 1);
      throw (fault as { error: Error }).error;
    }
  }
}

const pk = (t: TableKey) => `TABLE#${t.accountId}#${t.region}#${t.tableName}`;
