import type { JsonItem } from '../domain/drill';
import type { KeyAttribute } from '../domain/table-ref';

/**
 * What a restore drill touches in a source account, through the account's drill role (which
 * writes, reads and deletes only tables named ddb-backup-drill-*, and reads the account's own
 * prefix of the backup bucket). Adapters: lib/adapters/scratch-tables.ts, lib/adapters/backup-files.ts.
 */
export interface ScratchTables {
  /** The table's status and ARN, or undefined when there is no such table. */
  describe(tableName: string): Promise<{ status?: string; tableArn: string } | undefined>;
  /** Creates an on-demand table (an engine whose restore writes into a table that exists), ACTIVE when it resolves. */
  create(tableName: string, keySchema: readonly KeyAttribute[], tags: Record<string, string>): Promise<void>;
  /** The number of items (a Scan with Select COUNT, every page). */
  count(tableName: string): Promise<number>;
  /** One item by its key (consistent read), in DynamoDB JSON, or undefined. */
  getItem(tableName: string, key: JsonItem): Promise<JsonItem | undefined>;
  tag(tableArn: string, tags: Record<string, string>): Promise<void>;
  /** Deletes the table; resolves false when there was none. */
  delete(tableName: string): Promise<boolean>;
}

export type ScratchTablesOf = (accountId: string, region: string) => ScratchTables;

/** A source account's own prefix of the backup bucket, read-only. */
export interface BackupFiles {
  /** The object's bytes (at most the first `maxBytes`), or undefined when there is no such object. */
  read(key: string, maxBytes?: number): Promise<Uint8Array | undefined>;
  listKeys(prefix: string): Promise<string[]>;
}

export type BackupFilesOf = (accountId: string) => BackupFiles;
