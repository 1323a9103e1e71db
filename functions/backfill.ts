import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createServices } from '../lib/wiring';
import { parseConfig, withAlarmTopic } from '../lib/config';
import { logger, metrics, telemetry } from '../lib/observability';
import { backfill } from '../lib/usecases/backfill';

const services = createServices(parseConfig(process.env));

/** `sls invoke -f backfill --data '{"regions":["us-east-1"],"dryRun":true}'` → every existing table brought under backup. */
export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (input: unknown, context) =>
    backfill({ ...services, config: withAlarmTopic(services.config, context.invokedFunctionArn), telemetry }, input),
  );
