import { LambdaClient } from '@aws-sdk/client-lambda';
import { backfillInvoker } from '../lib/adapters/backfill-invoker';
import { CLIENT_SETTINGS } from '../lib/adapters/client-settings';
import { parseConfig } from '../lib/config';
import { lambdaHandler, loadOnce } from '../lib/middleware';
import { MetricName, telemetry } from '../lib/observability';
import { buildReport } from '../lib/usecases/report';
import { createServices } from '../lib/wiring';

const services = loadOnce(() => createServices(parseConfig(process.env), 'report'));
const lambda = new LambdaClient({ ...CLIENT_SETTINGS });

/**
 * Hourly (and `sls invoke -f report [--data '{"regions":["eu-west-1"]}']`): every table of the watched accounts and
 * regions, protected / excluded / unprotected with its likely cause, and the totals; the coverage gauges for the alarms.
 * With AUTO_REPAIR_COVERAGE=true the unprotected tables are handed to this stage's backfill function.
 */
export const handler = lambdaHandler(
  { name: 'report', failureMetric: MetricName.ReportFailed },
  async (input: unknown, context) => {
    const s = services();
    // This stage's backfill function: `<service>-<stage>-report` → `<service>-<stage>-backfill`.
    const repair = backfillInvoker(lambda, context.functionName.replace(/report$/, 'backfill'));
    return s.inInvocation(context.awsRequestId, () => buildReport({ ...s, repair, telemetry }, input));
  },
);
