import { createHash } from 'node:crypto';
import type { TableRef } from '../../domain/table-ref';
import { PRODUCT_NAME, TAG_MANAGED_BY, TAG_TABLE_ARN } from '../../domain/tags';

const MAX_TAG_VALUE = 256;

export function pipelineName(ref: TableRef): string {
  return `ddb-backup-${ref.tableName}`;
}

/** The import pipeline of a restore into `target`: one name per target table, which is how a restore finds the ones before it. */
export function restorePipelineName(target: TableRef): string {
  return `ddb-restore-${target.tableName}`;
}

/** Deterministic per table and generation (a table deleted and created again is a new generation). */
export function pipelineUniqueId(ref: TableRef, generation: number): string {
  const digest = createHash('sha256').update(`${ref.tableArn}#${generation}`).digest('hex').slice(0, 32);
  return `${PRODUCT_NAME}-${digest}`;
}

/** Deterministic per target table and snapshot, so that a retried restore reuses its pipeline. */
export function restoreUniqueId(target: TableRef, snapshotLocation: string): string {
  const digest = createHash('sha256').update(`${target.tableArn}#${snapshotLocation}`).digest('hex').slice(0, 32);
  return `${PRODUCT_NAME}-restore-${digest}`;
}

/** The value of the table-ARN tag: Data Pipeline tag values stop at 256 characters, and a table ARN can be longer. */
export function tableArnTag(tableArn: string): string {
  return tableArn.length <= MAX_TAG_VALUE
    ? tableArn
    : `${tableArn.slice(0, MAX_TAG_VALUE - 17)}#${createHash('sha256').update(tableArn).digest('hex').slice(0, 16)}`;
}

export function pipelineTags(ref: TableRef): Record<string, string> {
  return { [TAG_TABLE_ARN]: tableArnTag(ref.tableArn), [TAG_MANAGED_BY]: PRODUCT_NAME };
}
