import type { MetricName, Telemetry } from '../../lib/observability';

/** A Telemetry that records what it is told, for assertions. */
export function recordingTelemetry(): Telemetry & {
  metrics: string[];
  gauges: Record<string, number>;
  logs: Array<{ level: string; message: string; extra?: Record<string, unknown> }>;
} {
  const metrics: string[] = [];
  const gauges: Record<string, number> = {};
  const logs: Array<{ level: string; message: string; extra?: Record<string, unknown> }> = [];
  return {
    metrics,
    gauges,
    logs,
    gauge: (metric, value) => {
      gauges[metric] = value;
    },
    appendKeys: (keys) => logs.push({ level: 'keys', message: 'appendKeys', extra: keys }),
    info: (message, extra) => logs.push({ level: 'info', message, extra }),
    warn: (message, extra) => logs.push({ level: 'warn', message, extra }),
    error: (message, extra) => logs.push({ level: 'error', message, extra }),
    count: (metric: MetricName, dims) =>
      metrics.push(
        dims
          ? `${metric}{${Object.entries(dims)
              .map(([k, v]) => `${k}=${v}`)
              .join(',')}}`
          : metric,
      ),
  };
}
