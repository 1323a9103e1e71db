import { InvalidEventError, LockBusyError } from '../../../lib/errors';
import { offboardFromEvent } from '../../../lib/usecases/offboard';
import { onboardFromEvent } from '../../../lib/usecases/onboard';
import { A, BUCKET, type FakeWorld, fakeWorld, OUTSIDER, REGION, ref } from '../../support/fakes/world';
import { loadEvent, tableEvent } from '../../support/fixtures';

describe('offboard', () => {
  let w: FakeWorld;
  beforeEach(async () => {
    w = fakeWorld();
    await onboardFromEvent(w.deps, tableEvent('create-table', A, 'orders', '2026-11-20T10:00:00Z'));
  });
  const remove = (account: string, table: string, time = '2026-11-26T10:00:00Z') =>
    offboardFromEvent(w.deps, tableEvent('delete-table', account, table, time));

  it('removes the deleted table’s backup resource, records the delete, and keeps the grant', async () => {
    const policy = w.policy.text;
    const result = await remove(A, 'orders');
    expect(result).toMatchObject({ outcome: 'offboarded', pipelineId: 'res-1', deactivation: 'done' });
    expect(w.engine.calls).toContain('remove res-1');
    expect(w.engine.resources.size).toBe(0);
    const record = w.registry.record(ref(A, 'orders'));
    expect(record).toMatchObject({
      status: 'OFFBOARDED',
      deletedEventTime: '2026-11-26T10:00:00Z',
      offboardedAt: expect.any(String),
    });
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
    expect(w.registry.record(ref(A, 'orders'))).toMatchObject({
      status: 'OFFBOARDED',
      deletedEventTime: '2026-11-26T10:00:00Z',
    });
  });

  it('records the delete of a table never onboarded, so that a late CreateTable of it is stale', async () => {
    await expect(remove(A, 'never-seen')).resolves.toMatchObject({ outcome: 'not-onboarded' });
    expect(w.engine.calls.filter((c) => c.startsWith('remove'))).toEqual([]);
    expect(w.registry.record(ref(A, 'never-seen'))).toMatchObject({
      status: 'OFFBOARDED',
      deletedEventTime: '2026-11-26T10:00:00Z',
    });
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
    w.registry.seed({
      accountId: A,
      region: REGION,
      tableName: 'busy',
      status: 'PENDING',
      leaseOwner: 'onboarding',
      leaseExpiresAt: w.clock.now() + 60_000,
    });
    await expect(remove(A, 'busy')).rejects.toThrow(LockBusyError);
    expect(w.registry.record(ref(A, 'busy'))?.status).toBe('PENDING');
  });

  describe('Given a table deleted and created again (a new incarnation, a new tableId)', () => {
    const OLD = '3c9f2a1e-7b4d-4e8a-9f0c-1a2b3c4d5e6f'; // the incarnation onboarded in beforeEach (the events' own tableId)
    const NEW = '0f1e2d3c-4b5a-4968-8776-655443322110';
    const createAgain = (time = '2026-11-27T09:00:00Z') =>
      onboardFromEvent(w.deps, tableEvent('create-table', A, 'orders', time, NEW));
    const deleteOf = (tableId: string | undefined, time: string) => {
      const e = tableEvent('delete-table', A, 'orders', time);
      if (tableId === undefined) delete e.detail.responseElements.tableDescription.tableId;
      else e.detail.responseElements.tableDescription.tableId = tableId;
      return offboardFromEvent(w.deps, e);
    };

    it('keeps the re-created table’s backup when the old incarnation’s DeleteTable arrives late (redriven from the DLQ)', async () => {
      await deleteOf(OLD, '2026-11-26T10:00:00Z');
      await createAgain();
      const active = w.registry.record(ref(A, 'orders'));
      expect(active).toMatchObject({
        status: 'ACTIVE',
        tableId: NEW,
        createdEventTime: '2026-11-27T09:00:00Z',
        pipelineId: 'res-2',
      });
      const removesBefore = w.engine.calls.filter((c) => c.startsWith('remove'));

      const late = await deleteOf(OLD, '2026-11-26T10:00:00Z');
      expect(late).toMatchObject({
        outcome: 'ignored',
        reason: 'StaleEvent',
        message: expect.stringMatching(/is of an older incarnation than the one backed up \(tableId 0f1e2d3c/),
      });
      expect(w.engine.calls.filter((c) => c.startsWith('remove'))).toEqual(removesBefore);
      expect(w.engine.resources.has('res-2')).toBe(true);
      const after = w.registry.record(ref(A, 'orders'));
      expect(after).toMatchObject({ status: 'ACTIVE', tableId: NEW, pipelineId: 'res-2' });
      expect(after?.leaseOwner).toBeUndefined();
      expect(w.telemetry.metrics).toContain('EventIgnored{Reason=StaleEvent}');
    });

    it('offboards the table when the DeleteTable is of the incarnation backed up', async () => {
      await deleteOf(OLD, '2026-11-26T10:00:00Z');
      await createAgain();
      await expect(deleteOf(NEW, '2026-11-28T10:00:00Z')).resolves.toMatchObject({
        outcome: 'offboarded',
        pipelineId: 'res-2',
      });
      expect(w.registry.record(ref(A, 'orders'))).toMatchObject({
        status: 'OFFBOARDED',
        tableId: NEW,
        deletedEventTime: '2026-11-28T10:00:00Z',
      });
    });

    it('keeps the backup when the re-create is delivered before the old incarnation’s DeleteTable (reordered pair)', async () => {
      // The record holds the old incarnation ACTIVE; the new CreateTable comes first: the record takes the new tableId.
      const recreated = await createAgain();
      expect(recreated).toMatchObject({ outcome: 'already-onboarded', pipelineId: 'res-1', pipelineCreated: false });
      expect(w.registry.record(ref(A, 'orders'))).toMatchObject({
        status: 'ACTIVE',
        tableId: NEW,
        createdEventTime: '2026-11-27T09:00:00Z',
        pipelineId: 'res-1',
      });
      expect(w.engine.calls.filter((c) => c.startsWith('create'))).toHaveLength(1);
      // Then the old incarnation's DeleteTable: stale, the resource (which names the table) stays.
      await expect(deleteOf(OLD, '2026-11-26T10:00:00Z')).resolves.toMatchObject({
        outcome: 'ignored',
        reason: 'StaleEvent',
      });
      expect(w.engine.resources.has('res-1')).toBe(true);
      expect(w.registry.record(ref(A, 'orders'))?.status).toBe('ACTIVE');
    });

    it('ignores the old incarnation’s CreateTable delivered again after the re-create, writing nothing', async () => {
      await deleteOf(OLD, '2026-11-26T10:00:00Z');
      await createAgain();
      const before = w.registry.record(ref(A, 'orders'));
      const late = await onboardFromEvent(w.deps, tableEvent('create-table', A, 'orders', '2026-11-20T10:00:00Z', OLD));
      expect(late).toMatchObject({
        outcome: 'ignored',
        reason: 'StaleEvent',
        message: expect.stringMatching(/is older than the incarnation the registry holds \(tableId 0f1e2d3c/),
      });
      expect(w.registry.record(ref(A, 'orders'))).toEqual(before);
    });

    it('treats the deleted incarnation’s own CreateTable as stale whatever its time', async () => {
      await deleteOf(OLD, '2026-11-26T10:00:00Z');
      const late = await onboardFromEvent(w.deps, tableEvent('create-table', A, 'orders', '2026-11-30T10:00:00Z', OLD));
      expect(late).toMatchObject({
        outcome: 'ignored',
        reason: 'StaleEvent',
        message: expect.stringMatching(/is of the incarnation deleted at 2026-11-26T10:00:00Z/),
      });
      expect(w.registry.record(ref(A, 'orders'))?.status).toBe('OFFBOARDED');
    });

    it('offboards when a later incarnation’s DeleteTable arrives before its CreateTable: no table of that name is left', async () => {
      await expect(deleteOf(NEW, '2026-11-28T10:00:00Z')).resolves.toMatchObject({
        outcome: 'offboarded',
        pipelineId: 'res-1',
      });
      expect(w.registry.record(ref(A, 'orders'))).toMatchObject({ status: 'OFFBOARDED', tableId: NEW });
      // Its CreateTable, then the first incarnation's DeleteTable, arrive late: both stale / duplicate.
      await expect(createAgain()).resolves.toMatchObject({ outcome: 'ignored', reason: 'StaleEvent' });
      await expect(deleteOf(OLD, '2026-11-26T10:00:00Z')).resolves.toMatchObject({ outcome: 'already-offboarded' });
      expect(w.registry.record(ref(A, 'orders'))).toMatchObject({
        status: 'OFFBOARDED',
        tableId: NEW,
        deletedEventTime: '2026-11-28T10:00:00Z',
      });
    });

    describe('When the events carry no tableId', () => {
      it('falls back to event times: a DeleteTable older than the CreateTable backed up is stale', async () => {
        await deleteOf(undefined, '2026-11-26T10:00:00Z');
        const e = tableEvent('create-table', A, 'orders', '2026-11-27T09:00:00Z');
        delete e.detail.responseElements.tableDescription.tableId;
        await onboardFromEvent(w.deps, e);
        expect(w.registry.record(ref(A, 'orders'))).toMatchObject({
          status: 'ACTIVE',
          pipelineId: 'res-2',
          createdEventTime: '2026-11-27T09:00:00Z',
        });
        await expect(deleteOf(undefined, '2026-11-26T10:00:00Z')).resolves.toMatchObject({
          outcome: 'ignored',
          reason: 'StaleEvent',
        });
        expect(w.engine.resources.has('res-2')).toBe(true);
        await expect(deleteOf(undefined, '2026-11-28T10:00:00Z')).resolves.toMatchObject({
          outcome: 'offboarded',
          pipelineId: 'res-2',
        });
      });
    });
  });
});
