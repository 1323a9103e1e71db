import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger as defaultLogger, metrics as defaultMetrics, errorFields, type MetricName } from './observability';

/** How a function names itself in its failure log line, and the metric its failures count in. */
export interface FunctionReport {
  /** The function, as its log line names it: `onboard failed`. */
  name: string;
  /** Counted once for every invocation that fails, whatever failed. */
  failureMetric: MetricName;
  /** Powertools' ColdStart metric (dimension function_name). */
  captureColdStart?: boolean;
}

/**
 * What every function does around its use case, in one place: publish the metrics the
 * invocation stored, and turn ANY error — thrown before the use case (its settings, the event),
 * inside it, or after it (publishing its metrics; middy's early timeout) — into one error log
 * line naming the error and one count of the function's failure metric, then let it propagate
 * so that Lambda retries as configured.
 */
function reportInvocation<TEvent, TResult>(
  report: FunctionReport,
  sinks: { logger: Logger; metrics: Metrics } = { logger: defaultLogger, metrics: defaultMetrics },
): MiddlewareObj<TEvent, TResult, Error, Context> {
  const { logger, metrics } = sinks;
  // Powertools' own logMetrics publishes even when nothing was stored, and then warns "No
  // application metrics to publish": restore (and a backfill with nothing to report) store none.
  const flush = (): void => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return {
    before: (request) => {
      if (report.captureColdStart === true) metrics.captureColdStartMetric(request.context.functionName);
    },
    after: () => {
      flush();
    },
    onError: (request) => {
      // Never throws: a failure here would replace the error being reported.
      try {
        logger.error(`${report.name} failed`, errorFields(request.error));
        metrics.addMetric(report.failureMetric, MetricUnit.Count, 1);
        flush();
      } catch (e) {
        process.stderr.write(`${report.name}: could not report a failure (${String(e)}): ${String(request.error)}\n`);
      }
    },
  };
}

/**
 * Runs `make` once, when the function's module loads, and returns its value — or, when it threw,
 * a function that throws the same error on every invocation instead. A module that throws while
 * loading is an error no middleware sees (so no failure metric), and under `sls invoke local`
 * it also never exits: serverless-esbuild disposes of its build context only after a
 * successful load, so the esbuild service it keeps open holds the process for ever.
 */
export function loadOnce<T>(make: () => T): () => T {
  try {
    const value = make();
    return () => value;
  } catch (e) {
    return () => {
      throw e;
    };
  }
}

/** A function's handler: the logger's invocation context, then the report above, around `run`. */
export function lambdaHandler<TEvent, TResult>(
  report: FunctionReport,
  run: (event: TEvent, context: Context) => Promise<TResult>,
) {
  return middy<TEvent, TResult, Error, Context>()
    .use(injectLambdaContext(defaultLogger, { resetKeys: true }))
    .use(reportInvocation<TEvent, TResult>(report))
    .handler(run);
}
