import { parseConfig } from '../../lib/config';
import { parseBackfillInput } from '../../lib/domain/backfill';
import { selectTable } from '../../lib/domain/selection';
import { ConfigError } from '../../lib/errors';

const valid = {
  BACKUP_BUCKET: 'corp-ddb-backups',
  BACKUP_ROLE_ARN: 'arn:aws:iam::999999999999:role/ddb-backup-policy-writer',
  SOURCE_ROLE_NAME: 'ddb-backup-orchestrator',
  SOURCE_ACCOUNTS: '111111111111, 222222222222',
  REGISTRY_TABLE: 'ddb-backup-registry',
};

describe('parseConfig', () => {
  it('reads the required variables and applies the documented defaults', () => {
    const c = parseConfig(valid);
    expect(c).toMatchObject({
      backupBucket: 'corp-ddb-backups',
      backupAccountId: '999999999999',
      sourceAccounts: ['111111111111', '222222222222'],
      backupTimeUtc: { hour: 3, minute: 0 },
      readThroughputRatio: 0.25,
      optOutTag: 'ddb-backup',
      lockLeaseSeconds: 60,
    });
    expect(c.externalId).toBeUndefined();
    expect(c.pipelineRegion).toBeUndefined();
    expect(c.tableExcludePattern).toBeUndefined();
  });

  it('reads the optional variables', () => {
    const c = parseConfig({
      ...valid,
      EXTERNAL_ID: 'shared-secret-1',
      BACKUP_TIME_UTC: '22:45',
      READ_THROUGHPUT_RATIO: '0.5',
      PIPELINE_REGION: 'eu-west-1',
      TABLE_EXCLUDE_PATTERN: '^(tmp|test)-',
      OPT_OUT_TAG: 'backup',
    });
    expect(c).toMatchObject({
      externalId: 'shared-secret-1',
      backupTimeUtc: { hour: 22, minute: 45 },
      readThroughputRatio: 0.5,
      pipelineRegion: 'eu-west-1',
      optOutTag: 'backup',
    });
    expect(c.tableExcludePattern?.test('tmp-x')).toBe(true);
  });

  it('needs ORGANIZATION_ID for the organization layout', () => {
    expect(() => parseConfig({ ...valid, POLICY_LAYOUT: 'organization' })).toThrow(
      'POLICY_LAYOUT=organization needs ORGANIZATION_ID',
    );
    expect(
      parseConfig({ ...valid, POLICY_LAYOUT: 'organization', ORGANIZATION_ID: 'o-a1b2c3d4e5' }).organizationId,
    ).toBe('o-a1b2c3d4e5');
  });

  it('names every missing variable at once', () => {
    expect.assertions(5);
    expect(() => parseConfig({})).toThrow(ConfigError);
    try {
      parseConfig({ BACKUP_BUCKET: 'corp-ddb-backups' });
    } catch (e) {
      expect((e as Error).message).toMatch(/BACKUP_ROLE_ARN environment variable is not set/);
      expect((e as Error).message).toMatch(/SOURCE_ROLE_NAME environment variable is not set/);
      expect((e as Error).message).toMatch(/SOURCE_ACCOUNTS environment variable is not set/);
      expect((e as Error).message).toMatch(/REGISTRY_TABLE environment variable is not set/);
    }
  });

  it.each([
    ['BACKUP_BUCKET', 'Corp_Backups', /BACKUP_BUCKET is not a valid S3 bucket name/],
    ['BACKUP_ROLE_ARN', 'arn:aws:iam::99:role/x', /BACKUP_ROLE_ARN must be an IAM role ARN/],
    ['SOURCE_ROLE_NAME', 'arn:aws:iam::111111111111:role/x', /SOURCE_ROLE_NAME must be an IAM role name/],
    ['SOURCE_ACCOUNTS', '111111111111,abc', /not 12-digit account ids: abc/],
    ['SOURCE_ACCOUNTS', ' , ', /SOURCE_ACCOUNTS lists no account/],
    ['BACKUP_TIME_UTC', '3am', /BACKUP_TIME_UTC must be HH:MM/],
    ['BACKUP_TIME_UTC', '24:00', /BACKUP_TIME_UTC must be HH:MM/],
    ['READ_THROUGHPUT_RATIO', '0.05', /READ_THROUGHPUT_RATIO must be a number from 0.1 to 1.0, got "0.05"/],
    ['READ_THROUGHPUT_RATIO', 'lots', /READ_THROUGHPUT_RATIO must be a number/],
    ['PIPELINE_REGION', 'eu-central-1', /PIPELINE_REGION must be a region with a Data Pipeline endpoint/],
    ['TABLE_EXCLUDE_PATTERN', '([', /TABLE_EXCLUDE_PATTERN is not a valid regular expression for RE2/],
    ['ALARM_TOPIC_ARN', 'alarms', /ALARM_TOPIC_ARN must be an SNS topic ARN/],
    ['LOCK_LEASE_SECONDS', '1', /LOCK_LEASE_SECONDS must be a whole number from 5 to 900/],
    ['DATA_PIPELINE_RATE', '0', /DATA_PIPELINE_RATE must be calls per second/],
    ['DATA_PIPELINE_BURST', '2.5', /DATA_PIPELINE_BURST must be a whole number from 1 to 10000/],
    ['POLICY_LAYOUT', 'tiny', /POLICY_LAYOUT must be one of per-account, compact, organization, auto, got "tiny"/],
    ['ORGANIZATION_ID', 'org-1', /ORGANIZATION_ID must be an AWS Organizations id/],
  ])('rejects a malformed %s (%s) with a message naming it', (name, value, message) => {
    expect(() => parseConfig({ ...valid, [name]: value })).toThrow(message);
  });
});

describe('operator patterns (TABLE_EXCLUDE_PATTERN, backfill tableFilter)', () => {
  // With JavaScript's backtracking RegExp, '^(a+)+$' against a 29-character name took 20 s: RE2
  // matches in time linear in the name's length, whatever the pattern.
  const EVIL = ['^(a+)+$', '(a|a)*$', '(a|aa)+$', '(.*a){12}'];
  const almost = `${'a'.repeat(28)}!`; // 29 characters that make a backtracking engine try every split
  const longest = `${'a'.repeat(254)}!`; // the longest DynamoDB table name

  it.each(EVIL)('matches %s against the worst names, with the answer a correct regex engine gives', (source) => {
    const c = parseConfig({ ...valid, TABLE_EXCLUDE_PATTERN: source });
    const expected: Record<string, [boolean, boolean, boolean]> = {
      '^(a+)+$': [false, false, true],
      '(a|a)*$': [true, true, true],
      '(a|aa)+$': [false, false, true],
      '(.*a){12}': [true, true, false],
    };
    expect([almost, longest, 'aaa'].map((n) => c.tableExcludePattern?.test(n))).toEqual(expected[source]);
    const input = parseBackfillInput({ regions: ['us-east-1'], tableFilter: source }, ['111111111111']);
    expect([almost, longest, 'aaa'].map((n) => input.tableFilter?.test(n))).toEqual(expected[source]);
  });

  it.each([
    ['^(tmp|test)-', ['tmp-orders', 'test-x'], ['orders', 'my-tmp-x']],
    ['-staging$', ['orders-staging'], ['orders', 'staging-orders']],
    ['(?i)^TMP', ['tmp-x', 'TMP-y'], ['x-tmp']],
  ])('still matches an ordinary pattern %s as before', (source, hits, misses) => {
    const pattern = parseConfig({ ...valid, TABLE_EXCLUDE_PATTERN: source }).tableExcludePattern;
    expect(hits.map((n) => pattern?.test(n))).toEqual(hits.map(() => true));
    expect(misses.map((n) => pattern?.test(n))).toEqual(misses.map(() => false));
  });

  it.each([
    ['a backreference', '^(a)\\1$'],
    ['a lookahead', '^(?=tmp)'],
    ['a negative lookbehind', '(?<!x)tmp'],
  ])('refuses %s, naming the variable and why', (_what, source) => {
    expect(() => parseConfig({ ...valid, TABLE_EXCLUDE_PATTERN: source })).toThrow(
      /TABLE_EXCLUDE_PATTERN is not a valid regular expression for RE2 \(linear-time matching: no backreferences, no lookaround\)/,
    );
    expect(() => parseBackfillInput({ regions: ['us-east-1'], tableFilter: source }, [])).toThrow(
      /invalid backfill input: tableFilter is not a valid regular expression for RE2/,
    );
  });

  it('refuses a pattern longer than 1000 characters', () => {
    expect(() => parseConfig({ ...valid, TABLE_EXCLUDE_PATTERN: 'a'.repeat(1001) })).toThrow(
      /TABLE_EXCLUDE_PATTERN is 1001 characters long; at most 1000/,
    );
  });
});

describe('selectTable', () => {
  const rules = { sourceAccounts: ['111111111111'], tableExcludePattern: /^tmp-/, optOutTag: 'ddb-backup' };
  it('selects a table from an allowed account with no opt-out', () => {
    expect(selectTable({ accountId: '111111111111', tableName: 'orders' }, { team: 'x' }, rules)).toBeUndefined();
  });
  it('leaves out an account that is not allowed', () => {
    expect(selectTable({ accountId: '222222222222', tableName: 'orders' }, {}, rules)?.reason).toBe(
      'AccountNotAllowed',
    );
  });
  it('leaves out a table matching the exclude pattern', () => {
    expect(selectTable({ accountId: '111111111111', tableName: 'tmp-orders' }, {}, rules)?.reason).toBe(
      'ExcludedByPattern',
    );
  });
  it.each(['off', 'OFF', 'false', 'no', 'disabled', 'skip', ' exclude '])(
    'leaves out a table tagged ddb-backup=%s',
    (value) => {
      expect(
        selectTable({ accountId: '111111111111', tableName: 'orders' }, { 'ddb-backup': value }, rules)?.reason,
      ).toBe('OptedOutByTag');
    },
  );
  it('keeps a table whose opt-out tag says anything else', () => {
    expect(
      selectTable({ accountId: '111111111111', tableName: 'orders' }, { 'ddb-backup': 'on' }, rules),
    ).toBeUndefined();
  });
});
