import type { DrillRecord } from '../domain/drill';
import type { RecordFields, Step, TableRecord, TableStatus } from '../domain/lifecycle';
import type { TableRef } from '../domain/table-ref';

export type TableKey = Pick<TableRef, 'accountId' | 'region' | 'tableName'>;

export type ClaimResult = { claimed: true; record: TableRecord } | { claimed: false; record: TableRecord | undefined };

export interface UpdateOptions {
  /** Moves the status along this step of the lifecycle: written only while the record is in one of `step.from`. */
  transition?: Step;
  /** Ends the lease (removes its owner and expiry). */
  release?: boolean;
  /** Lets the lease expire but keeps its owner recorded, so that the owner can still write once more. */
  expireLease?: boolean;
  remove?: (keyof RecordFields)[];
}

/**
 * The registry's table records (adapter: lib/adapters/table-registry.ts, DynamoDB). A record is
 * also the table's lease: a claim is one conditional write that takes the lease and returns the
 * record, so that concurrent deliveries of one event do the work once.
 */
export interface TableRegistry {
  getTable(t: TableKey): Promise<TableRecord | undefined>;
  /**
   * Takes the table's lease, making the record (PENDING) if there is none, unless another live
   * lease holds it or — when `statuses` is given — its status is not one of them. A claim of ours
   * applied by an earlier try whose response was lost counts as claimed.
   */
  claimTable(
    t: TableRef,
    owner: string,
    leaseMs: number,
    opts?: { statuses?: readonly TableStatus[] },
  ): Promise<ClaimResult>;
  /**
   * Writes fields of a record while `owner` holds its lease; resolves false when the lease was
   * lost. With a transition, throws IllegalTransitionError (writing nothing) if the record's
   * status is not one the step starts from — unless it is already the step's end, which is our
   * own write applied by an earlier try whose response was lost.
   */
  updateClaimed(t: TableKey, owner: string, fields: RecordFields, opts?: UpdateOptions): Promise<boolean>;
  /** Every table record. */
  listTables(): Promise<TableRecord[]>;
  /**
   * Writes the table's latest drill on its record, whoever holds its lease (the drill moves no status and no lease);
   * resolves false when the table has no record.
   */
  recordDrill(t: TableKey, drill: DrillRecord): Promise<boolean>;
}
