/**
 * The operator's CloudWatch dashboard, built from the metrics the code emits (lib/observability.ts)
 * and every alarm of stack/alarms.js. serverless.yml merges what this returns into its `resources`
 * (`- ${file(./stack/dashboard.js)}`); test/stack/dashboard.test.ts checks each widget against the
 * code's metric names and the template's alarms.
 */
const alarms = require('./alarms.js');

const NAMESPACE = 'DdbBackupOrchestrator';
const SERVICE = 'ddb-backup-orchestrator';

/** One of our own metrics, as a dashboard metric line. */
const own = (name, stat, label) => [NAMESPACE, name, 'service', SERVICE, { stat, label: label ?? name }];

/** A metric widget at (x, y), 12 wide and 6 high unless told. */
const metricWidget = (x, y, title, metrics, extra = {}) => ({
  type: 'metric',
  x,
  y,
  width: extra.width ?? 12,
  height: extra.height ?? 6,
  properties: {
    title,
    region: '${AWS::Region}',
    view: extra.view ?? 'timeSeries',
    period: extra.period ?? 3600,
    metrics,
    ...(extra.yAxis !== undefined ? { yAxis: extra.yAxis } : {}),
  },
});

/** @param {{ resolveVariable: (address: string) => Promise<unknown> }} framework osls's variable resolver */
module.exports = async (framework) => {
  const prefix = `${await framework.resolveVariable('self:service')}-${await framework.resolveVariable('sls:stage')}`;
  const alarmNames = Object.values((await alarms(framework)).Resources).map((r) => r.Properties.AlarmName);
  const widgets = [
    {
      type: 'text',
      x: 0,
      y: 0,
      width: 24,
      height: 2,
      properties: {
        markdown: `## ${prefix}: is every table protected?\nCoverage, unprotected tables and backup freshness come from the hourly report (\`sls invoke -f report\` lists them with their cause and newest backup); pipeline states from the hourly health check.`,
      },
    },
    metricWidget(
      0,
      2,
      'Coverage (% of tables to protect that are protected)',
      [own('CoveragePercent', 'Minimum', 'coverage %')],
      { view: 'singleValue', width: 8 },
    ),
    metricWidget(
      8,
      2,
      'Unprotected tables past the grace period, and account-regions not listed',
      [own('UnprotectedTables', 'Maximum', 'unprotected'), own('CoverageUnreachable', 'Maximum', 'unreachable')],
      { width: 16 },
    ),
    metricWidget(
      0,
      8,
      'Failed activations and onboardings (sum per 5 min)',
      [
        own('ActivationFailed', 'Sum'),
        own('OnboardFailed', 'Sum'),
        own('PolicyFailed', 'Sum'),
        own('BackfillFailed', 'Sum'),
      ],
      { period: 300 },
    ),
    metricWidget(12, 8, 'Backup pipelines not healthy (health check)', [
      own('PipelinesInError', 'Maximum', 'in error'),
      own('PipelinesNotScheduled', 'Maximum', 'not scheduled'),
      own('PipelinesVanished', 'Maximum', 'vanished'),
      own('PipelinesUnreachable', 'Maximum', 'unreachable'),
      own('TablesExistAgain', 'Maximum', 'offboarded, exist again'),
    ]),
    metricWidget(
      0,
      14,
      'Worst backup age (hours without a complete backup, report)',
      [own('WorstBackupAgeHours', 'Maximum', 'worst age (h)')],
      { view: 'singleValue', width: 8 },
    ),
    metricWidget(
      8,
      14,
      'Protected tables over the recovery point objective (RPO_HOURS)',
      [own('TablesOverObjective', 'Maximum', 'over the objective')],
      { width: 16 },
    ),
    metricWidget(
      0,
      20,
      'Restore drills (tables drilled per day: passed, failed, skipped)',
      [own('DrillPassed', 'Sum', 'passed'), own('DrillFailed', 'Sum', 'failed'), own('DrillSkipped', 'Sum', 'skipped')],
      { width: 24, period: 86400 },
    ),
    {
      type: 'alarm',
      x: 0,
      y: 26,
      width: 24,
      height: 6,
      properties: {
        title: 'Alarms',
        // An alarm widget shows at most 100 alarms.
        alarms: alarmNames
          .slice(0, 100)
          .map((name) => `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${name}`),
      },
    },
  ];
  return {
    Resources: {
      OperatorDashboard: {
        Type: 'AWS::CloudWatch::Dashboard',
        Properties: {
          DashboardName: prefix,
          DashboardBody: { 'Fn::Sub': JSON.stringify({ widgets }) },
        },
      },
    },
  };
};
