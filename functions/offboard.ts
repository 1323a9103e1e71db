import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createServices } from '../lib/wiring';
import { parseConfig } from '../lib/config';
import { logger, metrics, telemetry } from '../lib/observability';
import { offboardFromEvent } from '../lib/usecases/offboard';

const services = createServices(parseConfig(process.env));

/** DeleteTable (CloudTrail via EventBridge) → the table's pipeline deleted; backups and the grant kept. */
export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event: unknown) => offboardFromEvent({ ...services, telemetry }, event));
