import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createServices } from '../lib/wiring';
import { parseConfig, withAlarmTopic } from '../lib/config';
import { logger, metrics, telemetry } from '../lib/observability';
import { onboardFromEvent } from '../lib/usecases/onboard';

const services = createServices(parseConfig(process.env));

/** CreateTable (CloudTrail via EventBridge) → nightly export pipeline + bucket-policy grant. */
export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .handler(async (event: unknown, context) =>
    onboardFromEvent({ ...services, config: withAlarmTopic(services.config, context.invokedFunctionArn), telemetry }, event),
  );
