import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, paginateScan, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DrillRecord } from '../domain/drill';
import type { RecordFields, TableRecord, TableStatus } from '../domain/lifecycle';
import type { TableRef } from '../domain/table-ref';
import { IllegalTransitionError } from '../errors';
import type { ClaimResult, TableKey, TableRegistry, UpdateOptions } from '../ports/table-registry';

/**
 * The registry: one DynamoDB table (hash key `pk`, string) in the orchestrator's account holding
 *   TABLE#<account>#<region>#<table>  the record of a table (this adapter), which doubles as a
 *                                     per-table lease so that concurrent deliveries make one
 *                                     backup resource;
 *   POLICY#<bucket>                   the grant catalog and the bucket-policy lease (grant-catalog.ts).
 * Both kinds are permanent: a lease is a pair of attributes (owner, expiry) on the item, not an
 * item of its own, so nothing is left for DynamoDB TTL to sweep; the table keeps TTL on `ttl`
 * enabled for any lease item of its own a later feature may add.
 */

const tablePk = (t: TableKey) => `TABLE#${t.accountId}#${t.region}#${t.tableName}`;

export class DynamoTableRegistry implements TableRegistry {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async getTable(t: TableKey): Promise<TableRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: tablePk(t) }, ConsistentRead: true }),
    );
    return out.Item as TableRecord | undefined;
  }

  async claimTable(
    t: TableRef,
    owner: string,
    leaseMs: number,
    opts: { statuses?: readonly TableStatus[] } = {},
  ): Promise<ClaimResult> {
    const now = this.now();
    const iso = new Date(now).toISOString();
    const statuses = opts.statuses ?? [];
    const statusValues = Object.fromEntries(statuses.map((s, i) => [`:s${i}`, s]));
    const leaseFree = 'attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now';
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: tablePk(t) },
          UpdateExpression:
            'SET accountId = :a, #region = :r, tableName = :t, tableArn = :arn, leaseOwner = :o, leaseExpiresAt = :exp, ' +
            '#status = if_not_exists(#status, :pending), attempts = if_not_exists(attempts, :zero) + :one, ' +
            'generation = if_not_exists(generation, :one), createdAt = if_not_exists(createdAt, :iso), updatedAt = :iso',
          ConditionExpression:
            opts.statuses === undefined
              ? `attribute_not_exists(pk) OR ${leaseFree}`
              : `attribute_not_exists(pk) OR (#status IN (${Object.keys(statusValues).join(', ')}) AND (${leaseFree}))`,
          ExpressionAttributeNames: { '#status': 'status', '#region': 'region' },
          ExpressionAttributeValues: {
            ':a': t.accountId,
            ':r': t.region,
            ':t': t.tableName,
            ':arn': t.tableArn,
            ':o': owner,
            ':exp': now + leaseMs,
            ':pending': 'PENDING' satisfies TableStatus,
            ...statusValues,
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

  async updateClaimed(t: TableKey, owner: string, fields: RecordFields, opts: UpdateOptions = {}): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':o': owner };
    const step = opts.transition;
    if (step !== undefined && step.from.length === 0) throw new IllegalTransitionError('NONE', step.on);
    const sets = Object.entries({
      ...fields,
      ...(step !== undefined ? { status: step.to } : {}),
      updatedAt: new Date(this.now()).toISOString(),
      ...(opts.expireLease ? { leaseExpiresAt: 0 } : {}),
    })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => {
        names[`#${k}`] = k;
        values[`:${k}`] = v;
        return `#${k} = :${k}`;
      });
    const removes = [...(opts.remove ?? []), ...(opts.release ? (['leaseOwner', 'leaseExpiresAt'] as const) : [])].map(
      (k) => {
        names[`#${k}`] = k;
        return `#${k}`;
      },
    );
    names['#leaseOwner'] = 'leaseOwner';
    let condition = '#leaseOwner = :o';
    if (step !== undefined) {
      names['#status'] = 'status';
      step.from.forEach((s, i) => {
        values[`:from${i}`] = s;
      });
      condition += ` AND #status IN (${step.from.map((_, i) => `:from${i}`).join(', ')})`;
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: tablePk(t) },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ...(step !== undefined ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
        }),
      );
      return true;
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      if (step !== undefined && e.Item !== undefined) {
        const record = unmarshall(e.Item) as TableRecord;
        if (record.leaseOwner === owner) {
          // Our own write, applied by an earlier try whose response was lost (the SDK retried it).
          if (record.status === step.to) return true;
          // Still ours, but the status is not one the lifecycle lets this step start from.
          throw new IllegalTransitionError(record.status, step.on);
        }
      }
      return false;
    }
  }

  async recordDrill(t: TableKey, drill: DrillRecord): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: tablePk(t) },
          UpdateExpression: 'SET #drill = :drill',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#drill': 'drill' },
          ExpressionAttributeValues: { ':drill': drill },
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
    const pages = paginateScan(
      { client: this.doc },
      {
        TableName: this.tableName,
        FilterExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': 'TABLE#' },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) out.push(...((page.Items ?? []) as TableRecord[]));
    return out;
  }
}
