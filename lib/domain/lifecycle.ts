import { IllegalTransitionError } from '../errors';
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
  | 'duplicateDelete';

export interface Transition {
  from: TableStatus | typeof NO_RECORD;
  to: TableStatus;
  on: LifecycleEvent;
  /** What makes the move, in words. */
  why: string;
}

export const TRANSITIONS: readonly Transition[] = [
  { from: NO_RECORD, to: 'PENDING', on: 'claimed', why: 'the first CreateTable or DeleteTable seen for the table: its record is made, leased by the worker' },
  { from: 'PENDING', to: 'CREATED', on: 'backupCreated', why: 'the engine made the backup resource (or found the one an attempt that died had made)' },
  { from: 'OFFBOARDED', to: 'CREATED', on: 'reonboarded', why: 'the table was created again after its DeleteTable: a new generation, a new backup resource' },
  { from: 'CREATED', to: 'ACTIVE', on: 'activated', why: 'recorded alongside the activation' },
  { from: 'ACTIVATION_FAILED', to: 'ACTIVE', on: 'activated', why: 'the retry activated the same resource' },
  { from: 'CREATED', to: 'ACTIVATION_FAILED', on: 'activationFailed', why: 'the activation failed' },
  { from: 'ACTIVE', to: 'ACTIVATION_FAILED', on: 'activationFailed', why: 'the activation failed after ACTIVE was recorded alongside it: the failure is written last' },
  { from: 'ACTIVATION_FAILED', to: 'ACTIVATION_FAILED', on: 'activationFailed', why: 'the retry failed to activate again' },
  { from: 'ACTIVE', to: 'ACTIVE', on: 'duplicateCreate', why: 'a CreateTable delivered again for a table already backed up: nothing is written' },
  { from: 'OFFBOARDED', to: 'OFFBOARDED', on: 'staleCreate', why: 'a CreateTable older than the DeleteTable recorded: ignored, the lease released' },
  { from: 'PENDING', to: 'OFFBOARDED', on: 'deletedBeforeBackup', why: 'a DeleteTable for a table with no backup resource (never onboarded): its time is kept' },
  { from: 'CREATED', to: 'OFFBOARDED', on: 'offboarded', why: 'DeleteTable: the backup resource removed, the backups kept' },
  { from: 'ACTIVE', to: 'OFFBOARDED', on: 'offboarded', why: 'DeleteTable: the backup resource removed, the backups kept' },
  { from: 'ACTIVATION_FAILED', to: 'OFFBOARDED', on: 'offboarded', why: 'DeleteTable: the backup resource removed, the backups kept' },
  { from: 'OFFBOARDED', to: 'OFFBOARDED', on: 'duplicateDelete', why: 'a DeleteTable delivered again: the latest DeleteTable time is kept' },
];

/** A move to hand to the registry: it writes `to` only while the record is in one of `from`. */
export interface Step {
  on: LifecycleEvent;
  from: readonly TableStatus[];
  to: TableStatus;
}

/** The statuses `on` starts from, and the one it leads to (the same for every start: see the unit test). */
export function step(on: LifecycleEvent): Step {
  const moves = TRANSITIONS.filter((t) => t.on === on);
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
  /** CloudTrail time of the latest DeleteTable seen: an older CreateTable is stale. */
  deletedEventTime?: string;
  lastError?: string;
  /** The table's key schema, from its CreateTable event (what a restore recreates). */
  keySchema?: KeyAttribute[];
}

/** The fields a use case may write on a claimed record; the status moves only through a Step, the lease only through the registry. */
export type RecordFields = Partial<Omit<TableRecord, 'pk' | 'status' | 'leaseOwner' | 'leaseExpiresAt'>>;
