import { type Report, render, renderMarkdown, renderTable } from '../../lib/domain/report';
import { buildReport } from '../../lib/usecases/report';
import { parseReportArgs } from '../../scripts/report';
import { FakeForwardingRules } from '../support/fakes/forwarding-rules';
import { A, fakeWorld, REGION } from '../support/fakes/world';

const NOW = new Date('2026-11-26T10:00:00Z');

async function sample(): Promise<Report> {
  const w = fakeWorld({ WATCH_REGIONS: `${REGION},eu-west-1` });
  const rules = new FakeForwardingRules();
  rules.set(A, 'eu-west-1', 'missing');
  w.accounts.add(A, REGION, 'orders', { createdAt: '2026-11-20T00:00:00Z' });
  w.registry.seed({ accountId: A, region: REGION, tableName: 'orders', status: 'ACTIVE' });
  w.accounts.add(A, REGION, 'tmp-x', { createdAt: '2026-11-20T00:00:00Z' });
  w.accounts.add(A, 'eu-west-1', 'invoices', { createdAt: '2026-11-25T00:00:00Z' });
  w.accounts.add(A, REGION, 'pay|ments', { createdAt: '2026-11-25T00:00:00Z' });
  w.registry.seed({
    accountId: A,
    region: REGION,
    tableName: 'pay|ments',
    status: 'ACTIVATION_FAILED',
    lastError: 'AccessDenied',
  });
  return buildReport({ ...w.deps, snapshots: w.policy, forwardingRules: rules.of }, undefined, NOW);
}

describe('Given a report of protected, excluded and unprotected tables', () => {
  it('carries per table its status, engine, cause and last error, and the totals', async () => {
    const r = await sample();
    expect(r.rows.map((x) => [x.region, x.table, x.status, x.engine, x.cause, x.lastError])).toEqual([
      ['eu-west-1', 'invoices', 'unprotected', undefined, 'no-forwarding-rule', undefined],
      [REGION, 'orders', 'protected', 'datapipeline', undefined, undefined],
      [REGION, 'pay|ments', 'unprotected', 'datapipeline', 'onboarding-failed', 'AccessDenied'],
      [REGION, 'tmp-x', 'excluded', undefined, 'pattern', undefined],
    ]);
    expect(r.totals).toEqual({
      tables: 4,
      protected: 1,
      excluded: 1,
      unprotected: 2,
      findings: 2,
      coveragePercent: 33.3,
      overObjective: 0,
      failedDrills: 0,
    });
  });

  it('renders a terminal table whose columns line up, findings marked, and the totals under it', async () => {
    const text = renderTable(await sample());
    const lines = text.split('\n');
    expect(lines[0]).toMatch(
      /^account\s+region\s+table\s+status\s+engine\s+newest backup\s+age\s+last drill\s+cause \/ last error$/,
    );
    const statusAt = lines[0]?.indexOf('status');
    for (const l of lines.slice(2, 6))
      expect(l.slice(statusAt).split(' ')[0]).toMatch(/^(protected|excluded|unprotected)$/);
    expect(text).toContain('unprotected !');
    expect(text).toContain(
      'coverage 33.3 % — 4 tables: 1 protected, 1 excluded, 2 unprotected (2 past the grace period)',
    );
    expect(text).toContain(
      'repair (would-onboard) 111111111111 us-east-1: AUTO_REPAIR_COVERAGE=true would onboard pay|ments',
    );
  });

  it('renders Markdown with one row per table and the pipes in a cell escaped', async () => {
    const md = renderMarkdown(await sample());
    const rows = md.split('\n').filter((l) => l.startsWith('|'));
    expect(rows).toHaveLength(2 + 4);
    expect(md).toContain('| pay\\|ments |');
  });

  it('renders JSON that reads back as the same report', async () => {
    const r = await sample();
    expect(JSON.parse(render(r, 'json'))).toEqual(JSON.parse(JSON.stringify(r)));
  });
});

describe('npm run report arguments', () => {
  it('defaults to the terminal table of the local sandbox', () => {
    expect(parseReportArgs([])).toEqual({ format: 'table' });
  });

  it('reads the format, the regions and the stage', () => {
    expect(parseReportArgs(['--format', 'markdown', '--regions', 'us-east-1, eu-west-1', '--stage', 'prod'])).toEqual({
      format: 'markdown',
      regions: ['us-east-1', 'eu-west-1'],
      stage: 'prod',
    });
  });

  it('refuses an unknown format or option, saying which', () => {
    expect(parseReportArgs(['--format', 'csv'])).toEqual({
      error: '--format must be one of table, markdown, json, got "csv"',
    });
    expect(parseReportArgs(['--colour'])).toEqual({ error: expect.stringContaining("'--colour'") });
  });
});
