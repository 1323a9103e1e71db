import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListPipelinesCommand } from '@aws-sdk/client-data-pipeline';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import type { S3BucketPolicyStore } from '../../lib/adapters/bucket-policy';
import { ENGINE_WRITER_ACCESS } from '../../lib/backup-engines/access';
import { parseConfig } from '../../lib/config';
import { grantedAccountsIn, type PolicyDocument } from '../../lib/domain/policy';
import { LeaseLostError, PolicyParseError } from '../../lib/errors';
import { ensureGrant, type GrantDeps } from '../../lib/usecases/grant';
import { type OnboardResult, onboardFromEvent } from '../../lib/usecases/onboard';
import { createServices, type Services } from '../../lib/wiring';
import { FaultProxy } from '../../scripts/fault-proxy';
import { provisionSandbox } from '../../scripts/sandbox';
import { recordFigure } from '../support/figures';
import { existingBucketPolicy, tableEvent } from '../support/fixtures';
import { accountClients, describeWithMoto, REGISTRY, SOURCE_A, useMoto } from '../support/integration';
import { recordingTelemetry } from '../support/telemetry';

const REGION = 'us-east-1';
const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(from + i));
const DUP_ACCOUNT = '100000000001';
const CROWD = ids(100000000100, 20); // per-account: 22 accounts fit in 20 KB beside the 4 foreign statements
const FAULTY = ids(100000000200, 5);
const LOCKERS = ids(100000000300, 4);
const ALL = [SOURCE_A, DUP_ACCOUNT, ...CROWD, ...FAULTY, ...LOCKERS];
const FOREIGN = existingBucketPolicy();
const BAD = JSON.parse(readFileSync(join(__dirname, '..', '..', 'events', 'bad-inputs.json'), 'utf8')) as {
  cases: Array<{ name: string; event: unknown; expect: { error?: string; ignored?: string }; padDetailTo?: number }>;
};

/** The foreign statements of a realistic policy, rewritten for another bucket. */
const foreignFor = (bucket: string): PolicyDocument =>
  JSON.parse(JSON.stringify(FOREIGN).replaceAll('corp-ddb-backups', bucket)) as PolicyDocument;

describeWithMoto('reliability (moto_server behind a fault-injecting proxy)', () => {
  const moto = useMoto({ SOURCE_ACCOUNTS: ALL.join(','), TABLE_EXCLUDE_PATTERN: '^tmp-', LOCK_LEASE_SECONDS: '5' });
  let proxy: FaultProxy;
  let clients: ReturnType<typeof accountClients>;

  beforeAll(async () => {
    proxy = await new FaultProxy({ target: moto.endpoint, seed: 20261126 }).start();
    process.env.AWS_ENDPOINT_URL = proxy.endpoint;
    clients = accountClients();
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  /** Services on a bucket of their own, so that each scenario starts from a policy it knows. */
  async function servicesFor(bucket: string, foreign = true): Promise<Services> {
    const config = { ...parseConfig(process.env), backupBucket: bucket };
    await provisionSandbox(config, []);
    if (foreign)
      await clients
        .backupS3()
        .send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(foreignFor(bucket)) }));
    return createServices(config);
  }
  const policyOf = async (bucket: string) =>
    JSON.parse(
      (await clients.backupS3().send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy as string,
    ) as PolicyDocument;
  const pipelineCount = async (account: string) =>
    ((await clients.pipelines(account).send(new ListPipelinesCommand({}))).pipelineIdList ?? []).length;
  const foreignKept = (doc: PolicyDocument, bucket: string) =>
    JSON.stringify(doc.Statement.slice(0, FOREIGN.Statement.length)) === JSON.stringify(foreignFor(bucket).Statement);

  it('10 concurrent deliveries of one CreateTable → one pipeline, one registry record, at most one policy write', async () => {
    const services = await servicesFor('rel-duplicates');
    proxy.reset();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        onboardFromEvent(
          { ...services, telemetry: recordingTelemetry() },
          tableEvent('create-table', DUP_ACCOUNT, 'orders'),
        ),
      ),
    );
    const created = proxy.count('DataPipeline.CreatePipeline');
    const policyWrites = proxy.count('s3:PUT ?policy');
    const records = ((await clients.registry().send(new ScanCommand({ TableName: REGISTRY }))).Items ?? []).filter(
      (i) => i.pk?.S === `TABLE#${DUP_ACCOUNT}#${REGION}#orders`,
    );
    expect(results.filter((r) => r.outcome === 'onboarded')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'already-onboarded')).toHaveLength(9);
    expect(await pipelineCount(DUP_ACCOUNT)).toBe(1);
    expect(created).toBe(1);
    expect(records).toHaveLength(1);
    expect(policyWrites).toBeLessThanOrEqual(1);
    recordFigure({
      scenario: 'Duplicate delivery',
      size: '10 concurrent deliveries of one CreateTable',
      outcome: `${await pipelineCount(DUP_ACCOUNT)} pipeline (${created} CreatePipeline call), ${records.length} registry record, ${policyWrites} policy write`,
    });
  });

  it('20 new accounts at the same moment → all 20 granted, every foreign statement intact, no policy write lost', async () => {
    const bucket = 'rel-crowd';
    const services = await servicesFor(bucket);
    proxy.reset();
    const started = Date.now();
    // What this proves is that the lease serializes 20 writers without losing one, not how fast: the 20 writes queue
    // behind one another, and on a loaded 2-core machine they can outlast the deployed wait (lease + 5 s), after which a
    // waiter fails LockBusyError and Lambda retries it. The test waits long enough for the queue instead.
    const lock = { ...services.lock, waitMs: 50_000 };
    const results = await Promise.allSettled(
      CROWD.map((a) =>
        onboardFromEvent(
          { ...services, lock, telemetry: recordingTelemetry() },
          tableEvent('create-table', a, 'events'),
        ),
      ),
    );
    const seconds = (Date.now() - started) / 1000;
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const doc = await policyOf(bucket);
    const granted = grantedAccountsIn(doc);
    expect([...granted].sort()).toEqual([...CROWD].sort());
    expect(foreignKept(doc, bucket)).toBe(true);
    const writes = proxy.count('s3:PUT ?policy');
    expect(writes).toBe(CROWD.length); // one write per new account, each merged on top of the last
    recordFigure({
      scenario: 'Concurrent accounts',
      size: `${CROWD.length} new accounts onboarding at once (per-account layout, 4 foreign statements)`,
      outcome: `${granted.size}/${CROWD.length} granted, ${FOREIGN.Statement.length - (foreignKept(doc, bucket) ? 0 : 1)}/4 foreign statements intact, ${writes} policy writes serialized by the lease, ${Buffer.byteLength(JSON.stringify(doc))} bytes, ${seconds.toFixed(1)} s`,
    });
  }, 90_000);

  it('throttling and 5xx injected at random on every call → every onboarding completes, no duplicate pipeline', async () => {
    const bucket = 'rel-faults';
    const services = await servicesFor(bucket);
    const tables = FAULTY.flatMap((a) =>
      ['orders', 'payments', 'invoices', 'ledger'].map((t) => ({ account: a, table: t })),
    );
    proxy.reset();
    proxy.rate = 0.3;
    const attempts: number[] = [];
    const causes: string[] = [];
    try {
      await Promise.all(
        tables.map(async ({ account, table }) => {
          // Each delivery runs in a container of its own, as Lambda runs them (one invocation per
          // container at a time: its own SDK clients and retry quota). EventBridge / Lambda retry a
          // failed invocation; bound that at 4 attempts here, a second apart.
          for (let attempt = 1; ; attempt++) {
            const container = createServices(services.config);
            try {
              await onboardFromEvent(
                { ...container, telemetry: recordingTelemetry() },
                tableEvent('create-table', account, table),
              );
              attempts.push(attempt);
              return;
            } catch (e) {
              const root = ((e as Error).cause ?? e) as Error & { $metadata?: { attempts?: number } };
              const attempts = root.$metadata?.attempts;
              // A lease wait that ran out (LockBusyError) made no failed AWS call: it has no SDK attempts to count.
              causes.push(
                `${(e as Error).name}${root !== e ? ` ← ${root.name}` : ''}${attempts === undefined ? ' (no SDK error)' : ` after ${attempts} SDK attempts`}`,
              );
              if (attempt >= 4) throw e;
              await new Promise((r) => setTimeout(r, 1000));
            }
          }
        }),
      );
    } finally {
      proxy.rate = 0;
    }
    const { calls, faults, faultsAfter } = proxy.stats;
    for (const a of FAULTY) expect(await pipelineCount(a)).toBe(4);
    expect([...grantedAccountsIn(await policyOf(bucket))].sort()).toEqual([...FAULTY].sort());
    expect(attempts).toHaveLength(tables.length);
    expect(faults / tables.length).toBeGreaterThan(3); // most onboardings meet several faults
    const retried = attempts.filter((a) => a > 1).length;
    const tally: Record<string, number> = {};
    for (const c of causes) tally[c] = (tally[c] ?? 0) + 1;
    const causeCounts = Object.entries(tally).map(([c, n]) => `${n}× ${c}`);
    recordFigure({
      scenario: 'Injected faults',
      size: `${tables.length} tables in 5 accounts, 30% of ${calls} calls faulted (throttling or 5xx, half after the call took effect)`,
      outcome: `${attempts.length}/${tables.length} onboarded, ${(faults / tables.length).toFixed(1)} faults per onboarding (${faultsAfter} after effect), ${retried} needed an invocation retry (max ${Math.max(...attempts)} attempts${causeCounts.length > 0 ? `; ${causeCounts.join(', ')}` : ''}), 0 duplicate pipelines (${5 * 4} pipelines for ${tables.length} tables)`,
    });
  }, 120_000);

  it('a lock holder that dies → the next writer proceeds once the lease expires', async () => {
    const bucket = 'rel-dead-holder';
    const services = await servicesFor(bucket);
    await services.grants.acquirePolicyLock(bucket, 'a-writer-that-died', 3000, '000000000000');
    const started = Date.now();
    const result = await onboardFromEvent(
      { ...services, telemetry: recordingTelemetry() },
      tableEvent('create-table', LOCKERS[0] as string, 'orders'),
    );
    const waited = (Date.now() - started) / 1000;
    expect(result).toMatchObject({ outcome: 'onboarded', grant: { policyWritten: true } });
    expect(waited).toBeGreaterThanOrEqual(2.5);
    recordFigure({
      scenario: 'Dead lock holder',
      size: 'policy lease held by a crashed writer, 3 s left',
      outcome: `next writer waited ${waited.toFixed(1)} s, then wrote; grant present`,
    });
  }, 60_000);

  it('a holder whose lease expired cannot clobber the policy written by its successor', async () => {
    const bucket = 'rel-expired-holder';
    const services = await servicesFor(bucket);
    const lock = { ...services.lock, leaseMs: 1500, waitMs: 10_000 };
    const base = (policy: GrantDeps['policy']): GrantDeps => ({
      bucket,
      layout: 'per-account',
      sourceAccounts: services.config.sourceAccounts,
      access: ENGINE_WRITER_ACCESS,
      sourceRoleName: services.config.sourceRoleName,
      grants: services.grants,
      policy,
      lock,
      newOwnerId: services.newOwnerId,
    });
    const real = services.policy;
    let reads = 0;
    // The first writer stalls right after reading the policy, past the end of its lease.
    const stalling: GrantDeps['policy'] = {
      get: async () => {
        const text = await real.get();
        if (reads++ === 0) await new Promise((r) => setTimeout(r, 2500));
        return text;
      },
      put: (p) => real.put(p),
    };
    proxy.reset();
    const slow = ensureGrant(base(stalling), LOCKERS[1] as string);
    await new Promise((r) => setTimeout(r, 1700));
    const successor = await ensureGrant(base(real), LOCKERS[2] as string);
    expect(successor.policyWritten).toBe(true);
    await expect(slow).rejects.toThrow(LeaseLostError);
    expect(proxy.count('s3:PUT ?policy')).toBe(1);
    const doc = await policyOf(bucket);
    expect(grantedAccountsIn(doc).has(LOCKERS[2] as string)).toBe(true);
    expect(grantedAccountsIn(doc).has(LOCKERS[1] as string)).toBe(false);
    // Its retry then merges on top of the successor's policy.
    await ensureGrant(base(real), LOCKERS[1] as string);
    expect([...grantedAccountsIn(await policyOf(bucket))].sort()).toEqual([LOCKERS[1], LOCKERS[2]].sort());
    recordFigure({
      scenario: 'Expired lease',
      size: 'writer stalls 2.5 s after its read with a 1.5 s lease; a successor writes meanwhile',
      outcome:
        'stale writer refused (LeaseLostError) before writing: 1 policy write, successor’s grant kept; its retry then adds its own',
    });
  }, 60_000);

  it('an existing bucket policy that is not valid JSON → refused, nothing written', async () => {
    const bucket = 'rel-invalid-json';
    const services = await servicesFor(bucket, false);
    const broken =
      '{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::x/*"} {"Sid":"B"}]}';
    await clients.backupS3().send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: broken })); // moto accepts it; S3 would not
    proxy.reset();
    const telemetry = recordingTelemetry();
    await expect(
      onboardFromEvent({ ...services, telemetry }, tableEvent('create-table', LOCKERS[3] as string, 'orders')),
    ).rejects.toThrow(PolicyParseError);
    expect(proxy.count('s3:PUT ?policy')).toBe(0);
    expect((await clients.backupS3().send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy).toBe(broken);
    expect(telemetry.metrics).toContain('PolicyFailed');
    recordFigure({
      scenario: 'Invalid policy in place',
      size: 'bucket policy with a missing comma (the blog’s bug)',
      outcome: 'refused with PolicyParseError, 0 policy writes, policy byte-for-byte unchanged',
    });
  });

  it('a policy edited between our read and our write → merged again, the edit kept', async () => {
    const bucket = 'rel-concurrent-edit';
    const services = await servicesFor(bucket);
    const real = services.policy as S3BucketPolicyStore;
    let reads = 0;
    const edit = {
      Sid: 'AddedByAHuman',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::555555555555:role/analyst' },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${bucket}/reports/*`,
    };
    const editing: GrantDeps['policy'] = {
      get: async () => {
        const text = await real.get();
        if (reads++ === 0) {
          const doc = JSON.parse(text as string) as PolicyDocument;
          await real.put(JSON.stringify({ ...doc, Statement: [...doc.Statement, edit] }));
        }
        return text;
      },
      put: (p) => real.put(p),
    };
    const grant = await ensureGrant(
      {
        bucket,
        layout: 'per-account',
        sourceAccounts: services.config.sourceAccounts,
        access: ENGINE_WRITER_ACCESS,
        sourceRoleName: services.config.sourceRoleName,
        grants: services.grants,
        policy: editing,
        lock: services.lock,
        newOwnerId: services.newOwnerId,
      },
      SOURCE_A,
    );
    expect(grant.policyWritten).toBe(true);
    const doc = await policyOf(bucket);
    expect(doc.Statement).toContainEqual(edit);
    expect(foreignKept(doc, bucket)).toBe(true);
    expect(grantedAccountsIn(doc).has(SOURCE_A)).toBe(true);
    expect(reads).toBeGreaterThanOrEqual(3);
    recordFigure({
      scenario: 'Concurrent human edit',
      size: 'a statement added between our read and our write',
      outcome: `detected on the pre-write re-read (${reads} reads), merged again: the edit and the grant both present`,
    });
  });

  it(`a corpus of ${BAD.cases.length} bad inputs → each a clear error or a logged ignore with its reason, and no AWS write`, async () => {
    const services = createServices(parseConfig(process.env));
    proxy.reset();
    const outcomes: string[] = [];
    for (const c of BAD.cases) {
      const event = structuredClone(c.event) as Record<string, any>;
      if (c.padDetailTo !== undefined) event.detail.requestParameters.padding = 'x'.repeat(c.padDetailTo);
      const telemetry = recordingTelemetry();
      let result: OnboardResult | undefined;
      let error: Error | undefined;
      try {
        result = await onboardFromEvent({ ...services, telemetry }, event);
      } catch (e) {
        error = e as Error;
      }
      if (c.expect.error !== undefined) {
        expect({ name: c.name, error: error?.message }).toEqual({
          name: c.name,
          error: expect.stringContaining(c.expect.error),
        });
        expect(telemetry.metrics).toContain('EventRejected');
      } else {
        expect({ name: c.name, result }).toEqual({
          name: c.name,
          result: expect.objectContaining({ outcome: 'ignored', reason: c.expect.ignored }),
        });
        expect(telemetry.logs.find((l) => l.level === 'warn')?.message).toMatch(/^ignored event: /);
      }
      outcomes.push(error ? 'error' : 'ignored');
    }
    expect(proxy.writes()).toEqual([]);
    expect(BAD.cases.length).toBeGreaterThanOrEqual(33);
    expect(outcomes.filter((o) => o === 'error')).toHaveLength(
      BAD.cases.filter((c) => c.expect.error !== undefined).length,
    );
    recordFigure({
      scenario: 'Bad input',
      size: `${BAD.cases.length} malformed or out-of-scope events (events/bad-inputs.json)`,
      outcome: `${outcomes.filter((o) => o === 'error').length} clear errors, ${outcomes.filter((o) => o === 'ignored').length} logged ignores, ${proxy.writes().length} AWS writes (${proxy.stats.calls} AWS calls in all)`,
    });
  });
});
