import { InvalidEventError } from '../../../lib/errors';
import { backfillRepair, type CoverageDeps, checkCoverage } from '../../../lib/usecases/coverage';
import { FakeForwardingRules } from '../../support/fakes/forwarding-rules';
import { A, B, fakeWorld, REGION } from '../../support/fakes/world';

const EU = 'eu-west-1';
const NOW = new Date('2026-11-26T10:00:00Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3600_000).toISOString();

function setup(env: Record<string, string> = {}) {
  const w = fakeWorld({ WATCH_REGIONS: `${REGION},${EU}`, ...env });
  const rules = new FakeForwardingRules();
  const repaired: string[] = [];
  const deps: CoverageDeps = {
    ...w.deps,
    forwardingRules: rules.of,
    repair: async (account, region, names) => {
      repaired.push(`${account}/${region}: ${names.join(',')}`);
      return `backfill invoked for ${names.length} table(s)`;
    },
  };
  return { ...w, backfillDeps: w.deps, deps, rules, repaired };
}

const row = (report: Awaited<ReturnType<typeof checkCoverage>>, account: string, region: string, table: string) =>
  report.rows.find((r) => r.account === account && r.region === region && r.table === table);

describe('Given source accounts with protected, excluded and unprotected tables', () => {
  const world = () => {
    const w = setup();
    w.accounts.add(A, REGION, 'orders', { createdAt: hoursAgo(48) });
    w.registry.seed({ accountId: A, region: REGION, tableName: 'orders', status: 'ACTIVE' });
    w.accounts.add(A, REGION, 'tmp-scratch', { createdAt: hoursAgo(48) });
    w.accounts.add(A, REGION, 'audit', { createdAt: hoursAgo(48), tags: { 'ddb-backup': 'off' } });
    w.accounts.add(A, EU, 'invoices', { createdAt: hoursAgo(3) });
    w.rules.set(A, EU, 'missing');
    w.accounts.add(A, REGION, 'ledger', { createdAt: hoursAgo(3) });
    w.accounts.add(B, REGION, 'payments', { createdAt: hoursAgo(5) });
    w.registry.seed({
      accountId: B,
      region: REGION,
      tableName: 'payments',
      status: 'ACTIVATION_FAILED',
      lastError: 'ActivatePipeline failed for df-1: AccessDenied',
    });
    w.accounts.add(B, EU, 'fresh', { createdAt: hoursAgo(0.25) });
    return w;
  };

  describe('When the coverage runs', () => {
    it('says protected for a table ACTIVE in the registry, with its engine', async () => {
      const w = world();
      const r = await checkCoverage(w.deps, undefined, NOW);
      expect(row(r, A, REGION, 'orders')).toMatchObject({
        status: 'protected',
        engine: 'datapipeline',
        finding: false,
      });
    });

    it('says excluded, and by which rule, for a table matching the pattern and one with the opt-out tag', async () => {
      const w = world();
      const r = await checkCoverage(w.deps, undefined, NOW);
      expect(row(r, A, REGION, 'tmp-scratch')).toMatchObject({
        status: 'excluded',
        exclusion: { by: 'pattern', message: expect.stringContaining('TABLE_EXCLUDE_PATTERN') },
      });
      expect(row(r, A, REGION, 'audit')).toMatchObject({
        status: 'excluded',
        exclusion: { by: 'tag', message: 'table audit is tagged ddb-backup=off' },
      });
    });

    it('blames the missing forwarding rule for an unprotected table in a region without one', async () => {
      const w = world();
      const r = await checkCoverage(w.deps, undefined, NOW);
      expect(row(r, A, EU, 'invoices')).toMatchObject({
        status: 'unprotected',
        finding: true,
        cause: 'no-forwarding-rule',
        detail: expect.stringContaining('deploy the source template in that region'),
      });
    });

    it('says the event never arrived when the rule is there and the registry never heard of the table', async () => {
      const w = world();
      const r = await checkCoverage(w.deps, undefined, NOW);
      expect(row(r, A, REGION, 'ledger')).toMatchObject({ finding: true, cause: 'event-never-arrived' });
    });

    it('says the onboarding failed, with the registry’s last error', async () => {
      const w = world();
      const r = await checkCoverage(w.deps, undefined, NOW);
      expect(row(r, B, REGION, 'payments')).toMatchObject({
        finding: true,
        cause: 'onboarding-failed',
        lastError: 'ActivatePipeline failed for df-1: AccessDenied',
        detail: expect.stringContaining('ACTIVATION_FAILED: ActivatePipeline failed for df-1: AccessDenied'),
      });
    });

    it('does not count a table younger than the grace period as a finding', async () => {
      const w = world();
      const r = await checkCoverage(w.deps, undefined, NOW);
      expect(row(r, B, EU, 'fresh')).toMatchObject({ status: 'unprotected', finding: false, cause: 'in-grace-period' });
    });

    it('sets the gauges: findings, coverage over the tables to protect, and unreachable places', async () => {
      const w = world();
      const r = await checkCoverage(w.deps, undefined, NOW);
      expect(r.totals).toEqual({
        tables: 7,
        protected: 1,
        excluded: 2,
        unprotected: 4,
        findings: 3,
        coveragePercent: 20,
      });
      expect(w.telemetry.gauges).toEqual({ UnprotectedTables: 3, CoveragePercent: 20, CoverageUnreachable: 0 });
    });

    it('reads tags only of tables not ACTIVE and not excluded by name, ages only of those not opted out, and each region’s rule only where it explains a finding', async () => {
      const w = world();
      const r = await checkCoverage(w.deps, undefined, NOW);
      expect(w.accounts.reads.sort()).toEqual(
        [
          `tags ${A}/${REGION}/audit`,
          `tags ${A}/${EU}/invoices`,
          `describe ${A}/${EU}/invoices`,
          `tags ${A}/${REGION}/ledger`,
          `describe ${A}/${REGION}/ledger`,
          `tags ${B}/${REGION}/payments`,
          `describe ${B}/${REGION}/payments`,
          `tags ${B}/${EU}/fresh`,
          `describe ${B}/${EU}/fresh`,
        ].sort(),
      );
      expect(w.rules.asked.sort()).toEqual([`${A}/${EU}`, `${A}/${REGION}`]);
      expect(r.calls).toEqual({ placesListed: 4, describeTable: 4, listTags: 5, describeRule: 2 });
    });

    it('says what auto-repair would do when it is off, and asks for nothing', async () => {
      const w = world();
      const r = await checkCoverage(w.deps, undefined, NOW);
      expect(w.repaired).toEqual([]);
      expect(r.repairs).toEqual([
        expect.objectContaining({ account: A, region: EU, tables: ['invoices'], outcome: 'would-onboard' }),
        expect.objectContaining({ account: A, region: REGION, tables: ['ledger'], outcome: 'would-onboard' }),
        expect.objectContaining({ account: B, region: REGION, tables: ['payments'], outcome: 'would-onboard' }),
      ]);
    });
  });

  describe('When AUTO_REPAIR_COVERAGE=true', () => {
    it('asks for the findings to be onboarded, one request per account and region, and not the table in its grace period', async () => {
      const w = setup({ AUTO_REPAIR_COVERAGE: 'true' });
      w.accounts.add(A, REGION, 'ledger', { createdAt: hoursAgo(3) });
      w.accounts.add(A, REGION, 'journal', { createdAt: hoursAgo(3) });
      w.accounts.add(A, REGION, 'fresh', { createdAt: hoursAgo(0.1) });
      const r = await checkCoverage(w.deps, undefined, NOW);
      expect(w.repaired).toEqual([`${A}/${REGION}: journal,ledger`]);
      expect(r.repairs).toEqual([
        {
          account: A,
          region: REGION,
          tables: ['journal', 'ledger'],
          outcome: 'requested',
          message: 'backfill invoked for 2 table(s)',
        },
      ]);
    });

    it('onboards them through backfill when run in process, and the next run finds them protected', async () => {
      const w = setup({ AUTO_REPAIR_COVERAGE: 'true' });
      w.accounts.add(A, REGION, 'ledger', { createdAt: hoursAgo(3) });
      w.accounts.add(A, REGION, 'ledger-archive', { createdAt: hoursAgo(0.1) });
      const deps = { ...w.deps, repair: backfillRepair(w.backfillDeps) };
      const first = await checkCoverage(deps, undefined, NOW);
      expect(first.repairs).toEqual([
        expect.objectContaining({ outcome: 'requested', message: expect.stringContaining('1 onboarded') }),
      ]);
      expect(w.registry.record({ accountId: A, region: REGION, tableName: 'ledger' })?.status).toBe('ACTIVE');
      expect(w.registry.record({ accountId: A, region: REGION, tableName: 'ledger-archive' })).toBeUndefined();
      const second = await checkCoverage(deps, undefined, NOW);
      expect(row(second, A, REGION, 'ledger')?.status).toBe('protected');
      expect(second.totals.findings).toBe(0);
    });

    it('reports a repair request that failed, and still returns the report', async () => {
      const w = setup({ AUTO_REPAIR_COVERAGE: 'true' });
      w.accounts.add(A, REGION, 'ledger', { createdAt: hoursAgo(3) });
      const r = await checkCoverage(
        {
          ...w.deps,
          repair: async () => {
            throw new Error('AccessDeniedException: lambda:InvokeFunction');
          },
        },
        undefined,
        NOW,
      );
      expect(r.repairs).toEqual([
        expect.objectContaining({ outcome: 'failed', message: expect.stringContaining('lambda:InvokeFunction') }),
      ]);
    });
  });
});

describe('Given the regions to watch', () => {
  it('takes a run’s {"regions":[…]} over WATCH_REGIONS', async () => {
    const w = setup();
    const r = await checkCoverage(w.deps, { regions: ['ap-southeast-2'] }, NOW);
    expect([r.regions, r.regionsFrom]).toEqual([['ap-southeast-2'], 'input']);
  });

  it('defaults to the regions the registry has seen when WATCH_REGIONS is unset', async () => {
    const w = fakeWorld();
    w.registry.seed({ accountId: A, region: 'eu-central-1', tableName: 't', status: 'ACTIVE' });
    w.registry.seed({ accountId: B, region: REGION, tableName: 't', status: 'OFFBOARDED' });
    const r = await checkCoverage({ ...w.deps, forwardingRules: new FakeForwardingRules().of }, undefined, NOW);
    expect([r.regions, r.regionsFrom]).toEqual([['eu-central-1', REGION], 'registry']);
  });

  it('ignores the scheduled event a timed run is handed', async () => {
    const w = setup();
    const r = await checkCoverage(w.deps, { 'detail-type': 'Scheduled Event', source: 'aws.events' }, NOW);
    expect(r.regionsFrom).toBe('WATCH_REGIONS');
  });

  it.each([
    [{ regions: 'us-east-1' }, 'regions must be a list of region names'],
    [{ regions: ['us-east-1', 'mars-1'] }, 'regions.1 is not an AWS region name'],
    [{ regions: [] }, 'regions must name at least one region when given'],
    [{ region: ['us-east-1'] }, 'unknown field(s) region'],
  ])('refuses the input %j with a clear error', async (input, message) => {
    const w = setup();
    const run = checkCoverage(w.deps, input, NOW);
    await expect(run).rejects.toThrow(InvalidEventError);
    await expect(checkCoverage(w.deps, input, NOW)).rejects.toThrow(message);
  });
});

describe('Given a place the source role cannot reach', () => {
  it('lists it as unreachable, counts it in its gauge, and still reports the others', async () => {
    const w = setup();
    w.accounts.add(A, REGION, 'orders', { createdAt: hoursAgo(48) });
    w.registry.seed({ accountId: A, region: REGION, tableName: 'orders', status: 'ACTIVE' });
    w.accounts.breakPlace(B, EU, new Error('AccessDenied: sts:AssumeRole'));
    const r = await checkCoverage(w.deps, undefined, NOW);
    expect(r.unreachable).toEqual([{ account: B, region: EU, error: 'AccessDenied: sts:AssumeRole' }]);
    expect(w.telemetry.gauges.CoverageUnreachable).toBe(1);
    expect(r.totals.protected).toBe(1);
  });

  it('reports a table whose tags could not be read as unreadable, not as a missed event', async () => {
    const w = setup();
    w.accounts.add(A, REGION, 'ledger', { createdAt: hoursAgo(3) });
    const of = w.deps.sourceTables;
    const r = await checkCoverage(
      {
        ...w.deps,
        sourceTables: (a, reg) => ({
          ...of(a, reg),
          tags: async () => {
            throw new Error('ThrottlingException');
          },
        }),
      },
      undefined,
      NOW,
    );
    expect(row(r, A, REGION, 'ledger')).toMatchObject({
      finding: true,
      cause: 'unreadable',
      detail: expect.stringContaining('ThrottlingException'),
    });
    expect(w.rules.asked).toEqual([]);
    expect(r.repairs).toEqual([]);
  });
});

describe('Given a table the registry says was offboarded', () => {
  it('says it exists again, a finding', async () => {
    const w = setup();
    w.accounts.add(A, REGION, 'orders', { createdAt: hoursAgo(30) });
    w.registry.seed({
      accountId: A,
      region: REGION,
      tableName: 'orders',
      status: 'OFFBOARDED',
      offboardedAt: hoursAgo(40),
    });
    const r = await checkCoverage(w.deps, undefined, NOW);
    expect(row(r, A, REGION, 'orders')).toMatchObject({ finding: true, cause: 'offboarded-but-exists' });
    expect(w.rules.asked).toEqual([]);
  });
});
