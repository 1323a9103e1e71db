import { parseConfig, withAlarmTopic } from '../lib/config';
import { lambdaHandler, loadOnce } from '../lib/middleware';
import { MetricName, telemetry } from '../lib/observability';
import { onboardFromEvent } from '../lib/usecases/onboard';
import { createServices } from '../lib/wiring';

const services = loadOnce(() => createServices(parseConfig(process.env), 'onboard'));

/** CreateTable (CloudTrail via EventBridge) → nightly export pipeline + bucket-policy grant. */
export const handler = lambdaHandler(
  { name: 'onboard', failureMetric: MetricName.OnboardFailed, captureColdStart: true },
  async (event: unknown, context) => {
    const s = services();
    return s.inInvocation(context.awsRequestId, () =>
      onboardFromEvent({ ...s, config: withAlarmTopic(s.config, context.invokedFunctionArn), telemetry }, event),
    );
  },
);
