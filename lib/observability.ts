import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { OrchestratorError } from './errors';

/**
 * Logs and metrics, in one place. Metrics are CloudWatch EMF in the namespace below; the alarms
 * in serverless.yml watch these names. Each function's failure metric (OnboardFailed,
 * OffboardFailed, BackfillFailed, RestoreFailed, HealthCheckFailed, RevokeFailed) is counted by one
 * middleware (lib/middleware.ts) for every failed invocation, with its one error log line.
 */
export const SERVICE_NAME = 'ddb-backup-orchestrator';
export const METRICS_NAMESPACE = 'DdbBackupOrchestrator';

export const MetricName = {
  TableOnboarded: 'TableOnboarded',
  TableAlreadyOnboarded: 'TableAlreadyOnboarded',
  ActivationFailed: 'ActivationFailed',
  PolicyUpdated: 'PolicyUpdated',
  PolicyFailed: 'PolicyFailed',
  OnboardFailed: 'OnboardFailed',
  EventIgnored: 'EventIgnored',
  EventRejected: 'EventRejected',
  TableOffboarded: 'TableOffboarded',
  OffboardFailed: 'OffboardFailed',
  PipelinesInError: 'PipelinesInError',
  PipelinesNotScheduled: 'PipelinesNotScheduled',
  PipelinesVanished: 'PipelinesVanished',
  PipelinesUnreachable: 'PipelinesUnreachable',
  TablesExistAgain: 'TablesExistAgain',
  BackfillFailed: 'BackfillFailed',
  RestoreFailed: 'RestoreFailed',
  HealthCheckFailed: 'HealthCheckFailed',
  /** Gauges the health check sets every run: accounts whose grant it put back in the bucket policy, guard statements it put back, and grants the catalog does not know. */
  PolicyRepaired: 'PolicyRepaired',
  PolicyGuardsRestored: 'PolicyGuardsRestored',
  PolicyUnknownGrants: 'PolicyUnknownGrants',
  AccountRevoked: 'AccountRevoked',
  RevokeFailed: 'RevokeFailed',
  /** Gauges the coverage report sets every run: unprotected tables past the grace period, protected / (protected + unprotected) × 100, and account-regions it could not list. */
  UnprotectedTables: 'UnprotectedTables',
  CoveragePercent: 'CoveragePercent',
  CoverageUnreachable: 'CoverageUnreachable',
  ReportFailed: 'ReportFailed',
  /** Gauges the health check sets every run: tables whose newest export failed or whose newest completed one is older than 26 h, and the oldest such age (hours) among tables whose engine reports its runs. */
  BackupsOverdue: 'BackupsOverdue',
  NewestBackupAgeHours: 'NewestBackupAgeHours',
  /** Gauges the report sets every run: protected tables over the recovery point objective (RPO_HOURS) or without a complete backup a day after onboarding, and the hours the worst of them has gone without one. */
  TablesOverObjective: 'TablesOverObjective',
  WorstBackupAgeHours: 'WorstBackupAgeHours',
  /** One per table a restore drill checked: its restore matched the backup, or did not (why in the registry and the log), or was not tried. */
  DrillPassed: 'DrillPassed',
  DrillFailed: 'DrillFailed',
  DrillSkipped: 'DrillSkipped',
  /** The drill function failed as a whole (the middleware counts it). */
  DrillRunFailed: 'DrillRunFailed',
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

/** What use-cases need to report; a test hands them a recording fake. */
export interface Telemetry {
  /** Keys added to every log line for the rest of this invocation. */
  appendKeys(keys: Record<string, string>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
  count(metric: MetricName, dimensions?: Record<string, string>): void;
  /** A level rather than an event: emitted every run, zero included, so that alarms always have data. */
  gauge(metric: MetricName, value: number): void;
}

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

export const telemetry: Telemetry = {
  appendKeys: (keys) => logger.appendKeys(keys),
  info: (message, extra) => logger.info(message, extra ?? {}),
  warn: (message, extra) => logger.warn(message, extra ?? {}),
  error: (message, extra) => logger.error(message, extra ?? {}),
  count: (metric, dimensions) => {
    if (dimensions === undefined || Object.keys(dimensions).length === 0) {
      metrics.addMetric(metric, MetricUnit.Count, 1);
      return;
    }
    const single = metrics.singleMetric();
    for (const [k, v] of Object.entries(dimensions)) single.addDimension(k, v);
    single.addMetric(metric, MetricUnit.Count, 1);
  },
  gauge: (metric, value) => metrics.addMetric(metric, MetricUnit.Count, value),
};

/** The one mapping from an error to what a log reader sees. */
export function errorFields(e: unknown): Record<string, unknown> {
  if (e instanceof OrchestratorError) return { errorName: e.name, errorMessage: e.message, retryable: e.retryable };
  if (e instanceof Error) return { errorName: e.name, errorMessage: e.message, retryable: true };
  return { errorName: 'Unknown', errorMessage: String(e), retryable: true };
}
