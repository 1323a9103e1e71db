import { parseConfig, withAlarmTopic } from '../lib/config';
import { lambdaHandler, loadOnce } from '../lib/middleware';
import { MetricName, telemetry } from '../lib/observability';
import { restore } from '../lib/usecases/restore';
import { createServices } from '../lib/wiring';

const services = loadOnce(() => createServices(parseConfig(process.env), 'restore'));

/**
 * `sls invoke -f restore --data '{"action":"list","account":"…","region":"…","table":"…"}'` → the table's snapshots;
 * `--data '{"action":"restore",…,"snapshot":"2026-11-26-03-00-00","targetTable":"orders-restored"}'` → an import pipeline.
 */
export const handler = lambdaHandler(
  { name: 'restore', failureMetric: MetricName.RestoreFailed },
  async (input: unknown, context) => {
    const s = services();
    // Who asked, as far as Lambda says (see Requester): the request id always, Cognito's identity or the client's app when given.
    // (The client context is the caller's JSON as sent: the mobile SDKs write app_title, @types/aws-lambda says appTitle.)
    const client = context.clientContext?.client as { appTitle?: unknown; app_title?: unknown } | undefined;
    const app = client?.appTitle ?? client?.app_title;
    const requester = {
      requestId: context.awsRequestId,
      ...(context.identity?.cognitoIdentityId ? { cognitoIdentityId: context.identity.cognitoIdentityId } : {}),
      ...(typeof app === 'string' && app !== '' ? { clientApp: app } : {}),
    };
    return s.inInvocation(context.awsRequestId, () =>
      restore(
        { ...s, config: withAlarmTopic(s.config, context.invokedFunctionArn), backupBucket: s.snapshots, telemetry },
        input,
        requester,
      ),
    );
  },
);
