import { OPT_OUT_VALUES } from '../config';
import { DRILL_TABLE_PREFIX, isScratchTable } from './drill';
import type { NamePattern, TableRef } from './table-ref';

/** Why a table (or an event about one) is left alone. Also the `Reason` dimension of the EventIgnored metric. */
export type IgnoreReason =
  | 'FailedCall'
  | 'NotCreateTable'
  | 'NotDeleteTable'
  | 'AccountNotAllowed'
  | 'ExcludedByPattern'
  | 'OptedOutByTag'
  | 'StaleEvent'
  | 'DrillScratchTable';

export interface Ignore {
  reason: IgnoreReason;
  message: string;
}

export interface SelectionRules {
  sourceAccounts: readonly string[];
  tableExcludePattern?: NamePattern;
  optOutTag: string;
}

/**
 * Whether a table is to be backed up. The same rules serve onboarding (tags from the
 * CreateTable request) and backfill (tags from ListTagsOfResource). A restore drill's scratch
 * table is never backed up, whatever the configuration: it lives minutes and holds a copy of a
 * table that is.
 */
export function selectTable(
  table: Pick<TableRef, 'accountId' | 'tableName'>,
  tags: Readonly<Record<string, string>>,
  rules: SelectionRules,
): Ignore | undefined {
  if (!rules.sourceAccounts.includes(table.accountId)) {
    return { reason: 'AccountNotAllowed', message: `account ${table.accountId} is not in SOURCE_ACCOUNTS` };
  }
  if (isScratchTable(table.tableName)) {
    return {
      reason: 'DrillScratchTable',
      message: `table ${table.tableName} is a restore drill's scratch table (${DRILL_TABLE_PREFIX}*): never backed up`,
    };
  }
  if (rules.tableExcludePattern?.test(table.tableName)) {
    return {
      reason: 'ExcludedByPattern',
      message: `table ${table.tableName} matches TABLE_EXCLUDE_PATTERN ${rules.tableExcludePattern.source}`,
    };
  }
  const optOut = tags[rules.optOutTag];
  if (optOut !== undefined && (OPT_OUT_VALUES as readonly string[]).includes(optOut.trim().toLowerCase())) {
    return { reason: 'OptedOutByTag', message: `table ${table.tableName} is tagged ${rules.optOutTag}=${optOut}` };
  }
  return undefined;
}
