import type { KeyAttribute } from '../domain/table-ref';

/** The DynamoDB tables of one source account in one region, through the source role. Adapter: lib/adapters/source-tables.ts. */
export interface SourceTables {
  listNames(): Promise<string[]>;
  /** The table's key schema, status, incarnation (TableId) and creation time (ISO), or undefined when there is no such table. */
  describe(
    tableName: string,
  ): Promise<{ keySchema: KeyAttribute[]; status?: string; tableId?: string; createdAt?: string } | undefined>;
  /** Whether the table holds at least one item. */
  hasItems(tableName: string): Promise<boolean>;
  /** Creates an on-demand table with this key schema, and waits until it is ACTIVE. */
  create(tableName: string, keySchema: readonly KeyAttribute[], tags: Record<string, string>): Promise<void>;
  tags(tableArn: string): Promise<Record<string, string>>;
  /** Adds (or overwrites) these tags on the table. */
  tag(tableArn: string, tags: Record<string, string>): Promise<void>;
}

/** The source tables of an account and region. */
export type SourceTablesOf = (accountId: string, region: string) => SourceTables;
