import {
  type AttributeDefinition,
  type AttributeValue,
  BatchWriteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  paginateScan,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';

/**
 * Items of every DynamoDB attribute type, a writer and a comparer: what a backup round trip
 * (write, export, import, compare) needs. Items stay marshalled AttributeValues throughout, so
 * that no number passes through a JS number and loses its digits.
 */
export type Item = Record<string, AttributeValue>;

/** The key of the tables these items go in: a string partition key `pk`. */
export const ITEMS_KEY: { KeySchema: KeySchemaElement[]; AttributeDefinitions: AttributeDefinition[] } = {
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
};

const bytes = (...b: number[]) => Uint8Array.from(b);
const every256 = Uint8Array.from({ length: 256 }, (_, i) => i);

/**
 * One item per attribute type and edge the DynamoDB developer guide lists
 * (HowItWorks.NamingRulesDataTypes): numbers at the limits of their 38 digits of precision and
 * their range, negatives and zero; binary with every byte value; empty strings, binaries, lists and
 * maps (allowed outside keys; empty sets are not allowed at all); nested lists and maps of every type.
 * A fresh copy on every call.
 */
export function itemsOfEveryType(): Item[] {
  const nested: Item = {
    s: { S: 'inner' },
    n: { N: '-0.5' },
    b: { B: bytes(0, 255) },
    bool: { BOOL: false },
    null: { NULL: true },
    ss: { SS: ['x', 'y'] },
    ns: { NS: ['1', '-1'] },
    bs: { BS: [bytes(1), bytes(2)] },
    l: { L: [{ S: 'deep' }, { M: { deeper: { L: [{ N: '3' }, { NULL: true }] } } }] },
  };
  return [
    { pk: { S: 'string' }, v: { S: 'plain ASCII text' } },
    { pk: { S: 'string-unicode' }, v: { S: 'ünïcödé — 日本語 — emoji 🎉 — tab\tnewline\nquote"backslash\\' } },
    { pk: { S: 'string-empty' }, v: { S: '' } },
    { pk: { S: 'number-integer' }, v: { N: '42' } },
    { pk: { S: 'number-negative' }, v: { N: '-17.25' } },
    { pk: { S: 'number-zero' }, v: { N: '0' } },
    { pk: { S: 'number-38-digits' }, v: { N: '12345678901234567890123456789012345678' } },
    { pk: { S: 'number-38-digits-negative-fraction' }, v: { N: '-0.12345678901234567890123456789012345678' } },
    { pk: { S: 'number-largest' }, v: { N: '9.9999999999999999999999999999999999999E+125' } },
    { pk: { S: 'number-smallest-positive' }, v: { N: '1E-130' } },
    { pk: { S: 'number-beyond-double' }, v: { N: '9007199254740993' } },
    { pk: { S: 'binary' }, v: { B: every256 } },
    { pk: { S: 'binary-empty' }, v: { B: new Uint8Array(0) } },
    { pk: { S: 'boolean-true' }, v: { BOOL: true } },
    { pk: { S: 'boolean-false' }, v: { BOOL: false } },
    { pk: { S: 'null' }, v: { NULL: true } },
    { pk: { S: 'list' }, v: { L: [{ S: 'a' }, { N: '1' }, { BOOL: true }, { NULL: true }, { B: bytes(7) }] } },
    { pk: { S: 'list-empty' }, v: { L: [] } },
    { pk: { S: 'map-nested' }, v: { M: { ...nested, m: { M: nested } } } },
    { pk: { S: 'map-empty' }, v: { M: {} } },
    { pk: { S: 'string-set' }, v: { SS: ['banana', 'apple', 'cherry', ''] } },
    { pk: { S: 'number-set' }, v: { NS: ['3', '-1', '0.5', '12345678901234567890123456789012345678'] } },
    { pk: { S: 'binary-set' }, v: { BS: [bytes(3), bytes(1, 2), bytes(0)] } },
    {
      pk: { S: 'every-type-at-once' },
      ...Object.fromEntries(Object.entries(nested).map(([k, v]) => [`a_${k}`, v])),
      a_m: { M: nested },
      a_empty_s: { S: '' },
    },
  ];
}

/**
 * Writes items with BatchWriteItem, 25 a request, sending unprocessed items again with
 * exponential backoff (as the API reference asks) until none are left. Returns the number written.
 */
export async function writeItems(
  client: DynamoDBClient,
  table: string,
  items: readonly Item[],
  { maxAttempts = 8, baseDelayMs = 50 }: { maxAttempts?: number; baseDelayMs?: number } = {},
): Promise<number> {
  for (let i = 0; i < items.length; i += 25) {
    let pending: WriteRequest[] = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > maxAttempts)
        throw new Error(`${pending.length} item(s) still unprocessed after ${maxAttempts} attempts`);
      if (attempt > 1) await new Promise((r) => setTimeout(r, baseDelayMs * 2 ** (attempt - 2)));
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
      pending = out.UnprocessedItems?.[table] ?? [];
    }
  }
  return items.length;
}

/** An item in a form where equal items are equal strings: map keys sorted, sets order-insensitive, binaries base64. */
function canonical(value: AttributeValue): unknown {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: b64(value.B) };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.SS !== undefined) return { SS: [...value.SS].sort() };
  if (value.NS !== undefined) return { NS: [...value.NS].sort() };
  if (value.BS !== undefined) return { BS: value.BS.map(b64).sort() };
  if (value.L !== undefined) return { L: value.L.map(canonical) };
  if (value.M !== undefined) return { M: canonicalItem(value.M) };
  throw new Error(`unknown attribute value: ${JSON.stringify(value)}`);
}

function canonicalItem(item: Item): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(item)
      .sort()
      .map((k) => [k, canonical(item[k] as AttributeValue)]),
  );
}

export interface TableDifference {
  /** Keys (canonical JSON) in the expected table only. */
  missing: string[];
  /** Keys in the actual table only. */
  unexpected: string[];
  /** Items under the same key that differ, both sides canonical. */
  changed: Array<{ key: string; expected: unknown; actual: unknown }>;
  /** Items compared on each side. */
  counts: { expected: number; actual: number };
}

/** Every item of a table, by the canonical JSON of its key. */
async function scanTable(client: DynamoDBClient, table: string): Promise<Map<string, Item>> {
  const described = await client.send(new DescribeTableCommand({ TableName: table }));
  const keyNames = (described.Table?.KeySchema ?? []).map((k) => k.AttributeName as string);
  const items = new Map<string, Item>();
  for await (const page of paginateScan({ client }, { TableName: table, ConsistentRead: true })) {
    for (const item of page.Items ?? []) {
      const key = JSON.stringify(
        canonicalItem(Object.fromEntries(keyNames.map((k) => [k, item[k] as AttributeValue]))),
      );
      items.set(key, item);
    }
  }
  return items;
}

/**
 * Scans two tables and says exactly how the second differs from the first: keys missing or
 * unexpected, and items whose attributes differ (as marshalled AttributeValues). Equal tables
 * give empty lists.
 */
export async function compareTables(
  expected: { client: DynamoDBClient; table: string },
  actual: { client: DynamoDBClient; table: string },
): Promise<TableDifference> {
  const [want, got] = await Promise.all([
    scanTable(expected.client, expected.table),
    scanTable(actual.client, actual.table),
  ]);
  const difference: TableDifference = {
    missing: [...want.keys()].filter((k) => !got.has(k)).sort(),
    unexpected: [...got.keys()].filter((k) => !want.has(k)).sort(),
    changed: [],
    counts: { expected: want.size, actual: got.size },
  };
  for (const [key, item] of [...want].sort(([a], [b]) => a.localeCompare(b))) {
    const other = got.get(key);
    if (other === undefined) continue;
    const [e, a] = [canonicalItem(item), canonicalItem(other)];
    if (JSON.stringify(e) !== JSON.stringify(a)) difference.changed.push({ key, expected: e, actual: a });
  }
  return difference;
}
