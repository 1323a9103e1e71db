import { parseConfig, withAlarmTopic } from '../lib/config';
import { lambdaHandler, loadOnce } from '../lib/middleware';
import { MetricName, telemetry } from '../lib/observability';
import { backfill } from '../lib/usecases/backfill';
import { createServices } from '../lib/wiring';

const services = loadOnce(() => createServices(parseConfig(process.env), 'backfill'));

/** `sls invoke -f backfill --data '{"regions":["us-east-1"],"dryRun":true}'` → every existing table brought under backup. */
export const handler = lambdaHandler(
  { name: 'backfill', failureMetric: MetricName.BackfillFailed },
  async (input: unknown, context) => {
    const s = services();
    return s.inInvocation(context.awsRequestId, () =>
      backfill({ ...s, config: withAlarmTopic(s.config, context.invokedFunctionArn), telemetry }, input),
    );
  },
);
