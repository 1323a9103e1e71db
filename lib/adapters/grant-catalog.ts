import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { grantKeysOf } from '../domain/policy';
import type { GrantCatalog } from '../ports/grant-catalog';

/**
 * The registry's `POLICY#<bucket>` item: the set of grants the bucket policy makes (`accounts`, a
 * string set of grant keys: a bare account id for a Data Pipeline grant, as every earlier
 * version wrote it, `<account>:native` for a native one — lib/domain/policy.ts grantKey), and
 * the lease that serializes writers of that policy (see table-registry.ts for the registry's layout).
 */
const policyPk = (bucket: string) => `POLICY#${bucket}`;

export class DynamoGrantCatalog implements GrantCatalog {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * One round trip that either takes the bucket-policy lease or finds that there is nothing to
   * do: the lease item also holds the grant catalog, so the write is conditional on `grant` (an
   * account and engine, as a key) not being recorded yet as well as on the lease being free.
   * Returns the catalog either way.
   */
  async acquirePolicyLock(
    bucket: string,
    owner: string,
    leaseMs: number,
    grant: string,
  ): Promise<{ state: 'acquired' | 'granted' | 'busy'; accounts: Set<string> }> {
    const now = this.now();
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: policyPk(bucket) },
          UpdateExpression: 'SET #owner = :o, expiresAt = :exp, acquiredAt = :iso',
          ConditionExpression:
            '(attribute_not_exists(expiresAt) OR expiresAt < :now) AND NOT contains(accounts, :acct)',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':o': owner,
            ':exp': now + leaseMs,
            ':iso': new Date(now).toISOString(),
            ':now': now,
            ':acct': grant,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { state: 'acquired', accounts: new Set((out.Attributes?.accounts as Set<string> | undefined) ?? []) };
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      const item = e.Item !== undefined ? unmarshall(e.Item) : undefined;
      const accounts = new Set((item?.accounts as Set<string> | undefined) ?? []);
      if (accounts.has(grant)) return { state: 'granted', accounts };
      // Held by us already: an earlier try succeeded but its response was lost.
      return { state: item?.owner === owner ? 'acquired' : 'busy', accounts };
    }
  }

  /**
   * Takes the bucket-policy lease whatever the catalog holds, unless another live lease holds
   * it; with `revoke`, the same write forgets every engine's grant of that account (DELETE from
   * the set). A lease of ours
   * applied by an earlier try whose response was lost counts as acquired.
   */
  async acquirePolicyLease(
    bucket: string,
    owner: string,
    leaseMs: number,
    opts: { revoke?: string } = {},
  ): Promise<{ state: 'acquired' | 'busy'; accounts: Set<string> }> {
    const now = this.now();
    const revoke = opts.revoke !== undefined;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: policyPk(bucket) },
          UpdateExpression: `SET #owner = :o, expiresAt = :exp, acquiredAt = :iso${revoke ? ' DELETE accounts :r' : ''}`,
          ConditionExpression: 'attribute_not_exists(expiresAt) OR expiresAt < :now OR #owner = :o',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':o': owner,
            ':exp': now + leaseMs,
            ':iso': new Date(now).toISOString(),
            ':now': now,
            ...(revoke ? { ':r': new Set(grantKeysOf(opts.revoke as string)) } : {}),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { state: 'acquired', accounts: new Set((out.Attributes?.accounts as Set<string> | undefined) ?? []) };
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      const item = e.Item !== undefined ? unmarshall(e.Item) : undefined;
      return { state: 'busy', accounts: new Set((item?.accounts as Set<string> | undefined) ?? []) };
    }
  }

  /** The accounts the catalog holds for `bucket`: one strongly consistent read. */
  async grantedAccounts(bucket: string): Promise<Set<string>> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: policyPk(bucket) },
        ConsistentRead: true,
        ProjectionExpression: 'accounts',
      }),
    );
    return new Set((out.Item?.accounts as Set<string> | undefined) ?? []);
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
          ExpressionAttributeValues: {
            ':o': owner,
            ':iso': new Date(this.now()).toISOString(),
            ...(grant.length > 0 ? { ':a': new Set(grant) } : {}),
          },
        }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      if (grant.length > 0) await this.addGrants(bucket, grant);
    }
  }

  private async addGrants(bucket: string, accounts: readonly string[]): Promise<void> {
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
