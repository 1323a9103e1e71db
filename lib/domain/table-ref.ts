/** A DynamoDB table in a source account, as the orchestrator knows it. */
export interface TableRef {
  accountId: string;
  region: string;
  tableName: string;
  tableArn: string;
}

export const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
export const ACCOUNT_ID = /^\d{12}$/;

export function tableArn(region: string, accountId: string, tableName: string): string {
  return `arn:aws:dynamodb:${region}:${accountId}:table/${tableName}`;
}

/** Stable key of a table in the registry and in logs. */
export function tableKey(ref: Pick<TableRef, 'accountId' | 'region' | 'tableName'>): string {
  return `${ref.accountId}/${ref.region}/${ref.tableName}`;
}

/** One key attribute of a table: what a restore needs to create the table again. */
export interface KeyAttribute {
  name: string;
  type: 'S' | 'N' | 'B';
  keyType: 'HASH' | 'RANGE';
}
