import { parseConfig } from '../lib/config';
import { lambdaHandler, loadOnce } from '../lib/middleware';
import { MetricName, telemetry } from '../lib/observability';
import { checkHealth } from '../lib/usecases/health';
import { createServices } from '../lib/wiring';

const services = loadOnce(() => createServices(parseConfig(process.env), 'healthCheck'));

/** Hourly (and `sls invoke -f healthCheck`): every registered pipeline described, problems counted, a report returned. */
export const handler = lambdaHandler(
  { name: 'healthCheck', failureMetric: MetricName.HealthCheckFailed },
  async (_event: unknown, context) => {
    const s = services();
    return s.inInvocation(context.awsRequestId, () => checkHealth({ ...s, telemetry }));
  },
);
