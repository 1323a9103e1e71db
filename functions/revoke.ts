import { parseConfig } from '../lib/config';
import { lambdaHandler, loadOnce } from '../lib/middleware';
import { MetricName, telemetry } from '../lib/observability';
import { revoke } from '../lib/usecases/revoke';
import { createServices } from '../lib/wiring';

const services = loadOnce(() => createServices(parseConfig(process.env), 'revoke'));

/**
 * `sls invoke -f revoke --data '{"account":"123456789012"}'` → the account's statements taken out of the bucket
 * policy and its grant catalog entry removed; refused while it has tables under backup unless `"force": true`.
 */
export const handler = lambdaHandler(
  { name: 'revoke', failureMetric: MetricName.RevokeFailed },
  async (input: unknown, context) => {
    const s = services();
    return s.inInvocation(context.awsRequestId, () => revoke({ ...s, telemetry }, input));
  },
);
