import { parseConfig } from '../../lib/config';
import { type CoverageRow, classify, coverageTotals, exactNameFilters, withinGrace } from '../../lib/domain/coverage';
import { compileNamePattern } from '../../lib/domain/table-ref';

const NOW = new Date('2026-11-26T10:00:00Z');
const base = {
  BACKUP_BUCKET: 'corp-ddb-backups',
  BACKUP_ROLE_ARN: 'arn:aws:iam::999999999999:role/ddb-backup-policy-writer',
  SOURCE_ROLE_NAME: 'ddb-backup-orchestrator',
  SOURCE_ACCOUNTS: '111111111111',
  REGISTRY_TABLE: 'ddb-backup-registry',
};

describe('classify', () => {
  const table = { account: '111111111111', region: 'eu-west-1', table: 'invoices', createdAt: '2026-11-26T08:00:00Z' };

  it('blames a disabled forwarding rule as it does a missing one, saying it is disabled', () => {
    expect(classify(table, 'disabled', NOW, 60)).toMatchObject({
      cause: 'no-forwarding-rule',
      detail: expect.stringContaining('no enabled forwarding rule'),
    });
  });

  it('still calls a finding a missed event when the rule could not be read, and says why it could not', () => {
    expect(classify(table, { error: 'AccessDenied' }, NOW, 60)).toMatchObject({
      cause: 'event-never-arrived',
      detail: expect.stringContaining('could not be read: AccessDenied'),
    });
  });

  it('ends the grace period exactly grace minutes after the table was created', () => {
    expect(withinGrace('2026-11-26T09:00:00.001Z', NOW, 60)).toBe(true);
    expect(withinGrace('2026-11-26T09:00:00.000Z', NOW, 60)).toBe(false);
    expect(withinGrace(undefined, NOW, 60)).toBe(false);
  });
});

describe('coverageTotals', () => {
  const rows = (p: number, u: number, e: number): CoverageRow[] =>
    [
      ...Array.from({ length: p }, () => ({ status: 'protected' as const, finding: false })),
      ...Array.from({ length: u }, () => ({ status: 'unprotected' as const, finding: true })),
      ...Array.from({ length: e }, () => ({ status: 'excluded' as const, finding: false })),
    ].map((r, i) => ({ account: 'a', region: 'r', table: `t${i}`, ...r }));

  it('leaves excluded tables out of the percentage and rounds it down, so that 99.99 % never reads 100 %', () => {
    expect(coverageTotals(rows(2, 1, 5)).coveragePercent).toBe(66.6);
    expect(coverageTotals(rows(9999, 1, 0)).coveragePercent).toBe(99.9);
  });

  it('is 100 % when there is nothing to protect', () => {
    expect(coverageTotals(rows(0, 0, 3)).coveragePercent).toBe(100);
  });
});

describe('the coverage settings', () => {
  it('reads WATCH_REGIONS, COVERAGE_GRACE_MINUTES and AUTO_REPAIR_COVERAGE, with their defaults', () => {
    expect(parseConfig(base)).toMatchObject({
      watchRegions: undefined,
      coverageGraceMinutes: 60,
      autoRepairCoverage: false,
    });
    expect(
      parseConfig({
        ...base,
        WATCH_REGIONS: ' us-east-1, eu-west-1,us-east-1',
        COVERAGE_GRACE_MINUTES: '0',
        AUTO_REPAIR_COVERAGE: 'TRUE',
      }),
    ).toMatchObject({ watchRegions: ['us-east-1', 'eu-west-1'], coverageGraceMinutes: 0, autoRepairCoverage: true });
  });

  it.each([
    [
      'WATCH_REGIONS',
      'us-east-1,Frankfurt',
      'WATCH_REGIONS must be a comma-separated list of AWS region names such as us-east-1,eu-west-1; not regions: Frankfurt',
    ],
    ['WATCH_REGIONS', ',', 'WATCH_REGIONS must be a comma-separated list'],
    [
      'COVERAGE_GRACE_MINUTES',
      '-5',
      'COVERAGE_GRACE_MINUTES must be a whole number of minutes from 0 to 10080, got "-5"',
    ],
    ['AUTO_REPAIR_COVERAGE', 'yes', 'AUTO_REPAIR_COVERAGE must be true or false, got "yes"'],
  ])('refuses %s=%s, naming the variable', (name, value, message) => {
    expect(() => parseConfig({ ...base, [name]: value })).toThrow(message);
  });
});

describe('exactNameFilters', () => {
  it('matches exactly the names given, and nothing that only contains one of them', () => {
    const [filter] = exactNameFilters(['orders', 'a.b-c']);
    const pattern = compileNamePattern(filter as string, 'tableFilter');
    if ('error' in pattern) throw new Error(pattern.error);
    expect(['orders', 'a.b-c'].map((n) => pattern.test(n))).toEqual([true, true]);
    expect(['orders-2', 'axb-c', 'my-orders'].map((n) => pattern.test(n))).toEqual([false, false, false]);
  });

  it('splits hundreds of names into filters backfill accepts, which together match exactly those names', () => {
    const names = Array.from({ length: 400 }, (_, i) => `service-${i}.events-archive`);
    const filters = exactNameFilters(names);
    expect(filters.length).toBeGreaterThan(1);
    const patterns = filters.map((f) => {
      const p = compileNamePattern(f, 'tableFilter');
      if ('error' in p) throw new Error(p.error);
      return p;
    });
    expect(names.every((n) => patterns.filter((p) => p.test(n)).length === 1)).toBe(true);
    expect(patterns.some((p) => p.test('service-400.events-archive'))).toBe(false);
    expect(filters.every((f) => f.length <= 1000)).toBe(true);
    const longest = 'x.'.repeat(127).concat('y'); // 255 characters, 127 of them escaped
    expect(exactNameFilters([longest, longest.replace('y', 'z'), longest.replace('y', 'w')])).toHaveLength(2);
  });
});
