/** Tags the product puts on what it makes (backup resources, restored tables), whatever the engine. */
export const PRODUCT_NAME = 'ddb-backup-orchestrator';
/** The table a backup resource serves (see the engine's naming for values too long for a tag). */
export const TAG_TABLE_ARN = 'ddb-backup:table-arn';
export const TAG_MANAGED_BY = 'ddb-backup:managed-by';
/** On a table made by a restore: `<source table>@<snapshot>`. */
export const TAG_RESTORED_FROM = 'ddb-backup:restored-from';
