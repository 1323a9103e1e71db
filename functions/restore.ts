import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createServices } from '../lib/wiring';
import { parseConfig, withAlarmTopic } from '../lib/config';
import { logger, metrics, telemetry } from '../lib/observability';
import { restore } from '../lib/usecases/restore';

const services = createServices(parseConfig(process.env));

/**
 * `sls invoke -f restore --data '{"action":"list","account":"…","region":"…","table":"…"}'` → the table's snapshots;
 * `--data '{"action":"restore",…,"snapshot":"2026-11-26-03-00-00","targetTable":"orders-restored"}'` → an import pipeline.
 */
export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (input: unknown, context) =>
    restore({ ...services, config: withAlarmTopic(services.config, context.invokedFunctionArn), backupBucket: services.policy, telemetry }, input),
  );
