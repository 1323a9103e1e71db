import { parseConfig } from '../lib/config';
import { lambdaHandler, loadOnce } from '../lib/middleware';
import { MetricName, telemetry } from '../lib/observability';
import { runDrills } from '../lib/usecases/drill';
import { createServices } from '../lib/wiring';

const services = loadOnce(() => createServices(parseConfig(process.env), 'drill'));

/**
 * On DRILL_CADENCE (and `sls invoke -f drill [--data '{"tables":["ACCOUNT/REGION/TABLE"]}']`): the tables due have
 * their newest backup restored into a scratch table, checked against the backup and deleted; results in the registry.
 */
export const handler = lambdaHandler(
  { name: 'drill', failureMetric: MetricName.DrillRunFailed },
  async (input: unknown, context) => {
    const s = services();
    return s.inInvocation(context.awsRequestId, () => runDrills({ ...s, telemetry }, input));
  },
);
