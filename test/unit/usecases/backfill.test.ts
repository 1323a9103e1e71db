import { InvalidEventError } from '../../../lib/errors';
import { backfill } from '../../../lib/usecases/backfill';
import { onboardTable } from '../../../lib/usecases/onboard';
import { A, B, BUCKET, type FakeWorld, fakeWorld, REGION, ref } from '../../support/fakes/world';

const key = (account: string, table: string, region = REGION) => `${account}/${region}/${table}`;

describe('backfill', () => {
  let w: FakeWorld;
  beforeEach(async () => {
    w = fakeWorld();
    for (const t of ['orders', 'payments', 'invoices', 'tmp-scratch', 'legacy']) w.accounts.add(A, REGION, t);
    w.accounts.add(A, REGION, 'legacy', { tags: { 'ddb-backup': 'off' } });
    w.accounts.add(B, REGION, 'customers');
    await onboardTable(w.deps, ref(A, 'orders'));
    w.telemetry.metrics.length = 0;
  });

  it('plans exactly the tables to onboard in a dry run, and writes nothing at all', async () => {
    const [registryCalls, engineCalls, policyWrites] = [
      w.registry.calls.length,
      w.engine.calls.length,
      w.policy.writes.length,
    ];
    const s = await backfill(w.deps, { regions: [REGION], dryRun: true });
    expect(s.planned.sort()).toEqual([key(A, 'invoices'), key(A, 'payments'), key(B, 'customers')]);
    expect(s.alreadyBackedUp).toEqual([key(A, 'orders')]);
    expect(s.skipped).toEqual(
      expect.arrayContaining([
        { table: key(A, 'tmp-scratch'), reason: expect.stringMatching(/TABLE_EXCLUDE_PATTERN/) },
        { table: key(A, 'legacy'), reason: expect.stringMatching(/tagged ddb-backup=off/) },
      ]),
    );
    expect(s.counts).toEqual({ planned: 3, onboarded: 0, alreadyBackedUp: 1, skipped: 2, failed: 0 });
    expect(w.registry.calls.slice(registryCalls)).toEqual(['listTables']);
    expect(w.engine.calls.slice(engineCalls)).toEqual([`inventory ${A}/${REGION}`, `inventory ${B}/${REGION}`]);
    expect(w.policy.writes).toHaveLength(policyWrites);
  });

  it('onboards them through the onboarding path, and is a no-op the second time', async () => {
    const s = await backfill(w.deps, { regions: [REGION] });
    expect(s.onboarded.sort()).toEqual([key(A, 'invoices'), key(A, 'payments'), key(B, 'customers')]);
    expect(s.byAccount[B]).toEqual({ planned: 1, onboarded: 1, alreadyBackedUp: 0, skipped: 0, failed: 0 });
    expect(w.registry.record(ref(B, 'customers'))?.status).toBe('ACTIVE');
    expect(w.grants.granted(BUCKET)).toEqual([A, B]);
    const again = await backfill(w.deps, { regions: [REGION] });
    expect(again.counts).toEqual({ planned: 0, onboarded: 0, alreadyBackedUp: 4, skipped: 2, failed: 0 });
    expect(w.engine.resources.size).toBe(4);
  });

  it('counts a table the engine already backs up (its registry record lost) as backed up', async () => {
    w.engine.foreign.set(`${A}/${REGION}`, [ref(A, 'payments').tableArn]);
    const s = await backfill(w.deps, { regions: [REGION], accounts: [A], dryRun: true });
    expect(s.alreadyBackedUp.sort()).toEqual([key(A, 'orders'), key(A, 'payments')]);
    expect(s.planned).toEqual([key(A, 'invoices')]);
  });

  it('skips, with the reason, the tables beyond the quota, counting what the account already has', async () => {
    w.engine.foreign.set(`${A}/${REGION}`, ['arn:aws:dynamodb:us-east-1:111111111111:table/made-by-hand']);
    const s = await backfill(w.deps, { regions: [REGION], accounts: [A], pipelineQuota: 3 });
    expect(s.onboarded).toEqual([key(A, 'invoices')]);
    expect(s.skipped).toContainEqual({
      table: key(A, 'payments'),
      reason: expect.stringMatching(/quota of 3 pipelines reached in account 111111111111 \(us-east-1\)/),
    });
  });

  it('skips a table in a region the engine does not run in, saying why', async () => {
    w.accounts.add(A, 'eu-central-1', 'eu-orders');
    const s = await backfill(w.deps, { regions: ['eu-central-1'], accounts: [A], dryRun: true });
    expect(s.skipped).toEqual([
      {
        table: key(A, 'eu-orders', 'eu-central-1'),
        reason: 'region eu-central-1 has no engine endpoint and PIPELINE_REGION is not set',
      },
    ]);
  });

  it('keeps going when one table fails, and counts the failure', async () => {
    w.engine.failAt('create', { error: new Error('ThrottlingException: rate exceeded') });
    const s = await backfill(w.deps, { regions: [REGION], concurrency: 1 });
    expect(s.counts).toMatchObject({ planned: 3, onboarded: 2, failed: 1 });
    expect(s.failed).toEqual([{ table: expect.any(String), error: 'ThrottlingException: rate exceeded' }]);
    expect(w.telemetry.metrics).toContain('BackfillFailed');
  });

  it('keeps going when an account cannot be listed, naming it as failed', async () => {
    w.accounts.breakPlace(B, REGION, new Error('AccessDenied: cannot assume the source role'));
    const s = await backfill(w.deps, { regions: [REGION] });
    expect(s.failed).toEqual([{ table: key(B, '*'), error: 'AccessDenied: cannot assume the source role' }]);
    expect(s.onboarded.sort()).toEqual([key(A, 'invoices'), key(A, 'payments')]);
  });

  it('keeps going when the engine cannot take an account’s inventory, failing only its tables', async () => {
    w.engine.failAt('inventory', { where: `${B}/${REGION}`, error: new Error('AccessDeniedException') });
    const s = await backfill(w.deps, { regions: [REGION] });
    expect(s.failed).toEqual([{ table: key(B, 'customers'), error: 'AccessDeniedException' }]);
    expect(s.counts.onboarded).toBe(2);
  });

  it('rejects bad input with a clear error, before any call', async () => {
    const calls = w.registry.calls.length;
    await expect(backfill(w.deps, { regions: [REGION], dryrun: true })).rejects.toThrow(InvalidEventError);
    await expect(backfill(w.deps, { regions: [REGION], dryrun: true })).rejects.toThrow(/unknown field\(s\) dryrun/);
    expect(w.registry.calls).toHaveLength(calls);
  });
});
