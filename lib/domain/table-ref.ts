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

/**
 * A table-name pattern given by an operator (TABLE_EXCLUDE_PATTERN, backfill's tableFilter),
 * matched by RE2 (the `re2js` port): time linear in the name's length whatever the pattern, so
 * that `^(a+)+$` cannot stall a function as JavaScript's backtracking RegExp does. RE2 has no
 * backreferences or lookaround; a pattern using them is refused when it is read.
 */
export interface NamePattern {
  readonly source: string;
  test(name: string): boolean;
}

/** An operator's pattern is a line, not a program: longer ones are refused. */
export const MAX_PATTERN_LENGTH = 1000;

type Re2js = typeof import('re2js');
let re2js: Re2js | undefined;
/**
 * RE2 is loaded on first use: most deployments set no pattern, and its 160 KB stay out of every
 * cold start (the module is bundled, but not evaluated until a pattern is compiled).
 */
function re2(): Re2js['RE2JS'] {
  re2js ??= require('re2js') as Re2js;
  return re2js.RE2JS;
}

/** The pattern compiled, or an error message naming `field` and why it is refused. */
export function compileNamePattern(source: string, field: string): NamePattern | { error: string } {
  if (source.length > MAX_PATTERN_LENGTH)
    return { error: `${field} is ${source.length} characters long; at most ${MAX_PATTERN_LENGTH} are accepted` };
  try {
    const re = re2().compile(source);
    return { source, test: (name) => re.test(name) };
  } catch (e) {
    return {
      error: `${field} is not a valid regular expression for RE2 (linear-time matching: no backreferences, no lookaround): ${(e as Error).message}`,
    };
  }
}
