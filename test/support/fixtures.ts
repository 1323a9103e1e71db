import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyDocument } from '../../lib/domain/policy';

/** A fresh deep copy of an event from events/, so tests can mutate it freely. */
export function loadEvent(name: string): Record<string, any> {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'events', `${name}.json`), 'utf8'));
}

/** events/bucket-policy-existing.json: a realistic policy of statements the product does not own. */
export function existingBucketPolicy(): PolicyDocument {
  return loadEvent('bucket-policy-existing') as PolicyDocument;
}

/**
 * events/create-table.json or delete-table.json, for another account and table (and, if given,
 * time and tableId: the files' own tableId, shared by both, is one incarnation of the table).
 */
export function tableEvent(
  name: 'create-table' | 'delete-table',
  account: string,
  table: string,
  time?: string,
  tableId?: string,
): Record<string, any> {
  const e = loadEvent(name);
  e.account = account; // EventBridge stamps the envelope with the source account, and forwarding keeps it
  e.detail.recipientAccountId = account;
  e.detail.requestParameters.tableName = table;
  e.detail.responseElements.tableDescription.tableName = table;
  e.detail.responseElements.tableDescription.tableArn = `arn:aws:dynamodb:${e.detail.awsRegion}:${account}:table/${table}`;
  e.detail.eventID = `${name}-${account}-${table}${time ? `-${time}` : ''}`;
  if (time !== undefined) e.time = e.detail.eventTime = time;
  if (tableId !== undefined) e.detail.responseElements.tableDescription.tableId = tableId;
  return e;
}
