import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createServices } from '../lib/wiring';
import { parseConfig } from '../lib/config';
import { logger, metrics, telemetry } from '../lib/observability';
import { checkHealth } from '../lib/usecases/health';

const services = createServices(parseConfig(process.env));

/** Hourly (and `sls invoke -f healthCheck`): every registered pipeline described, problems counted, a report returned. */
export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async () => checkHealth({ ...services, telemetry }));
