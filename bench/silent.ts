import type { Telemetry } from '../lib/observability';

/** Telemetry that says nothing: the benchmarks measure calls and time, not logs. */
export const silent: Telemetry = {
  appendKeys: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  count: () => undefined,
  gauge: () => undefined,
};
