import { classifyPipeline } from '../../lib/backup-engines/datapipeline/health';
import { parseBackfillInput, planQuota, summarize } from '../../lib/domain/backfill';
import { InvalidEventError } from '../../lib/errors';

const allowed = ['111111111111', '222222222222'];

describe('parseBackfillInput', () => {
  it('applies the documented defaults', () => {
    expect(parseBackfillInput({ regions: ['us-east-1'] }, allowed)).toEqual({
      accounts: undefined,
      regions: ['us-east-1'],
      tableFilter: undefined,
      dryRun: false,
      concurrency: 4,
      pipelineQuota: 100,
    });
  });

  it('reads every field', () => {
    const input = parseBackfillInput(
      {
        accounts: ['111111111111'],
        regions: ['us-east-1', 'eu-west-1'],
        tableFilter: '^orders',
        dryRun: true,
        concurrency: 8,
        pipelineQuota: 150,
      },
      allowed,
    );
    expect(input).toMatchObject({
      accounts: ['111111111111'],
      regions: ['us-east-1', 'eu-west-1'],
      dryRun: true,
      concurrency: 8,
      pipelineQuota: 150,
    });
    expect(input.tableFilter?.test('orders-v2')).toBe(true);
  });

  it.each([
    ['not an object', 'us-east-1', /must be a JSON object/],
    ['no regions', {}, /regions is required/],
    ['an empty region list', { regions: [] }, /regions must name at least one region/],
    ['a bad region', { regions: ['moon-1'] }, /regions.0 is not an AWS region name/],
    ['a bad account id', { regions: ['us-east-1'], accounts: ['12'] }, /accounts.0 must be a 12-digit account id/],
    [
      'an account outside SOURCE_ACCOUNTS',
      { regions: ['us-east-1'], accounts: ['333333333333'] },
      /accounts not in SOURCE_ACCOUNTS: 333333333333/,
    ],
    ['a misspelt field', { regions: ['us-east-1'], dryrun: true }, /unknown field\(s\) dryrun/],
    ['a dryRun that is a string', { regions: ['us-east-1'], dryRun: 'yes' }, /dryRun must be true or false/],
    ['a concurrency of 0', { regions: ['us-east-1'], concurrency: 0 }, /concurrency/],
    ['a bad filter', { regions: ['us-east-1'], tableFilter: '(' }, /tableFilter is not a valid regular expression/],
  ])('rejects %s with a clear error', (_name, input, message) => {
    expect(() => parseBackfillInput(input, allowed)).toThrow(InvalidEventError);
    expect(() => parseBackfillInput(input, allowed)).toThrow(message);
  });
});

describe('planQuota', () => {
  const c = (accountId: string, n: number, pipelineRegion = 'us-east-1') => ({ accountId, pipelineRegion, n });
  it('lets candidates in up to the quota, counting the pipelines already there, per account and region', () => {
    const candidates = [c('A', 1), c('A', 2), c('A', 3), c('B', 1), c('A', 4, 'eu-west-1')];
    const { fits, overQuota } = planQuota(candidates, new Map([['A/us-east-1', 98]]), 100);
    expect(fits.map((x) => `${x.accountId}${x.n}${x.pipelineRegion}`)).toEqual([
      'A1us-east-1',
      'A2us-east-1',
      'B1us-east-1',
      'A4eu-west-1',
    ]);
    expect(overQuota).toEqual([c('A', 3)]);
  });
  it('puts everything over quota when the account is full', () => {
    expect(planQuota([c('A', 1)], new Map([['A/us-east-1', 100]]), 100).overQuota).toHaveLength(1);
  });
});

describe('summarize', () => {
  it('counts each outcome, per account, and says it in one line', () => {
    const s = summarize(
      [
        { table: '111111111111/us-east-1/a', account: '111111111111', outcome: 'onboarded' },
        { table: '111111111111/us-east-1/b', account: '111111111111', outcome: 'already-backed-up' },
        { table: '111111111111/us-east-1/tmp-c', account: '111111111111', outcome: 'skipped', reason: 'excluded' },
        { table: '222222222222/us-east-1/d', account: '222222222222', outcome: 'failed', error: 'AccessDenied' },
        { table: '222222222222/us-east-1/e', account: '222222222222', outcome: 'onboarded' },
      ],
      false,
    );
    expect(s.counts).toEqual({ planned: 3, onboarded: 2, alreadyBackedUp: 1, skipped: 1, failed: 1 });
    expect(s.byAccount['111111111111']).toEqual({
      planned: 1,
      onboarded: 1,
      alreadyBackedUp: 1,
      skipped: 1,
      failed: 0,
    });
    expect(s.byAccount['222222222222']).toEqual({
      planned: 2,
      onboarded: 1,
      alreadyBackedUp: 0,
      skipped: 0,
      failed: 1,
    });
    expect(s.skipped).toEqual([{ table: '111111111111/us-east-1/tmp-c', reason: 'excluded' }]);
    expect(s.failed).toEqual([{ table: '222222222222/us-east-1/d', error: 'AccessDenied' }]);
    expect(s.text).toBe(
      'backfill: 3 planned, 2 onboarded, 1 already backed up, 1 skipped, 1 failed' +
        ' | 111111111111: 1 planned, 1 onboarded, 1 already, 1 skipped, 0 failed' +
        ' | 222222222222: 2 planned, 1 onboarded, 0 already, 0 skipped, 1 failed',
    );
  });
  it('says a dry run wrote nothing', () => {
    const s = summarize([{ table: 'x', account: '111111111111', outcome: 'planned' }], true);
    expect(s.text).toMatch(/^backfill \(dry run, nothing written\): 1 planned, 0 onboarded/);
    expect(s.planned).toEqual(['x']);
  });
});

describe('classifyPipeline', () => {
  const status = (state?: string, health?: string) => ({ pipelineId: 'df-1', name: 'p', state, health, tags: {} });
  it('is healthy when SCHEDULED and not in ERROR', () =>
    expect(classifyPipeline(status('SCHEDULED', 'HEALTHY'))).toBeUndefined());
  it('reports ERROR health first', () => expect(classifyPipeline(status('SCHEDULED', 'ERROR'))).toBe('error'));
  it.each(['PENDING', 'INACTIVE', 'FINISHED', 'DEACTIVATING', undefined])(
    'reports state %s as not scheduled',
    (state) => expect(classifyPipeline(status(state, 'HEALTHY'))).toBe('not-scheduled'),
  );
  it('reports a pipeline the account no longer has as vanished', () =>
    expect(classifyPipeline(undefined)).toBe('vanished'));
});
