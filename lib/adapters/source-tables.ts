import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ListTagsOfResourceCommand,
  paginateListTables,
  ResourceNotFoundException,
  ScanCommand,
  TagResourceCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { KeyAttribute } from '../domain/table-ref';
import type { SourceTables } from '../ports/source-tables';

/** The tables of one source account in one region (through the source role). */
export class DynamoSourceTables implements SourceTables {
  constructor(private readonly client: DynamoDBClient) {}

  async listNames(): Promise<string[]> {
    const names: string[] = [];
    for await (const page of paginateListTables({ client: this.client }, {})) names.push(...(page.TableNames ?? []));
    return names;
  }

  /** The table's key schema, status and incarnation (TableId), or undefined when there is no such table. */
  async describe(
    tableName: string,
  ): Promise<{ keySchema: KeyAttribute[]; status?: string; tableId?: string; createdAt?: string } | undefined> {
    try {
      const out = await this.client.send(new DescribeTableCommand({ TableName: tableName }));
      const types = new Map((out.Table?.AttributeDefinitions ?? []).map((d) => [d.AttributeName, d.AttributeType]));
      const keySchema = (out.Table?.KeySchema ?? []).map((k) => ({
        name: k.AttributeName as string,
        type: types.get(k.AttributeName) as KeyAttribute['type'],
        keyType: k.KeyType as KeyAttribute['keyType'],
      }));
      return {
        keySchema,
        status: out.Table?.TableStatus,
        tableId: out.Table?.TableId,
        createdAt: out.Table?.CreationDateTime?.toISOString(),
      };
    } catch (e) {
      if (e instanceof ResourceNotFoundException) return undefined;
      throw e;
    }
  }

  /** Whether the table holds at least one item (a Scan of one item, not DescribeTable's six-hourly count). */
  async hasItems(tableName: string): Promise<boolean> {
    const out = await this.client.send(new ScanCommand({ TableName: tableName, Limit: 1, Select: 'COUNT' }));
    return (out.Count ?? 0) > 0 || out.LastEvaluatedKey !== undefined;
  }

  /** Creates an on-demand table with this key schema, and waits until it is ACTIVE. */
  async create(tableName: string, keySchema: readonly KeyAttribute[], tags: Record<string, string>): Promise<void> {
    await createOnDemandTable(this.client, tableName, keySchema, tags);
  }

  /** ListTagsOfResource has no SDK paginator: its NextToken loop is written out. */
  async tags(tableArn: string): Promise<Record<string, string>> {
    const tags: Record<string, string> = {};
    let token: string | undefined;
    do {
      const out = await this.client.send(new ListTagsOfResourceCommand({ ResourceArn: tableArn, NextToken: token }));
      for (const t of out.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
      token = out.NextToken;
    } while (token !== undefined);
    return tags;
  }

  async tag(tableArn: string, tags: Record<string, string>): Promise<void> {
    await this.client.send(
      new TagResourceCommand({
        ResourceArn: tableArn,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
  }
}

/** Creates an on-demand table with this key schema and tags, and waits until it is ACTIVE (a restore's or a drill's target). */
export async function createOnDemandTable(
  client: DynamoDBClient,
  tableName: string,
  keySchema: readonly KeyAttribute[],
  tags: Record<string, string>,
): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: keySchema.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
      KeySchema: keySchema.map((k) => ({ AttributeName: k.name, KeyType: k.keyType })),
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1 }, { TableName: tableName });
}
