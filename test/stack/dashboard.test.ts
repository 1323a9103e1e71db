import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { METRICS_NAMESPACE, MetricName, SERVICE_NAME } from '../../lib/observability';
import type { Template } from '../support/cfn';

const root = join(__dirname, '..', '..');

interface Widget {
  type: string;
  properties: { metrics?: unknown[][]; alarms?: string[]; region?: string };
}

describe('Given the orchestrator stack packaged for the example stage', () => {
  const out = mkdtempSync(join(tmpdir(), 'sls-package-dashboard-'));
  let template: Template;
  let widgets: Widget[];
  const ACCOUNT = '123456789012';

  beforeAll(async () => {
    await promisify(execFile)('npx', ['sls', 'package', '--stage', 'example', '--package', out], {
      cwd: root,
      timeout: 120_000,
    });
    template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
    const dashboards = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    // The body as CloudFormation's Fn::Sub would hand it to CloudWatch.
    const dashboard = dashboards[0] as unknown as { Properties: { DashboardBody: { 'Fn::Sub': string } } };
    const body = dashboard.Properties.DashboardBody['Fn::Sub']
      .replaceAll('${AWS::Partition}', 'aws')
      .replaceAll('${AWS::Region}', 'us-east-1')
      .replaceAll('${AWS::AccountId}', ACCOUNT);
    expect(body).not.toContain('${');
    widgets = JSON.parse(body).widgets;
  }, 150_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  const metricLines = () => widgets.flatMap((w) => w.properties.metrics ?? []);

  it('watches only metrics the code emits, in its namespace and with its service dimension', () => {
    const lines = metricLines();
    expect(lines.length).toBeGreaterThan(0);
    for (const [namespace, name, dimension, value] of lines) {
      expect([namespace, dimension, value]).toEqual([METRICS_NAMESPACE, 'service', SERVICE_NAME]);
      expect(Object.values(MetricName)).toContain(name);
    }
  });

  it('shows coverage, the unprotected tables, failed activations and the pipelines’ states', () => {
    expect(metricLines().map((l) => l[1])).toEqual(
      expect.arrayContaining([
        MetricName.CoveragePercent,
        MetricName.UnprotectedTables,
        MetricName.ActivationFailed,
        MetricName.PipelinesInError,
      ]),
    );
  });

  it('shows the worst backup age and the tables over the recovery point objective', () => {
    expect(metricLines().map((l) => l[1])).toEqual(
      expect.arrayContaining([MetricName.WorstBackupAgeHours, MetricName.TablesOverObjective]),
    );
  });

  it('shows the state of every alarm of the stack, and names no alarm the stack does not have', () => {
    const alarmNames = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((r) => r.Properties?.AlarmName as string);
    const shown = widgets
      .filter((w) => w.type === 'alarm')
      .flatMap((w) => w.properties.alarms ?? [])
      .map((arn) => {
        const m = /^arn:aws:cloudwatch:us-east-1:123456789012:alarm:(.+)$/.exec(arn);
        expect(m).not.toBeNull();
        return m?.[1];
      });
    expect(alarmNames.length).toBeGreaterThan(0);
    expect(alarmNames.length).toBeLessThanOrEqual(100);
    expect([...shown].sort()).toEqual([...alarmNames].sort());
  });

  it('draws every metric widget in the stack’s own region', () => {
    for (const w of widgets.filter((x) => x.type === 'metric')) expect(w.properties.region).toBe('us-east-1');
  });
});
