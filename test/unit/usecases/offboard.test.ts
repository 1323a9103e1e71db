import { InvalidEventError, LockBusyError } from '../../../lib/errors';
import { onboardFromEvent } from '../../../lib/usecases/onboard';
import { offboardFromEvent } from '../../../lib/usecases/offboard';
import { loadEvent, tableEvent } from '../../support/fixtures';
import { A, BUCKET, fakeWorld, type FakeWorld, OUTSIDER, ref, REGION } from '../../support/fakes/world';

describe('offboard', () => {
  let w: FakeWorld;
  beforeEach(async () => {
    w = fakeWorld();
    await onboardFromEvent(w.deps, tableEvent('create-table', A, 'orders', '2026-11-20T10:00:00Z'));
  });
  const remove = (account: string, table: string, time = '2026-11-26T10:00:00Z') => offboardFromEvent(w.deps, tableEvent('delete-table', account, table, time));

  it('removes the deleted table’s backup resource, records the delete, and keeps the grant', async () => {
    const policy = w.policy.text;
    const result = await remove(A, 'orders');
    expect(result).toMatchObject({ outcome: 'offboarded', pipelineId: 'res-1', deactivation: 'done' });
    expect(w.engine.calls).toContain('remove res-1');
    expect(w.engine.resources.size).toBe(0);
    const record = w.registry.record(ref(A, 'orders'));
    expect(record).toMatchObject({ status: 'OFFBOARDED', deletedEventTime: '2026-11-26T10:00:00Z', offboardedAt: expect.any(String) });
    expect(record?.leaseOwner).toBeUndefined();
    expect(w.policy.text).toBe(policy);
    expect(w.grants.granted(BUCKET)).toEqual([A]);
    expect(w.telemetry.metrics).toContain('TableOffboarded');
  });

  it('says when the engine could not deactivate before removing', async () => {
    w.engine.deactivation = 'failed';
    await expect(remove(A, 'orders')).resolves.toMatchObject({ outcome: 'offboarded', deactivation: 'failed' });
  });

  it('answers already offboarded to a duplicate DeleteTable, keeping the latest delete time', async () => {
    await remove(A, 'orders', '2026-11-26T10:00:00Z');
    const calls = w.engine.calls.length;
    await expect(remove(A, 'orders', '2026-11-25T10:00:00Z')).resolves.toMatchObject({ outcome: 'already-offboarded' });
    expect(w.engine.calls).toHaveLength(calls);
    expect(w.registry.record(ref(A, 'orders'))).toMatchObject({ status: 'OFFBOARDED', deletedEventTime: '2026-11-26T10:00:00Z' });
  });

  it('records the delete of a table never onboarded, so that a late CreateTable of it is stale', async () => {
    await expect(remove(A, 'never-seen')).resolves.toMatchObject({ outcome: 'not-onboarded' });
    expect(w.engine.calls.filter((c) => c.startsWith('remove'))).toEqual([]);
    expect(w.registry.record(ref(A, 'never-seen'))).toMatchObject({ status: 'OFFBOARDED', deletedEventTime: '2026-11-26T10:00:00Z' });
    const late = await onboardFromEvent(w.deps, tableEvent('create-table', A, 'never-seen', '2026-11-25T10:00:00Z'));
    expect(late).toMatchObject({ outcome: 'ignored', reason: 'StaleEvent' });
  });

  it.each([
    ['an account not in SOURCE_ACCOUNTS', () => tableEvent('delete-table', OUTSIDER, 'orders'), 'AccountNotAllowed'],
    ['a CreateTable', () => tableEvent('create-table', A, 'orders'), 'NotDeleteTable'],
    [
      'a failed DeleteTable call',
      () => {
        const e = loadEvent('create-table-failed');
        e.detail.eventName = 'DeleteTable';
        return e;
      },
      'FailedCall',
    ],
  ])('ignores %s, with its reason, and touches nothing', async (_name, event, reason) => {
    const [registryCalls, engineCalls] = [w.registry.calls.length, w.engine.calls.length];
    await expect(offboardFromEvent(w.deps, event())).resolves.toMatchObject({ outcome: 'ignored', reason });
    expect(w.telemetry.metrics).toContain(`EventIgnored{Reason=${reason}}`);
    expect([w.registry.calls.length, w.engine.calls.length]).toEqual([registryCalls, engineCalls]);
  });

  it('rejects a malformed event, naming the problem', async () => {
    const event = loadEvent('delete-table');
    delete event.detail.awsRegion;
    await expect(offboardFromEvent(w.deps, event)).rejects.toThrow(InvalidEventError);
    expect(w.telemetry.metrics).toContain('EventRejected');
  });

  it('rethrows a failed removal (the handler counts it), keeps the table ACTIVE with the error, and frees it for the retry', async () => {
    w.engine.failAt('remove', { error: new Error('AccessDeniedException: not allowed') });
    await expect(remove(A, 'orders')).rejects.toThrow('AccessDeniedException');
    const record = w.registry.record(ref(A, 'orders'));
    expect(record).toMatchObject({ status: 'ACTIVE', lastError: 'AccessDeniedException: not allowed' });
    expect(record?.leaseOwner).toBeUndefined();
    await expect(remove(A, 'orders')).resolves.toMatchObject({ outcome: 'offboarded' });
    expect(w.registry.record(ref(A, 'orders'))?.lastError).toBeUndefined();
  });

  it('waits for, then gives up on, a table another worker is still onboarding', async () => {
    w.registry.seed({ accountId: A, region: REGION, tableName: 'busy', status: 'PENDING', leaseOwner: 'onboarding', leaseExpiresAt: w.clock.now() + 60_000 });
    await expect(remove(A, 'busy')).rejects.toThrow(LockBusyError);
    expect(w.registry.record(ref(A, 'busy'))?.status).toBe('PENDING');
  });
});
