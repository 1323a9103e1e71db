import { createHash } from 'node:crypto';
import type { TableRef } from '../../domain/table-ref';

export const PRODUCT_NAME = 'ddb-backup-orchestrator';
export const TAG_TABLE_ARN = 'ddb-backup:table-arn';
export const TAG_MANAGED_BY = 'ddb-backup:managed-by';
const MAX_TAG_VALUE = 256;

export function pipelineName(ref: TableRef): string {
  return `ddb-backup-${ref.tableName}`;
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

export function pipelineTags(ref: TableRef): Record<string, string> {
  // Data Pipeline tag values stop at 256 characters; a table ARN can be longer.
  const arn =
    ref.tableArn.length <= MAX_TAG_VALUE
      ? ref.tableArn
      : `${ref.tableArn.slice(0, MAX_TAG_VALUE - 17)}#${createHash('sha256').update(ref.tableArn).digest('hex').slice(0, 16)}`;
  return { [TAG_TABLE_ARN]: arn, [TAG_MANAGED_BY]: PRODUCT_NAME };
}
