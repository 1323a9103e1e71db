/**
 * The stack's CloudWatch alarms, from one list. serverless.yml merges what this returns into its
 * `resources` (`- ${file(./stack/alarms.js)}`), which `sls package` renders offline. Every alarm
 * fires on one datum ≥ 1 in one period, treats missing data as fine, and notifies AlarmTopic.
 */

/** Our own metrics (lib/observability.ts: namespace and the `service` dimension). */
const own = { Namespace: 'DdbBackupOrchestrator', Dimensions: [{ Name: 'service', Value: 'ddb-backup-orchestrator' }] };

/** A failure the code counts: any in five minutes. */
const counted = (metric) => ({ ...own, MetricName: metric, Statistic: 'Sum', Period: 300 });
/** A gauge the hourly health check sets: any non-zero reading in the hour. */
const gauge = (metric) => ({ ...own, MetricName: metric, Statistic: 'Maximum', Period: 3600 });
/** Lambda's own count of a function's failed invocations (`<Function>LambdaFunction` is the name osls gives it). */
const functionErrors = (fn) => ({
  Namespace: 'AWS/Lambda',
  MetricName: 'Errors',
  Dimensions: [{ Name: 'FunctionName', Value: { Ref: `${fn}LambdaFunction` } }],
  Statistic: 'Sum',
  Period: 300,
});
/** Messages waiting in one of the stack's dead-letter queues. */
const queueDepth = (queue) => ({
  Namespace: 'AWS/SQS',
  MetricName: 'ApproximateNumberOfMessagesVisible',
  Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
  Statistic: 'Maximum',
  Period: 300,
});

/** [resource name, alarm name after `<service>-<stage>-`, description, metric] */
const ALARMS = [
  [
    'ActivationFailedAlarm',
    'activation-failed',
    "A pipeline could not be activated; the onboarding is being retried. See the onboard function's logs.",
    counted('ActivationFailed'),
  ],
  [
    'OnboardFailedAlarm',
    'onboard-failed',
    'An onboarding failed (pipeline or bucket policy); it is being retried.',
    counted('OnboardFailed'),
  ],
  ['OnboardErrorsAlarm', 'onboard-errors', 'The onboard function failed.', functionErrors('Onboard')],
  [
    'PipelinesInErrorAlarm',
    'pipelines-in-error',
    'At least one backup pipeline reports ERROR health. Invoke healthCheck for the list.',
    gauge('PipelinesInError'),
  ],
  [
    'PipelinesNotScheduledAlarm',
    'pipelines-not-scheduled',
    'At least one backup pipeline is not SCHEDULED (never activated, finished or deactivated). Invoke healthCheck for the list.',
    gauge('PipelinesNotScheduled'),
  ],
  [
    'PipelinesVanishedAlarm',
    'pipelines-vanished',
    'A registered table has lost its pipeline (deleted outside the orchestrator). Invoke healthCheck for the list.',
    gauge('PipelinesVanished'),
  ],
  [
    'PipelinesUnreachableAlarm',
    'pipelines-unreachable',
    'The health check could not reach an account (role missing or denied). Invoke healthCheck for the list.',
    gauge('PipelinesUnreachable'),
  ],
  [
    'TablesExistAgainAlarm',
    'tables-exist-again',
    'A table the registry says was offboarded exists again in its source account, and nothing backs it up. Invoke healthCheck for the list, then backfill its account.',
    gauge('TablesExistAgain'),
  ],
  [
    'PolicyRepairedAlarm',
    'policy-repaired',
    "The health check found an account's grant missing from the bucket policy (someone removed or altered it) and put it back. Its log says which; CloudTrail says who.",
    gauge('PolicyRepaired'),
  ],
  [
    'PolicyGuardsRestoredAlarm',
    'policy-guards-restored',
    "The health check found one of the product's deny statements missing from the bucket policy and put it back. Its log says which; CloudTrail says who.",
    gauge('PolicyGuardsRestored'),
  ],
  [
    'PolicyUnknownGrantsAlarm',
    'policy-unknown-grants',
    'The bucket policy holds statements shaped like the product’s own for accounts the grant catalog does not know. Invoke healthCheck for the list; revoke removes them.',
    gauge('PolicyUnknownGrants'),
  ],
  [
    'RevokeFailedAlarm',
    'revoke-failed',
    "A revoke failed; its result and the revoke function's logs say why.",
    counted('RevokeFailed'),
  ],
  ['RevokeErrorsAlarm', 'revoke-errors', 'The revoke function failed.', functionErrors('Revoke')],
  [
    'OffboardFailedAlarm',
    'offboard-failed',
    "Removing a deleted table's pipeline failed; it is being retried.",
    counted('OffboardFailed'),
  ],
  [
    'BackfillFailedAlarm',
    'backfill-failed',
    'A backfill finished with failed tables; its summary lists them.',
    counted('BackfillFailed'),
  ],
  ['OffboardErrorsAlarm', 'offboard-errors', 'The offboard function failed.', functionErrors('Offboard')],
  ['BackfillErrorsAlarm', 'backfill-errors', 'The backfill function failed.', functionErrors('Backfill')],
  ['HealthCheckErrorsAlarm', 'health-check-errors', 'The health-check function failed.', functionErrors('HealthCheck')],
  ['RestoreErrorsAlarm', 'restore-errors', 'The restore function failed.', functionErrors('Restore')],
  [
    'RestoreFailedAlarm',
    'restore-failed',
    "A restore failed or was refused (nothing was written). See the restore function's logs: they name who asked.",
    counted('RestoreFailed'),
  ],
  [
    'HealthCheckFailedAlarm',
    'health-check-failed',
    'The health check failed: pipelines and grants went unchecked this hour. See its logs.',
    counted('HealthCheckFailed'),
  ],
  [
    'EventDeadLetterAlarm',
    'event-dlq',
    'EventBridge could not deliver table events to the orchestrator; they wait in the event dead-letter queue.',
    queueDepth('EventDeadLetterQueue'),
  ],
  [
    'FunctionDeadLetterAlarm',
    'function-dlq',
    'An invocation failed after all its retries; the event waits in the function dead-letter queue.',
    queueDepth('FunctionDeadLetterQueue'),
  ],
  [
    'UnprotectedTablesAlarm',
    'unprotected-tables',
    'A table in a watched account and region is not backed up, past the grace period. Invoke report for the list: each line says the likely cause (no forwarding rule in the region, the event never arrived, the onboarding failed) and what to do.',
    gauge('UnprotectedTables'),
  ],
  [
    'CoverageUnreachableAlarm',
    'coverage-unreachable',
    'The coverage report could not list the tables of an account and region (its report role missing or denied): unprotected tables there would go unseen. Invoke report for the list.',
    gauge('CoverageUnreachable'),
  ],
  [
    'ReportFailedAlarm',
    'report-failed',
    'The coverage report failed: coverage went unchecked this hour. See its logs.',
    counted('ReportFailed'),
  ],
  ['ReportErrorsAlarm', 'report-errors', 'The report function failed.', functionErrors('Report')],
  [
    'BackupsOverdueAlarm',
    'backups-overdue',
    "A native table's newest export failed, or its newest completed export is older than 26 hours. Invoke healthCheck for the list; the export's DescribeExport and the account's export dead-letter queue say why.",
    gauge('BackupsOverdue'),
  ],
  [
    'TablesOverObjectiveAlarm',
    'tables-over-objective',
    "A protected table's newest complete backup is older than the recovery point objective (RPO_HOURS), or it has none a day after its onboarding. Invoke report for the list: each line says how old its newest backup is; healthCheck and the engine (the pipeline's runs, the export's DescribeExport) say why.",
    gauge('TablesOverObjective'),
  ],
  [
    'DrillFailedAlarm',
    'drill-failed',
    "A restore drill failed: a table's newest backup did not restore into a table equal to it. The drill's log and the table's registry record (sls invoke -f report) say why; see README 'Restore drills'.",
    counted('DrillFailed'),
  ],
  [
    'DrillRunFailedAlarm',
    'drill-run-failed',
    'The restore drill function failed as a whole: no table was drilled this run. See its logs.',
    counted('DrillRunFailed'),
  ],
  ['DrillErrorsAlarm', 'drill-errors', 'The drill function failed.', functionErrors('Drill')],
];

/** @param {{ resolveVariable: (address: string) => Promise<unknown> }} framework osls's variable resolver */
module.exports = async ({ resolveVariable }) => {
  const prefix = `${await resolveVariable('self:service')}-${await resolveVariable('sls:stage')}`;
  const alarm = ([resource, name, description, { Namespace, MetricName, Dimensions, Statistic, Period }]) => [
    resource,
    {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${prefix}-${name}`,
        AlarmDescription: description,
        Namespace,
        MetricName,
        Dimensions,
        Statistic,
        Period,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      },
    },
  ];
  return { Resources: Object.fromEntries(ALARMS.map(alarm)) };
};
