import {
  type AttributeValue,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  ResourceNotFoundException,
  ScanCommand,
  TagResourceCommand,
} from '@aws-sdk/client-dynamodb';
import type { JsonItem } from '../domain/drill';
import type { KeyAttribute } from '../domain/table-ref';
import type { ScratchTables } from '../ports/drill';
import { createOnDemandTable } from './source-tables';

/** DynamoDB JSON as an export writes it (binary as base64) from the SDK's AttributeValue (binary as bytes). */
function toJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toJson);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, toJson(v)]),
  );
}

/** The SDK's AttributeValue from DynamoDB JSON (binary from base64). */
function fromJson(value: unknown, key?: string): unknown {
  if ((key === 'B' && typeof value === 'string') || (key === 'BS-item' && typeof value === 'string'))
    return Buffer.from(value, 'base64');
  if (Array.isArray(value)) return value.map((v) => fromJson(v, key === 'BS' ? 'BS-item' : undefined));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromJson(v, k)]));
}

/** A source account's scratch tables (through its drill role). */
export class DynamoScratchTables implements ScratchTables {
  constructor(private readonly client: DynamoDBClient) {}

  async describe(tableName: string): Promise<{ status?: string; tableArn: string } | undefined> {
    try {
      const out = await this.client.send(new DescribeTableCommand({ TableName: tableName }));
      return { status: out.Table?.TableStatus, tableArn: out.Table?.TableArn as string };
    } catch (e) {
      if (e instanceof ResourceNotFoundException) return undefined;
      throw e;
    }
  }

  async create(tableName: string, keySchema: readonly KeyAttribute[], tags: Record<string, string>): Promise<void> {
    await createOnDemandTable(this.client, tableName, keySchema, tags);
  }

  async count(tableName: string): Promise<number> {
    let count = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.client.send(
        new ScanCommand({ TableName: tableName, Select: 'COUNT', ExclusiveStartKey: start }),
      );
      count += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return count;
  }

  async getItem(tableName: string, key: JsonItem): Promise<JsonItem | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: fromJson(key) as Record<string, AttributeValue>,
        ConsistentRead: true,
      }),
    );
    return out.Item === undefined ? undefined : (toJson(out.Item) as JsonItem);
  }

  async tag(tableArn: string, tags: Record<string, string>): Promise<void> {
    await this.client.send(
      new TagResourceCommand({
        ResourceArn: tableArn,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
  }

  async delete(tableName: string): Promise<boolean> {
    try {
      await this.client.send(new DeleteTableCommand({ TableName: tableName }));
      return true;
    } catch (e) {
      if (e instanceof ResourceNotFoundException) return false;
      throw e;
    }
  }
}
