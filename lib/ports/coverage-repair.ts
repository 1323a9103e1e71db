/**
 * Has the given tables of one account and region brought under backup (AUTO_REPAIR_COVERAGE), the
 * way backfill does, and says what was done. In the stack: an asynchronous invocation of the
 * backfill function, which onboards through its own roles (lib/adapters/backfill-invoker.ts);
 * locally and in tests: the backfill use case run in process.
 */
export type CoverageRepair = (accountId: string, region: string, tableNames: readonly string[]) => Promise<string>;
