import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A fresh deep copy of an event from events/, so tests can mutate it freely. */
export function loadEvent(name: string): Record<string, any> {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'events', `${name}.json`), 'utf8'));
}

/** events/create-table.json or delete-table.json, for another account and table (and, if given, time). */
export function tableEvent(name: 'create-table' | 'delete-table', account: string, table: string, time?: string): Record<string, any> {
  const e = loadEvent(name);
  e.detail.recipientAccountId = account;
  e.detail.requestParameters.tableName = table;
  e.detail.responseElements.tableDescription.tableName = table;
  e.detail.responseElements.tableDescription.tableArn = `arn:aws:dynamodb:${e.detail.awsRegion}:${account}:table/${table}`;
  e.detail.eventID = `${name}-${account}-${table}${time ? `-${time}` : ''}`;
  if (time !== undefined) e.detail.eventTime = time;
  return e;
}
