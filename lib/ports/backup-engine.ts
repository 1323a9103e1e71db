import type { Config } from '../config';
import type { JsonItem } from '../domain/drill';
import type { CompleteBackup, StoredObject } from '../domain/freshness';
import type { RecordFields, TableRecord } from '../domain/lifecycle';
import type { WriterAccess } from '../domain/policy';
import type { Snapshot, SnapshotListing } from '../domain/snapshots';
import type { TableRef } from '../domain/table-ref';
import type { Telemetry } from '../observability';
import type { BackupBucket } from './bucket-policy-store';
import type { BackupFiles } from './drill';

/**
 * The thing that takes a table's nightly backup. The use cases (onboard, offboard, backfill,
 * health, restore, and the grant through `writerAccess`) speak to this port only; each engine
 * owns its definition, its API calls and the S3 access its writers need.
 * Implementations: lib/backup-engines/datapipeline/ (the first); test/support/fakes/backup-engine.ts.
 */

/** The engines there are, by the name a configuration would choose one with. */
export type BackupEngineName = 'datapipeline' | 'native';

/** The engine that made a record's backup resource: the record says, and a record that does not is Data Pipeline's (the first engine). */
export function recordEngine(record: Pick<TableRecord, 'engine'>): BackupEngineName {
  return record.engine ?? 'datapipeline';
}

/** The settings an engine reads, handed in with each call (the alarm topic is known only once a function is invoked). */
export type EngineSettings = Pick<
  Config,
  | 'backupBucket'
  | 'backupTimeUtc'
  | 'readThroughputRatio'
  | 'alarmTopicArn'
  | 'pipelineRegion'
  | 'pipelineRoles'
  | 'pipelineInstanceType'
> &
  /** The native engine's (it refuses to run without them; Config always has them). */
  Partial<
    Pick<Config, 'backupAccountId' | 'scheduleGroup' | 'exportSchedulerRole' | 'exportDlqName' | 'exportWindowMinutes'>
  >;

/** Where a table's backup resource would live, or why it cannot be backed up here. */
export type Placement = { region: string } | { region?: undefined; unsupported: string };

type Log = Pick<Telemetry, 'warn'>;

/** The table's registry record as claimed by the worker, and how the engine records its progress on it while the claim is held. */
export interface ClaimedTable {
  record: TableRecord;
  /** Records the backup resource made (or found): resolves false when the lease was lost. */
  recordCreated(
    fields: Required<Pick<RecordFields, 'pipelineId' | 'pipelineRegion' | 'uniqueId' | 'generation'>> &
      Pick<RecordFields, 'engine' | 'shape' | 'pitrEnabledByProduct'>,
  ): Promise<boolean>;
  /** Records facts learnt on the way (no status change) while the claim is held: resolves false when the lease was lost. */
  note?(fields: Pick<RecordFields, 'pitrEnabledByProduct' | 'shape'>): Promise<boolean>;
  /** Records the table as backed up; the engine runs it alongside its activation (a failed activation is recorded after both settle). */
  markActive(resourceId: string): Promise<unknown>;
}

/** A table's backup, checked and built offline, ready to be brought into being. */
export interface PreparedBackup {
  /** Where the backup resource lives (Data Pipeline: the pipeline's region). */
  readonly region: string;
  /** Fetches what the first call needs (credentials) ahead of it, so that it overlaps the claim; a failure surfaces in `ensure`. */
  warm(): Promise<void>;
  /**
   * Finds or makes, defines and activates the table's backup resource. Idempotent across retries:
   * the resource recorded in the claimed record is reused, and one an attempt that died before
   * recording it made is found again. Throws ActivationFailedError when only the activation failed.
   */
  ensure(claim: ClaimedTable, log: Log): Promise<{ resourceId: string; created: boolean }>;
}

/** What the health check is told about one registered table's backup resource. */
export interface BackupHealth {
  status: 'ok' | 'error' | 'not-scheduled' | 'vanished';
  state?: string;
  health?: string;
  latestRunTime?: string;
  nextRunTime?: string;
  /** For an engine whose runs the health check can read (native export): the newest run, and the newest that completed. */
  runs?: BackupRuns;
  /** Why the status is 'error', in words (native: the schedule's fields that differ from the product's definition). */
  error?: string;
}

/** What an engine tells of a table's recent backups (native export: ListExports / DescribeExport). */
export interface BackupRuns {
  newest?: { id: string; status: string; time?: string; itemCount?: number; sizeBytes?: number; failure?: string };
  /** When the newest completed backup was taken (ISO 8601), if any is known. */
  newestCompletedTime?: string;
}

/** The backup resources of one account and region, whoever made them. */
export interface BackupInventory {
  /** How many there are (they count against the engine's quota). */
  count: number;
  /** Whether one of them backs up this table already (the registry lost, or made by an earlier version). */
  covers(tableArn: string): boolean;
  /** False when the engine's resources have no quota worth planning for (Scheduler: a million schedules per region). */
  bounded?: boolean;
}

/** What the report asks an engine for the newest complete backups of the tables of one account and region with. */
export interface NewestBackupsQuery {
  bucket: string;
  accountId: string;
  /** The tables' region (where their backups are filed: ACCOUNT/REGION/TABLE/). */
  region: string;
  records: readonly TableRecord[];
  /** The objects under ACCOUNT/REGION/ of the backup bucket: one listing for all the tables, made only when asked. */
  objects(): Promise<readonly StoredObject[]>;
}

/** What restore asks an engine for a table's snapshots with. */
export interface SnapshotQuery {
  bucket: string;
  table: TableRef;
  /** The table's registry record, when it has one. */
  record?: TableRecord;
  /** The keys under the table's prefix of the backup bucket (listed only when asked). */
  keys(): Promise<readonly string[]>;
}

/** What an earlier restore into the same target table left. */
export type RestoreFound =
  | { kind: 'none' }
  /** The same request (same target, same snapshot), started: nothing more to do. */
  | { kind: 'started'; resourceId: string; state?: string }
  /** The same request, made but never started (its attempt died): `start` resumes it. */
  | { kind: 'unfinished'; resourceId: string }
  /** Another request into the same target that may still be running: in words, for the refusal. */
  | { kind: 'other'; description: string };

export interface RestoreRequest {
  source: TableRef;
  target: TableRef;
  snapshot: Snapshot;
  /** The source table's registry record, when it has one. */
  record?: TableRecord;
  /**
   * The backup bucket through the snapshot-reader role: an engine that is given it checks the snapshot's files
   * before restoring them (native: the export is the table's, in the backup bucket, unaltered since it was written).
   */
  bucket?: BackupBucket;
}

/** A restore, checked and built offline. */
export interface PreparedRestore {
  /** Where the restore runs (Data Pipeline: the import pipeline's region). */
  readonly region: string;
  /** True when the restore creates its target table itself (ImportTable), which must then not exist; else the use case makes or tags it. */
  readonly createsTarget?: boolean;
  find(): Promise<RestoreFound>;
  /** Makes (or, given `resume`, reuses) the restore's resource and starts it; resolves its id. */
  start(resume?: string): Promise<string>;
  /** The state of a restore this engine started, when the engine can tell it (native: DescribeImport's status). */
  state?(resourceId: string): Promise<string | undefined>;
}

/** What a restore drill compares the restored table with, read from the backup's own files. */
export interface BackupContents {
  /** The number of items the backup holds, as its manifest says. */
  itemCount: number;
  /** Items of the backup (DynamoDB JSON), at most the number asked for. */
  sample: JsonItem[];
}

export interface ContentsQuery {
  source: TableRef;
  /** The table's registry record (a router picks the engine by it). */
  record?: TableRecord;
  snapshot: Snapshot;
  /** The source account's prefix of the backup bucket, read with the drill's access. */
  files: BackupFiles;
  sampleSize: number;
}

export interface BackupEngine {
  readonly name: BackupEngineName;
  /** What the engine's writers do in their account's prefix of the backup bucket: the bucket policy grants exactly this. */
  readonly writerAccess: WriterAccess;
  /** `accountId` lets a router pick the account's engine; an engine itself may ignore it. */
  placement(tableRegion: string, settings: EngineSettings, accountId?: string): Placement;
  /** Checks and builds the table's backup offline; throws (ConfigError, PipelineDefinitionError) before any call when it cannot be made. */
  prepare(table: TableRef, settings: EngineSettings, now: Date): PreparedBackup;
  /** Stops and removes the table's backup resource; its backups stay. A resource already gone is not an error. */
  remove(record: TableRecord & { pipelineId: string }, log: Log): Promise<{ deactivation: 'done' | 'failed' }>;
  /** The health of the backup resources of `records`, all in one account and region; one entry per record, in order. */
  health(
    accountId: string,
    region: string,
    records: readonly TableRecord[],
    /** The settings the resources were made with: an engine that is given them compares each resource with its definition. */
    settings?: EngineSettings,
  ): Promise<BackupHealth[]>;
  inventory(accountId: string, region: string): Promise<BackupInventory>;
  /** A table's snapshots, newest first (Data Pipeline: read from the keys under its prefix of the backup bucket). */
  snapshots(query: SnapshotQuery): Promise<SnapshotListing>;
  /** Checks and builds a restore offline; throws before any call when it cannot be made. */
  prepareRestore(request: RestoreRequest, settings: EngineSettings): PreparedRestore;
  /**
   * The newest complete backup of each of `query.records`, one entry per record, in order (undefined: none).
   * Data Pipeline: the newest run folder holding a manifest, from the one listing `query.objects()`; native: the
   * newest COMPLETED full export (ListExports, DescribeExport).
   */
  newestBackups(query: NewestBackupsQuery): Promise<Array<CompleteBackup | undefined>>;
  /**
   * A snapshot's item count and a sample of its items, read from its files (native: the export's manifests and data
   * files); undefined when the engine cannot tell them (Data Pipeline's manifest counts no items).
   */
  contents?(query: ContentsQuery): Promise<BackupContents | undefined>;
}
