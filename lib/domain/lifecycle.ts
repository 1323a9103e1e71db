import { IllegalTransitionError } from '../errors';
import type { BackupEngineName } from '../ports/backup-engine';
import type { DrillRecord } from './drill';
import type { KeyAttribute } from './table-ref';

/**
 * A table's lifecycle, in one place: its record in the registry, the statuses that record moves
 * through, and every move the use cases make, as data. docs/lifecycle.md draws the same table
 * (a unit test keeps the two equal). The registry refuses a write that moves a record along a
 * transition that is not here (see TableRegistry.updateClaimed); the use cases check the
 * transitions that write nothing (a duplicate or a stale event) with `transition`.
 *
 * A write that leaves the status as it is — recording `lastError` after a failed step,
 * releasing or renewing the lease — is not a transition.
 */

export const TABLE_STATUSES = ['PENDING', 'CREATED', 'ACTIVE', 'ACTIVATION_FAILED', 'OFFBOARDED'] as const;
/**
 * PENDING: claimed, nothing made yet · CREATED: the engine made the table's backup resource ·
 * ACTIVE: backed up every night · ACTIVATION_FAILED: made, but its activation failed (the retry
 * activates the same resource) · OFFBOARDED: the table was deleted; its backups are kept.
 */
export type TableStatus = (typeof TABLE_STATUSES)[number];

/** Where a table starts: no record in the registry yet. */
export const NO_RECORD = 'NONE';

export type LifecycleEvent =
  | 'claimed'
  | 'backupCreated'
  | 'reonboarded'
  | 'activated'
  | 'activationFailed'
  | 'duplicateCreate'
  | 'staleCreate'
  | 'deletedBeforeBackup'
  | 'offboarded'
  | 'duplicateDelete'
  | 'recreated'
  | 'staleDelete';

export interface Transition {
  from: TableStatus | typeof NO_RECORD;
  to: TableStatus;
  on: LifecycleEvent;
  /** What makes the move, in words. */
  why: string;
}

export const TRANSITIONS: readonly Transition[] = [
  {
    from: NO_RECORD,
    to: 'PENDING',
    on: 'claimed',
    why: 'the first CreateTable or DeleteTable seen for the table: its record is made, leased by the worker',
  },
  {
    from: 'PENDING',
    to: 'CREATED',
    on: 'backupCreated',
    why: 'the engine made the backup resource (or found the one an attempt that died had made)',
  },
  {
    from: 'OFFBOARDED',
    to: 'CREATED',
    on: 'reonboarded',
    why: 'the table was created again after its DeleteTable: a new incarnation, a new backup resource',
  },
  { from: 'CREATED', to: 'ACTIVE', on: 'activated', why: 'recorded alongside the activation' },
  { from: 'ACTIVATION_FAILED', to: 'ACTIVE', on: 'activated', why: 'the retry activated the same resource' },
  { from: 'CREATED', to: 'ACTIVATION_FAILED', on: 'activationFailed', why: 'the activation failed' },
  {
    from: 'ACTIVE',
    to: 'ACTIVATION_FAILED',
    on: 'activationFailed',
    why: 'the activation failed after ACTIVE was recorded alongside it: the failure is written last',
  },
  {
    from: 'ACTIVATION_FAILED',
    to: 'ACTIVATION_FAILED',
    on: 'activationFailed',
    why: 'the retry failed to activate again',
  },
  {
    from: 'ACTIVE',
    to: 'ACTIVE',
    on: 'duplicateCreate',
    why: 'a CreateTable delivered again for a table already backed up: nothing is written',
  },
  {
    from: 'ACTIVE',
    to: 'ACTIVE',
    on: 'recreated',
    why: 'a CreateTable of a newer incarnation (its table deleted and created again before the DeleteTable arrived): the record takes its tableId, the backup resource (which names the table, not the incarnation) stays',
  },
  {
    from: 'OFFBOARDED',
    to: 'OFFBOARDED',
    on: 'staleCreate',
    why: 'a CreateTable of the incarnation deleted, or older than the DeleteTable recorded: ignored, the lease released',
  },
  {
    from: 'CREATED',
    to: 'CREATED',
    on: 'staleCreate',
    why: 'a CreateTable of an older incarnation than the record holds: ignored, the lease released',
  },
  {
    from: 'ACTIVE',
    to: 'ACTIVE',
    on: 'staleCreate',
    why: 'a CreateTable of an older incarnation than the record holds: nothing is written',
  },
  {
    from: 'ACTIVATION_FAILED',
    to: 'ACTIVATION_FAILED',
    on: 'staleCreate',
    why: 'a CreateTable of an older incarnation than the record holds: ignored, the lease released',
  },
  {
    from: 'PENDING',
    to: 'OFFBOARDED',
    on: 'deletedBeforeBackup',
    why: 'a DeleteTable for a table with no backup resource (never onboarded): its time is kept',
  },
  {
    from: 'CREATED',
    to: 'OFFBOARDED',
    on: 'offboarded',
    why: 'DeleteTable of the incarnation the record holds: the backup resource removed, the backups kept',
  },
  {
    from: 'ACTIVE',
    to: 'OFFBOARDED',
    on: 'offboarded',
    why: 'DeleteTable of the incarnation the record holds: the backup resource removed, the backups kept',
  },
  {
    from: 'ACTIVATION_FAILED',
    to: 'OFFBOARDED',
    on: 'offboarded',
    why: 'DeleteTable of the incarnation the record holds: the backup resource removed, the backups kept',
  },
  {
    from: 'CREATED',
    to: 'CREATED',
    on: 'staleDelete',
    why: 'a DeleteTable of an older incarnation (late, redriven, or racing a re-create): ignored, the backup kept',
  },
  {
    from: 'ACTIVE',
    to: 'ACTIVE',
    on: 'staleDelete',
    why: 'a DeleteTable of an older incarnation (late, redriven, or racing a re-create): ignored, the backup kept',
  },
  {
    from: 'ACTIVATION_FAILED',
    to: 'ACTIVATION_FAILED',
    on: 'staleDelete',
    why: 'a DeleteTable of an older incarnation (late, redriven, or racing a re-create): ignored, the backup kept',
  },
  {
    from: 'OFFBOARDED',
    to: 'OFFBOARDED',
    on: 'duplicateDelete',
    why: 'a DeleteTable delivered again, or of another deleted incarnation: the latest DeleteTable (time and tableId) is kept',
  },
];

/** A move to hand to the registry: it writes `to` only while the record is in one of `from`. */
export interface Step {
  on: LifecycleEvent;
  from: readonly TableStatus[];
  to: TableStatus;
}

/**
 * The statuses `on` starts from, and the one it leads to. Only an event that leads every start to
 * one status can be written; one that leaves each status as it was (a stale event) writes no status.
 */
export function step(on: LifecycleEvent): Step {
  const moves = TRANSITIONS.filter((t) => t.on === on);
  if (new Set(moves.map((t) => t.to)).size !== 1) throw new IllegalTransitionError('any status', on);
  return {
    on,
    from: moves.map((t) => t.from).filter((f): f is TableStatus => f !== NO_RECORD),
    to: (moves[0] as Transition).to,
  };
}

/** The status `on` moves a table in `from` to; IllegalTransitionError when the lifecycle has no such move. */
export function transition(from: TableStatus | undefined, on: LifecycleEvent): TableStatus {
  const start = from ?? NO_RECORD;
  const move = TRANSITIONS.find((t) => t.from === start && t.on === on);
  if (move === undefined) throw new IllegalTransitionError(start, on);
  return move.to;
}

/** Onboarding takes the lease of a table in any of these statuses; an ACTIVE one is left alone (a duplicate CreateTable). */
export const ONBOARDING_CLAIMS: readonly TableStatus[] = ['PENDING', 'CREATED', 'ACTIVATION_FAILED', 'OFFBOARDED'];

/** Statuses in which the table's backup resource should exist (what the health check looks at). */
export const WITH_BACKUP_RESOURCE: readonly TableStatus[] = ['CREATED', 'ACTIVE', 'ACTIVATION_FAILED'];

/**
 * A table's incarnation as an event tells it. CloudTrail's CreateTable and DeleteTable responses
 * carry the table's `tableId`; a table deleted and created again under the same name gets a new
 * one. Events without one (AWS's own 2015 sample) are ordered by their time alone.
 */
export interface Incarnation {
  tableId?: string;
  eventTime?: string;
}

const at = (iso: string) => Date.parse(iso);
const differentIds = (record: Pick<TableRecord, 'tableId'>, e: Incarnation) =>
  record.tableId !== undefined && e.tableId !== undefined && record.tableId !== e.tableId;

/**
 * What a CreateTable means for the table's record: `stale` (of the incarnation deleted, or of one
 * older than the record holds), `newer` (of a later incarnation than the record holds, whose
 * DeleteTable has not been seen), or `current` (no record, the record's own incarnation, or one
 * that cannot be told apart: the event times decide, as they did before tableIds).
 */
export function judgeCreate(
  record: Pick<TableRecord, 'status' | 'tableId' | 'createdEventTime' | 'deletedEventTime'> | undefined,
  e: Incarnation,
): 'stale' | 'newer' | 'current' {
  if (record === undefined) return 'current';
  if (record.status === 'OFFBOARDED') {
    if (record.tableId !== undefined && e.tableId === record.tableId) return 'stale';
    if (
      e.eventTime !== undefined &&
      record.deletedEventTime !== undefined &&
      at(e.eventTime) <= at(record.deletedEventTime)
    )
      return 'stale';
    return 'current';
  }
  if (!differentIds(record, e)) return 'current';
  if (
    e.eventTime !== undefined &&
    record.createdEventTime !== undefined &&
    at(e.eventTime) < at(record.createdEventTime)
  )
    return 'stale';
  return 'newer';
}

/**
 * What a DeleteTable means for a record whose backup resource exists: `current` when it deletes
 * the incarnation the record holds (or a later one: then no table of that name is left), `stale`
 * when it deletes an older one. A different tableId is stale unless the delete is later than the
 * record's CreateTable; without tableIds, a delete older than that CreateTable is stale.
 */
export function judgeDelete(
  record: Pick<TableRecord, 'status' | 'tableId' | 'createdEventTime'>,
  e: Incarnation,
): 'stale' | 'current' {
  if (!WITH_BACKUP_RESOURCE.includes(record.status)) return 'current';
  if (record.tableId !== undefined && e.tableId === record.tableId) return 'current';
  const later =
    e.eventTime !== undefined && record.createdEventTime !== undefined && at(e.eventTime) > at(record.createdEventTime);
  if (differentIds(record, e)) return later ? 'current' : 'stale';
  if (
    e.eventTime !== undefined &&
    record.createdEventTime !== undefined &&
    at(e.eventTime) < at(record.createdEventTime)
  )
    return 'stale';
  return 'current';
}

/** The later of two event times (either may be missing). */
export function laterTime(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return at(b) > at(a) ? b : a;
}

/** A table deleted and created again is a new generation: its backup resource is made anew. */
export function isReborn(record: Pick<TableRecord, 'status'>): boolean {
  return record.status === 'OFFBOARDED';
}

/** A table's record in the registry. */
export interface TableRecord {
  pk: string;
  accountId: string;
  region: string;
  tableName: string;
  tableArn: string;
  status: TableStatus;
  /** Times this table was claimed (1 on the first attempt). */
  attempts: number;
  /** Incremented each time a deleted table of the same name is onboarded again. */
  generation: number;
  /** The engine's backup resource (for Data Pipeline: the pipeline) and where it lives. */
  pipelineId?: string;
  pipelineRegion?: string;
  uniqueId?: string;
  leaseOwner?: string;
  leaseExpiresAt?: number;
  createdAt: string;
  updatedAt: string;
  activatedAt?: string;
  offboardedAt?: string;
  /**
   * The incarnation the record holds (CloudTrail's `tableId`): the one backed up, or, once
   * OFFBOARDED, the one deleted last. Absent when no event carried it (backfill, older events).
   */
  tableId?: string;
  /** CloudTrail time of the CreateTable of the incarnation backed up: an older DeleteTable is stale. */
  createdEventTime?: string;
  /** CloudTrail time of the latest DeleteTable seen: an older CreateTable is stale. */
  deletedEventTime?: string;
  lastError?: string;
  /** The table's key schema, from its CreateTable event (what a restore recreates). */
  keySchema?: KeyAttribute[];
  /** The engine that made the backup resource (absent: Data Pipeline, the first engine). */
  engine?: BackupEngineName;
  /** The table's shape as DescribeTable told it at onboarding (native engine): what ImportTable recreates. */
  shape?: TableShape;
  /** True when the product turned point-in-time recovery on for the table (native engine): it was off before. */
  pitrEnabledByProduct?: boolean;
  /** The table's latest restore drill (written by the drill alone, through TableRegistry.recordDrill). */
  drill?: DrillRecord;
}

/** A table's definition as DescribeTable tells it, in the API's own names: what a restore by ImportTable creates again. */
export interface TableShape {
  attributeDefinitions: Array<{ AttributeName: string; AttributeType: string }>;
  keySchema: Array<{ AttributeName: string; KeyType: string }>;
  globalSecondaryIndexes: Array<{
    IndexName: string;
    KeySchema: Array<{ AttributeName: string; KeyType: string }>;
    Projection: { ProjectionType?: string; NonKeyAttributes?: string[] };
    ProvisionedThroughput?: { ReadCapacityUnits: number; WriteCapacityUnits: number };
  }>;
  /** Names of the local secondary indexes: ImportTable cannot create them. */
  localSecondaryIndexes: string[];
  billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
  provisionedThroughput?: { ReadCapacityUnits: number; WriteCapacityUnits: number };
}

/** The fields a use case may write on a claimed record; the status moves only through a Step, the lease only through the registry. */
export type RecordFields = Partial<Omit<TableRecord, 'pk' | 'status' | 'leaseOwner' | 'leaseExpiresAt'>>;
