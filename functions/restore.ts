import { createServices } from '../lib/wiring';
import { parseConfig, withAlarmTopic } from '../lib/config';
import { lambdaHandler, loadOnce } from '../lib/middleware';
import { MetricName, telemetry } from '../lib/observability';
import { restore } from '../lib/usecases/restore';

const services = loadOnce(() => createServices(parseConfig(process.env)));

/**
 * `sls invoke -f restore --data '{"action":"list","account":"…","region":"…","table":"…"}'` → the table's snapshots;
 * `--data '{"action":"restore",…,"snapshot":"2026-11-26-03-00-00","targetTable":"orders-restored"}'` → an import pipeline.
 */
export const handler = lambdaHandler({ name: 'restore', failureMetric: MetricName.RestoreFailed }, async (input: unknown, context) => {
  const s = services();
  return restore({ ...s, config: withAlarmTopic(s.config, context.invokedFunctionArn), backupBucket: s.policy, telemetry }, input);
});
