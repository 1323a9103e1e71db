import { ENGINE_WRITER_ACCESS } from '../../../lib/backup-engines/access';
import { accountStatements, grantedAccountsIn, parsePolicy } from '../../../lib/domain/policy';
import {
  ActivationFailedError,
  ConfigError,
  InvalidEventError,
  LeaseLostError,
  LockBusyError,
  PipelineDefinitionError,
  PolicyParseError,
  PolicyTooLargeError,
} from '../../../lib/errors';
import { onboardFromEvent, onboardTable } from '../../../lib/usecases/onboard';
import { A, B, BUCKET, type FakeWorld, fakeWorld, LEASE_MS, OUTSIDER, REGION, ref } from '../../support/fakes/world';
import { existingBucketPolicy, loadEvent, tableEvent } from '../../support/fixtures';

const FOREIGN = existingBucketPolicy();

describe('onboard', () => {
  let w: FakeWorld;
  beforeEach(() => {
    w = fakeWorld();
  });
  const create = (account: string, table: string, time?: string) =>
    onboardFromEvent(w.deps, tableEvent('create-table', account, table, time));

  describe('Given a CreateTable of a table never seen', () => {
    it('brings it under backup: one resource made and activated, the record ACTIVE, its key schema kept', async () => {
      const result = await onboardFromEvent(w.deps, loadEvent('create-table'));
      expect(result).toMatchObject({
        outcome: 'onboarded',
        pipelineCreated: true,
        pipelineId: 'res-1',
        pipelineRegion: REGION,
        outputLocation: `s3://${BUCKET}/${A}/${REGION}/orders/`,
      });
      expect(w.engine.calls).toEqual(['prepare orders', 'create orders res-1', 'define res-1', 'activate res-1']);
      expect(w.registry.record(ref(A, 'orders'))).toMatchObject({
        status: 'ACTIVE',
        pipelineId: 'res-1',
        pipelineRegion: REGION,
        generation: 1,
        leaseOwner: 'worker-1',
        leaseExpiresAt: 0, // expired in the write that marked it ACTIVE
        keySchema: [{ name: 'pk', type: 'S', keyType: 'HASH' }],
      });
      expect(w.telemetry.metrics).toEqual(['PolicyUpdated', 'TableOnboarded']);
    });

    it('grants the account exactly what the engine’s writers need, keeping every foreign statement', async () => {
      w.policy.text = JSON.stringify(FOREIGN);
      const result = await create(A, 'orders');
      expect(result).toMatchObject({ grant: { policyWritten: true, alreadyGranted: false, layout: 'per-account' } });
      const doc = parsePolicy(w.policy.text);
      expect(doc.Statement.slice(0, FOREIGN.Statement.length)).toEqual(FOREIGN.Statement);
      // The grant is the Data Pipeline engine's (lib/backup-engines/access.ts ENGINE_WRITER_ACCESS), whichever object runs it.
      expect(doc.Statement.filter((s) => s.Sid?.startsWith(`DdbBackupOrch${A}`))).toEqual(
        accountStatements(BUCKET, A, ENGINE_WRITER_ACCESS.datapipeline),
      );
      expect(w.grants.granted(BUCKET)).toEqual([A]);
      expect(w.grants.lease(BUCKET)).toEqual({ owner: undefined, expiresAt: undefined });
    });

    it('leaves the policy unread for a second table of an account already granted', async () => {
      await create(A, 'orders');
      const reads = w.policy.reads;
      const result = await create(A, 'payments');
      expect(result).toMatchObject({ outcome: 'onboarded', grant: { alreadyGranted: true, policyWritten: false } });
      expect(w.policy.reads).toBe(reads);
      expect(w.policy.writes).toHaveLength(1);
    });
  });

  describe('Given the same CreateTable again', () => {
    it('answers already onboarded, makes nothing and writes nothing', async () => {
      await create(A, 'orders');
      const [calls, writes] = [w.engine.calls.length, w.policy.writes.length];
      const again = await create(A, 'orders');
      expect(again).toMatchObject({
        outcome: 'already-onboarded',
        pipelineId: 'res-1',
        pipelineCreated: false,
        grant: { alreadyGranted: true },
      });
      expect(w.engine.calls.slice(calls)).toEqual(['prepare orders']);
      expect(w.policy.writes).toHaveLength(writes);
      expect(w.telemetry.metrics).toContain('TableAlreadyOnboarded');
    });

    it('lets ten concurrent deliveries make one resource', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => create(A, 'orders')));
      expect(results.filter((r) => r.outcome === 'onboarded')).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'already-onboarded')).toHaveLength(9);
      expect(w.engine.resources.size).toBe(1);
      expect(w.policy.writes).toHaveLength(1);
    });
  });

  describe('Given an event to leave alone', () => {
    it.each([
      ['a failed CreateTable call', () => loadEvent('create-table-failed'), 'FailedCall'],
      ['a DeleteTable', () => tableEvent('delete-table', A, 'orders'), 'NotCreateTable'],
      ['an account not in SOURCE_ACCOUNTS', () => tableEvent('create-table', OUTSIDER, 'orders'), 'AccountNotAllowed'],
      [
        'a table matching TABLE_EXCLUDE_PATTERN',
        () => tableEvent('create-table', A, 'tmp-scratch'),
        'ExcludedByPattern',
      ],
      [
        'a table tagged to opt out',
        () => {
          const e = tableEvent('create-table', A, 'legacy');
          e.detail.requestParameters.tags.push({ key: 'ddb-backup', value: 'Off' });
          return e;
        },
        'OptedOutByTag',
      ],
    ])('ignores %s, with its reason, and touches nothing', async (_name, event, reason) => {
      const result = await onboardFromEvent(w.deps, event());
      expect(result).toMatchObject({ outcome: 'ignored', reason });
      expect(w.telemetry.metrics).toEqual([`EventIgnored{Reason=${reason}}`]);
      expect(w.telemetry.logs.find((l) => l.level === 'warn')?.message).toMatch(/^ignored event: /);
      expect([w.registry.calls, w.engine.calls, w.grants.calls, w.policy.writes]).toEqual([[], [], [], []]);
    });

    it('rejects a malformed event, naming the problem, and counts it', async () => {
      const event = loadEvent('create-table');
      event.detail.recipientAccountId = 'not-an-account';
      await expect(onboardFromEvent(w.deps, event)).rejects.toThrow(InvalidEventError);
      expect(w.telemetry.metrics).toEqual(['EventRejected']);
      expect(w.registry.calls).toEqual([]);
    });
  });

  describe('Given a table that was deleted', () => {
    beforeEach(() => {
      w.registry.seed({
        accountId: A,
        region: REGION,
        tableName: 'orders',
        status: 'OFFBOARDED',
        pipelineId: 'res-old',
        deletedEventTime: '2026-11-26T10:00:00Z',
      });
    });

    it('ignores a CreateTable older than the DeleteTable as stale, and releases the lease', async () => {
      const result = await create(A, 'orders', '2026-11-20T09:00:00Z');
      expect(result).toMatchObject({
        outcome: 'ignored',
        reason: 'StaleEvent',
        message: expect.stringMatching(/is older than its DeleteTable at 2026-11-26T10:00:00Z/),
      });
      expect(w.telemetry.metrics).toContain('EventIgnored{Reason=StaleEvent}');
      expect(w.engine.calls).toEqual(['prepare orders']);
      expect(w.registry.record(ref(A, 'orders'))).toMatchObject({ status: 'OFFBOARDED', pipelineId: 'res-old' });
      expect(w.registry.record(ref(A, 'orders'))?.leaseOwner).toBeUndefined();
    });

    it('onboards the table created again later: a new generation, a new resource', async () => {
      const result = await create(A, 'orders', '2026-11-27T09:00:00Z');
      expect(result).toMatchObject({ outcome: 'onboarded', pipelineCreated: true, pipelineId: 'res-1' });
      expect(w.registry.record(ref(A, 'orders'))).toMatchObject({
        status: 'ACTIVE',
        generation: 2,
        pipelineId: 'res-1',
      });
    });
  });

  describe('Given a failure on the way', () => {
    it('records ACTIVATION_FAILED when only the activation fails, and the retry activates the same resource', async () => {
      w.engine.failAt('activate');
      await expect(create(A, 'orders')).rejects.toThrow(ActivationFailedError);
      expect(w.telemetry.metrics).toEqual(expect.arrayContaining(['ActivationFailed'])); // OnboardFailed: counted by the handler's middleware
      const failed = w.registry.record(ref(A, 'orders'));
      expect(failed).toMatchObject({
        status: 'ACTIVATION_FAILED',
        pipelineId: 'res-1',
        lastError: expect.stringMatching(/injected failure at activate/),
      });
      expect(failed?.leaseOwner).toBeUndefined(); // released at once: the retry need not wait

      const retry = await create(A, 'orders');
      expect(retry).toMatchObject({ outcome: 'onboarded', pipelineCreated: false, pipelineId: 'res-1' });
      expect(w.registry.record(ref(A, 'orders'))?.status).toBe('ACTIVE');
      expect(w.registry.record(ref(A, 'orders'))?.lastError).toBeUndefined();
      expect(w.telemetry.metrics.filter((m) => m === 'ActivationFailed')).toHaveLength(1);
    });

    it('finds the resource an attempt that died before recording it had made, instead of making a second', async () => {
      w.registry.failNext(
        'updateClaimed',
        new Error('Lambda timed out'),
        (args) => (args[3] as { transition?: { to: string } })?.transition?.to === 'CREATED',
      );
      await expect(create(A, 'orders')).rejects.toThrow('Lambda timed out');
      expect(w.registry.record(ref(A, 'orders'))?.pipelineId).toBeUndefined();
      const retry = await create(A, 'orders');
      expect(retry).toMatchObject({ outcome: 'onboarded', pipelineCreated: false, pipelineId: 'res-1' });
      expect(w.engine.resources.size).toBe(1);
    });

    it('keeps the status and records the error when the definition is refused, for the retry to complete', async () => {
      w.engine.failAt('define', { error: new PipelineDefinitionError('rejected', ['EmrCluster: invalid']) });
      await expect(create(A, 'orders')).rejects.toThrow(PipelineDefinitionError);
      expect(w.registry.record(ref(A, 'orders'))).toMatchObject({
        status: 'CREATED',
        lastError: expect.stringMatching(/EmrCluster: invalid/),
      });
      expect(w.telemetry.metrics).not.toContain('ActivationFailed');
    });

    it('fails before any call when the engine does not run in the table’s region and no fallback is set', async () => {
      await expect(onboardTable(w.deps, ref(A, 'eu-orders', 'eu-central-1'))).rejects.toThrow(ConfigError);
      expect([w.registry.calls, w.grants.calls]).toEqual([[], []]);
    });

    it('puts the resource in PIPELINE_REGION for a table in a region the engine does not run in', async () => {
      const result = await onboardTable(
        { ...w.deps, config: { ...w.config, pipelineRegion: 'eu-west-1' } },
        ref(A, 'eu-orders', 'eu-central-1'),
      );
      expect(result).toMatchObject({
        outcome: 'onboarded',
        pipelineRegion: 'eu-west-1',
        outputLocation: `s3://${BUCKET}/${A}/eu-central-1/eu-orders/`,
      });
    });

    it('fails before any call when the engine finds the definition invalid', async () => {
      w.engine.failAt('prepare');
      await expect(create(A, 'orders')).rejects.toThrow(PipelineDefinitionError);
      expect([w.registry.calls, w.grants.calls, w.policy.writes]).toEqual([[], [], []]);
    });

    it('gives up, retryably, on a table another worker holds longer than it may wait', async () => {
      w.registry.seed({
        accountId: A,
        region: REGION,
        tableName: 'orders',
        status: 'PENDING',
        leaseOwner: 'someone-else',
        leaseExpiresAt: w.clock.now() + 60_000,
      });
      const error = await create(A, 'orders').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockBusyError);
      expect((error as LockBusyError).retryable).toBe(true);
      expect(w.engine.resources.size).toBe(0);
    });

    it('takes over the table of a worker that died once its lease has expired', async () => {
      w.registry.seed({
        accountId: A,
        region: REGION,
        tableName: 'orders',
        status: 'PENDING',
        leaseOwner: 'died',
        leaseExpiresAt: w.clock.now() + LEASE_MS / 2,
      });
      await expect(create(A, 'orders')).resolves.toMatchObject({ outcome: 'onboarded' });
      expect(w.registry.record(ref(A, 'orders'))).toMatchObject({ status: 'ACTIVE', attempts: 2 });
    });
  });

  describe('Given a grant that fails', () => {
    it('refuses to merge into a policy in place that is not valid JSON, writes nothing, and still backs the table up', async () => {
      const broken = '{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow"} {"Sid":"B"}]}';
      w.policy.text = broken;
      await expect(create(A, 'orders')).rejects.toThrow(PolicyParseError);
      expect(w.policy.text).toBe(broken);
      expect(w.policy.writes).toEqual([]);
      expect(w.telemetry.metrics).toEqual(expect.arrayContaining(['PolicyFailed']));
      expect(w.registry.record(ref(A, 'orders'))?.status).toBe('ACTIVE');
      expect(w.grants.lease(BUCKET).owner).toBeUndefined(); // released: the next writer need not wait
    });

    it('refuses a policy that would grow past 20 KB, writing nothing', async () => {
      const filler = Array.from({ length: 60 }, (_, i) => ({
        Sid: `Foreign${i}`,
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::44444444${String(i).padStart(4, '0')}:root` },
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${BUCKET}/reports/${'x'.repeat(200)}/*`,
      }));
      w.policy.text = JSON.stringify({ Version: '2012-10-17', Statement: filler });
      await expect(create(A, 'orders')).rejects.toThrow(PolicyTooLargeError);
      expect(w.policy.writes).toEqual([]);
      expect(w.telemetry.metrics).toContain('PolicyFailed');
    });

    it('writes nothing when its policy lease was lost before the write, and the retry adds the grant', async () => {
      const successor = w.grants.acquirePolicyLock.bind(w.grants);
      w.policy.beforeRead = async (read) => {
        if (read !== 1) return;
        w.clock.advance(LEASE_MS + 1); // stalled past the lease…
        await successor(BUCKET, 'successor', LEASE_MS, B); // …and another writer took the lease meanwhile
      };
      await expect(create(A, 'orders')).rejects.toThrow(LeaseLostError);
      expect(w.policy.writes).toEqual([]);
      await w.grants.releasePolicyLock(BUCKET, 'successor', []);
      // The table itself was backed up by the first attempt: the retry only adds the grant.
      await expect(create(A, 'orders')).resolves.toMatchObject({
        outcome: 'already-onboarded',
        grant: { policyWritten: true },
      });
      expect([...grantedAccountsIn(parsePolicy(w.policy.text))]).toEqual([A]);
    });
  });
});
