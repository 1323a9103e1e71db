import { parseConfig } from '../lib/config';
import { lambdaHandler, loadOnce } from '../lib/middleware';
import { MetricName, telemetry } from '../lib/observability';
import { offboardFromEvent } from '../lib/usecases/offboard';
import { createServices } from '../lib/wiring';

const services = loadOnce(() => createServices(parseConfig(process.env), 'offboard'));

/** DeleteTable (CloudTrail via EventBridge) → the table's pipeline deleted; backups and the grant kept. */
export const handler = lambdaHandler(
  { name: 'offboard', failureMetric: MetricName.OffboardFailed },
  async (event: unknown, context) => {
    const s = services();
    return s.inInvocation(context.awsRequestId, () => offboardFromEvent({ ...s, telemetry }, event));
  },
);
