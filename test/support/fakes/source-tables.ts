import type { KeyAttribute } from '../../../lib/domain/table-ref';
import type { SourceTables, SourceTablesOf } from '../../../lib/ports/source-tables';

interface Table {
  keySchema: KeyAttribute[];
  items: number;
  tags: Record<string, string>;
}

/** The source accounts' tables in memory, per account and region; a place can be made unreachable. */
export class FakeSourceAccounts {
  private readonly places = new Map<string, Map<string, Table>>();
  private readonly unreachable = new Map<string, Error>();
  /** Tables created through the port (a restore's target), as `account/region/table`. */
  readonly created: string[] = [];

  /** Each table's incarnation (DynamoDB's TableId, a fresh one per table added or created) and status, as DescribeTable tells them. */
  private readonly described = new Map<Table, { tableId: string; status: string; createdAt?: string }>();
  /** Every DescribeTable and ListTagsOfResource asked, as `describe account/region/table` and `tags …`. */
  readonly reads: string[] = [];

  add(
    accountId: string,
    region: string,
    tableName: string,
    { status, createdAt, ...table }: Partial<Table> & { status?: string; createdAt?: string } = {},
  ): void {
    const t: Table = { keySchema: [{ name: 'pk', type: 'S', keyType: 'HASH' }], items: 0, tags: {}, ...table };
    this.described.set(t, { tableId: this.newTableId(), status: status ?? 'ACTIVE', createdAt });
    this.place(accountId, region).set(tableName, t);
  }

  table(accountId: string, region: string, tableName: string): Table | undefined {
    return this.place(accountId, region).get(tableName);
  }

  /** Every call in this account and region fails with `error` (e.g. the source role cannot be assumed). */
  breakPlace(accountId: string, region: string, error: Error): void {
    this.unreachable.set(`${accountId}/${region}`, error);
  }

  readonly of: SourceTablesOf = (accountId, region) => {
    const tables = this.place(accountId, region);
    const reach = () => {
      const error = this.unreachable.get(`${accountId}/${region}`);
      if (error !== undefined) throw error;
    };
    const port: SourceTables = {
      listNames: async () => {
        reach();
        return [...tables.keys()].sort();
      },
      describe: async (name) => {
        this.reads.push(`describe ${accountId}/${region}/${name}`);
        reach();
        const t = tables.get(name);
        return t === undefined ? undefined : { keySchema: structuredClone(t.keySchema), ...this.described.get(t) };
      },
      hasItems: async (name) => {
        reach();
        return (tables.get(name)?.items ?? 0) > 0;
      },
      create: async (name, keySchema, tags) => {
        reach();
        if (tables.has(name))
          throw Object.assign(new Error(`Table already exists: ${name}`), { name: 'ResourceInUseException' });
        const t: Table = { keySchema: [...keySchema], items: 0, tags: { ...tags } };
        this.described.set(t, { tableId: this.newTableId(), status: 'ACTIVE' });
        tables.set(name, t);
        this.created.push(`${accountId}/${region}/${name}`);
      },
      tags: async (arn) => {
        this.reads.push(`tags ${accountId}/${region}/${arn.slice(arn.indexOf(':table/') + 7)}`);
        reach();
        return { ...(tables.get(arn.slice(arn.indexOf(':table/') + 7))?.tags ?? {}) };
      },
      tag: async (arn, tags) => {
        reach();
        const t = tables.get(arn.slice(arn.indexOf(':table/') + 7));
        if (t === undefined)
          throw Object.assign(new Error(`Requested resource not found: ${arn}`), { name: 'ResourceNotFoundException' });
        Object.assign(t.tags, tags);
      },
    };
    return port;
  };

  private ids = 0;
  private newTableId(): string {
    return `00000000-0000-4000-8000-${String(++this.ids).padStart(12, '0')}`;
  }

  private place(accountId: string, region: string): Map<string, Table> {
    const key = `${accountId}/${region}`;
    let tables = this.places.get(key);
    if (tables === undefined) {
      tables = new Map();
      this.places.set(key, tables);
    }
    return tables;
  }
}
