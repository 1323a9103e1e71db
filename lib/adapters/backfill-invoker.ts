import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { exactNameFilters } from '../domain/coverage';
import type { CoverageRepair } from '../ports/coverage-repair';

/**
 * Auto-repair in the stack: one asynchronous invocation of the backfill function per account and
 * region, for exactly the tables found unprotected. The backfill function onboards them through its
 * own source role (the report function's source role only reads), with backfill's exclusions, quota
 * and engine placement; its result, failures included, is in its own logs and BackfillFailed metric.
 */
export function backfillInvoker(client: LambdaClient, functionName: string): CoverageRepair {
  return async (accountId, region, tableNames) => {
    // One invocation per filter: backfill accepts patterns up to MAX_PATTERN_LENGTH characters.
    const filters = exactNameFilters(tableNames);
    for (const tableFilter of filters) {
      const payload = { accounts: [accountId], regions: [region], tableFilter };
      await client.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      );
    }
    return `backfill invoked ${filters.length} time(s) for ${tableNames.length} table(s)`;
  };
}
