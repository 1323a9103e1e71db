import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { KeyAttribute, TableRef } from '../domain/table-ref';

/**
 * The registry: one DynamoDB table (hash key `pk`, string) in the orchestrator's account holding
 *   TABLE#<account>#<region>#<table>  the catalog entry of a table, which doubles as a per-table
 *                                     lease so that concurrent deliveries make one pipeline;
 *   POLICY#<bucket>                   the set of accounts the bucket policy grants, and the lease
 *                                     that serializes writers of that policy.
 * Both kinds are permanent: a lease is a pair of attributes (owner, expiry) on the item, not an
 * item of its own, so nothing is left for DynamoDB TTL to sweep; the table keeps TTL on `ttl`
 * enabled for any lease item of its own a later feature may add.
 */

export type TableStatus = 'PENDING' | 'CREATED' | 'ACTIVE' | 'ACTIVATION_FAILED' | 'OFFBOARDED';

export interface TableRecord {
  pk: string;
  accountId: string;
  region: string;
  tableName: string;
  tableArn: string;
  status: TableStatus;
  /** Times this table was claimed for onboarding (1 on the first attempt). */
  attempts: number;
  /** Incremented each time a deleted table of the same name is onboarded again. */
  generation: number;
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

export type ClaimResult = { claimed: true; record: TableRecord } | { claimed: false; record: TableRecord | undefined };

export const tablePk = (t: Pick<TableRef, 'accountId' | 'region' | 'tableName'>) => `TABLE#${t.accountId}#${t.region}#${t.tableName}`;
export const policyPk = (bucket: string) => `POLICY#${bucket}`;

export class Registry {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async getTable(t: Pick<TableRef, 'accountId' | 'region' | 'tableName'>): Promise<TableRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: tablePk(t) }, ConsistentRead: true }));
    return out.Item as TableRecord | undefined;
  }

  /**
   * Takes the table's lease unless another live lease holds it or — unless `evenIfActive` —
   * the table is already ACTIVE. One round trip: the claim also returns the record.
   */
  async claimTable(t: TableRef, owner: string, leaseMs: number, opts: { evenIfActive?: boolean } = {}): Promise<ClaimResult> {
    const now = this.now();
    const iso = new Date(now).toISOString();
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: tablePk(t) },
          UpdateExpression:
            'SET accountId = :a, #region = :r, tableName = :t, tableArn = :arn, leaseOwner = :o, leaseExpiresAt = :exp, ' +
            '#status = if_not_exists(#status, :pending), attempts = if_not_exists(attempts, :zero) + :one, ' +
            'generation = if_not_exists(generation, :one), createdAt = if_not_exists(createdAt, :iso), updatedAt = :iso',
          ConditionExpression: opts.evenIfActive
            ? 'attribute_not_exists(pk) OR attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now'
            : 'attribute_not_exists(pk) OR (#status <> :active AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now))',
          ExpressionAttributeNames: { '#status': 'status', '#region': 'region' },
          ExpressionAttributeValues: {
            ':a': t.accountId,
            ':r': t.region,
            ':t': t.tableName,
            ':arn': t.tableArn,
            ':o': owner,
            ':exp': now + leaseMs,
            ':pending': 'PENDING',
            ...(opts.evenIfActive ? {} : { ':active': 'ACTIVE' }),
            ':zero': 0,
            ':one': 1,
            ':iso': iso,
            ':now': now,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { claimed: true, record: out.Attributes as TableRecord };
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      const record = e.Item !== undefined ? (unmarshall(e.Item) as TableRecord) : await this.getTable(t);
      // Our own claim, applied by an earlier try whose response was lost (the SDK retried it).
      if (record?.leaseOwner === owner) return { claimed: true, record };
      return { claimed: false, record };
    }
  }

  /** Updates fields of a table record while `owner` holds its lease; false when the lease was lost. */
  async updateClaimed(
    t: Pick<TableRef, 'accountId' | 'region' | 'tableName'>,
    owner: string,
    fields: Partial<Omit<TableRecord, 'pk' | 'leaseOwner' | 'leaseExpiresAt'>>,
    opts: { release?: boolean; expireLease?: boolean; remove?: (keyof TableRecord)[] } = {},
  ): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':o': owner };
    const sets = Object.entries({ ...fields, updatedAt: new Date(this.now()).toISOString(), ...(opts.expireLease ? { leaseExpiresAt: 0 } : {}) })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => {
        names[`#${k}`] = k;
        values[`:${k}`] = v;
        return `#${k} = :${k}`;
      });
    const removes = [...(opts.remove ?? []), ...(opts.release ? (['leaseOwner', 'leaseExpiresAt'] as const) : [])].map((k) => {
      names[`#${k}`] = k;
      return `#${k}`;
    });
    names['#leaseOwner'] = 'leaseOwner';
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: tablePk(t) },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: '#leaseOwner = :o',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  /** Every table record (a Scan: the registry holds one item per table, so hundreds, not millions). */
  async listTables(): Promise<TableRecord[]> {
    const out: TableRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(pk, :p)',
          ExpressionAttributeValues: { ':p': 'TABLE#' },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      out.push(...((page.Items ?? []) as TableRecord[]));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }

  /**
   * One round trip that either takes the bucket-policy lease or finds that there is nothing to
   * do: the lease item also holds the grant catalog, so the write is conditional on `accountId`
   * not being granted yet as well as on the lease being free. Returns the catalog either way.
   */
  async acquirePolicyLock(bucket: string, owner: string, leaseMs: number, accountId: string): Promise<{ state: 'acquired' | 'granted' | 'busy'; accounts: Set<string> }> {
    const now = this.now();
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: policyPk(bucket) },
          UpdateExpression: 'SET #owner = :o, expiresAt = :exp, acquiredAt = :iso',
          ConditionExpression: '(attribute_not_exists(expiresAt) OR expiresAt < :now) AND NOT contains(accounts, :acct)',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':o': owner, ':exp': now + leaseMs, ':iso': new Date(now).toISOString(), ':now': now, ':acct': accountId },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { state: 'acquired', accounts: new Set((out.Attributes?.accounts as Set<string> | undefined) ?? []) };
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      const item = e.Item !== undefined ? unmarshall(e.Item) : undefined;
      const accounts = new Set((item?.accounts as Set<string> | undefined) ?? []);
      if (accounts.has(accountId)) return { state: 'granted', accounts };
      // Held by us already: an earlier try succeeded but its response was lost.
      return { state: item?.owner === owner ? 'acquired' : 'busy', accounts };
    }
  }

  /**
   * Extends the bucket-policy lease if `owner` still holds it and it has not expired — the fence
   * checked right before PutBucketPolicy, which cannot itself be conditional.
   */
  async renewPolicyLock(bucket: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = this.now();
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: policyPk(bucket) },
          UpdateExpression: 'SET expiresAt = :exp',
          ConditionExpression: '#owner = :o AND expiresAt > :now',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':o': owner, ':exp': now + leaseMs, ':now': now },
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  /**
   * Releases the bucket-policy lease and records `grant` in the catalog, in one round trip. If
   * the lease was lost meanwhile, the grant is still recorded (the policy was written).
   */
  async releasePolicyLock(bucket: string, owner: string, grant: readonly string[]): Promise<void> {
    const add = grant.length > 0 ? ' ADD accounts :a' : '';
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: policyPk(bucket) },
          UpdateExpression: `REMOVE #owner, expiresAt SET updatedAt = :iso${add}`,
          ConditionExpression: '#owner = :o',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':o': owner, ':iso': new Date(this.now()).toISOString(), ...(grant.length > 0 ? { ':a': new Set(grant) } : {}) },
        }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      if (grant.length > 0) await this.addGrants(bucket, grant);
    }
  }

  async addGrants(bucket: string, accounts: readonly string[]): Promise<void> {
    if (accounts.length === 0) return;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: policyPk(bucket) },
        UpdateExpression: 'ADD accounts :a SET updatedAt = :now',
        ExpressionAttributeValues: { ':a': new Set(accounts), ':now': new Date(this.now()).toISOString() },
      }),
    );
  }
}
