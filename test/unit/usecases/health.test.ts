import { desiredStatements, grantedAccountsIn, parsePolicy, type Statement } from '../../../lib/domain/policy';
import { PolicyParseError } from '../../../lib/errors';
import { grantDepsFrom } from '../../../lib/usecases/grant';
import { checkHealth } from '../../../lib/usecases/health';
import { onboardTable } from '../../../lib/usecases/onboard';
import { A, B, BUCKET, type FakeWorld, fakeWorld, OUTSIDER, REGION, ref } from '../../support/fakes/world';
import { existingBucketPolicy } from '../../support/fixtures';

const FOREIGN = existingBucketPolicy();
const OUTSIDER_CONFIGURED = '444444444444';

describe('health check', () => {
  let w: FakeWorld;
  beforeEach(async () => {
    w = fakeWorld();
    for (const t of ['orders', 'payments', 'invoices']) await onboardTable(w.deps, ref(A, t));
    await onboardTable(w.deps, ref(B, 'customers'));
  });
  const resourceOf = (account: string, table: string) => w.registry.record(ref(account, table))?.pipelineId as string;

  it('reports every backed-up table as the engine sees it, one engine call per account and region, and gauges zero problems', async () => {
    const report = await checkHealth(w.deps, new Date('2026-11-26T11:00:00Z'));
    expect(report.summary).toEqual({
      pipelines: 4,
      ok: 4,
      error: 0,
      notScheduled: 0,
      vanished: 0,
      unreachable: 0,
      existsAgain: 0,
      backupFailed: 0,
      backupOverdue: 0,
    });
    expect(report.tables.map((t) => `${t.account}/${t.table}:${t.status}:${t.state}`)).toEqual([
      `${A}/invoices:ok:SCHEDULED`,
      `${A}/orders:ok:SCHEDULED`,
      `${A}/payments:ok:SCHEDULED`,
      `${B}/customers:ok:SCHEDULED`,
    ]);
    expect(report.tables[0]).toMatchObject({ pipelineId: resourceOf(A, 'invoices'), pipelineRegion: REGION });
    expect(w.engine.calls.filter((c) => c.startsWith('health'))).toEqual([
      `health ${A}/${REGION}`,
      `health ${B}/${REGION}`,
    ]);
    expect(w.telemetry.gauges).toEqual({
      PipelinesInError: 0,
      PipelinesNotScheduled: 0,
      PipelinesVanished: 0,
      PipelinesUnreachable: 0,
      TablesExistAgain: 0,
      PolicyRepaired: 0,
      PolicyGuardsRestored: 0,
      PolicyUnknownGrants: 0,
    });
    expect(report.checkedAt).toBe('2026-11-26T11:00:00.000Z');
  });

  it('counts each kind of problem: in error, not scheduled, vanished', async () => {
    (w.engine.resources.get(resourceOf(A, 'orders')) as { health: string }).health = 'error';
    (w.engine.resources.get(resourceOf(A, 'payments')) as { health: string }).health = 'not-scheduled';
    w.engine.resources.delete(resourceOf(A, 'invoices'));
    const report = await checkHealth(w.deps);
    expect(report.summary).toEqual({
      pipelines: 4,
      ok: 1,
      error: 1,
      notScheduled: 1,
      vanished: 1,
      unreachable: 0,
      existsAgain: 0,
      backupFailed: 0,
      backupOverdue: 0,
    });
    expect(w.telemetry.gauges).toMatchObject({
      PipelinesInError: 1,
      PipelinesNotScheduled: 1,
      PipelinesVanished: 1,
      PipelinesUnreachable: 0,
      TablesExistAgain: 0,
    });
    expect(w.telemetry.logs.find((l) => l.message === 'health check')?.level).toBe('warn');
  });

  it('marks the tables of an account it cannot reach as unreachable, and still reports the others', async () => {
    w.engine.failAt('health', {
      where: `${B}/${REGION}`,
      error: new Error('AccessDenied: cannot assume the source role'),
    });
    const report = await checkHealth(w.deps);
    expect(report.summary).toMatchObject({ ok: 3, unreachable: 1 });
    expect(report.tables.find((t) => t.account === B)).toMatchObject({
      status: 'unreachable',
      error: 'AccessDenied: cannot assume the source role',
    });
    expect(w.telemetry.gauges.PipelinesUnreachable).toBe(1);
    expect(w.telemetry.logs).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'health check could not reach an account' }),
    );
  });

  it('looks only at tables whose backup resource should exist', async () => {
    w.registry.seed({ accountId: A, region: REGION, tableName: 'claimed-only', status: 'PENDING' });
    w.registry.seed({
      accountId: A,
      region: REGION,
      tableName: 'deleted',
      status: 'OFFBOARDED',
      pipelineId: 'res-gone',
    });
    w.registry.seed({
      accountId: A,
      region: REGION,
      tableName: 'half-made',
      status: 'ACTIVATION_FAILED',
      pipelineId: 'res-half',
    });
    const report = await checkHealth(w.deps);
    expect(report.tables.map((t) => t.table)).not.toEqual(expect.arrayContaining(['claimed-only', 'deleted']));
    expect(report.tables.find((t) => t.table === 'half-made')).toMatchObject({ status: 'vanished' });
  });

  describe('Given tables the registry says were offboarded', () => {
    beforeEach(() => {
      w.registry.seed({
        accountId: A,
        region: REGION,
        tableName: 'back',
        status: 'OFFBOARDED',
        pipelineId: 'res-gone',
        tableId: 'old-id',
        offboardedAt: '2026-11-20T10:00:00Z',
      });
      w.registry.seed({
        accountId: A,
        region: REGION,
        tableName: 'gone',
        status: 'OFFBOARDED',
        pipelineId: 'res-gone-too',
      });
      w.registry.seed({ accountId: A, region: REGION, tableName: 'going', status: 'OFFBOARDED' });
      w.accounts.add(A, REGION, 'back');
      w.accounts.add(A, REGION, 'going', { status: 'DELETING' });
    });

    it('reports one that exists again (and not one deleted or being deleted), counts it and gauges it', async () => {
      const report = await checkHealth(w.deps);
      expect(report.tables.filter((t) => t.status === 'exists-again')).toEqual([
        expect.objectContaining({
          account: A,
          table: 'back',
          state: 'ACTIVE',
          error: expect.stringMatching(
            /^offboarded at 2026-11-20T10:00:00Z, yet the table exists \(tableId 0{8}-.*, the registry holds old-id\)/,
          ),
        }),
      ]);
      expect(report.summary).toMatchObject({ pipelines: 4, ok: 4, existsAgain: 1 });
      expect(w.telemetry.gauges.TablesExistAgain).toBe(1);
    });

    it('describes only the offboarded tables: one DescribeTable each, none for the backed-up ones', async () => {
      const described: string[] = [];
      const of = w.deps.sourceTables;
      const report = await checkHealth({
        ...w.deps,
        sourceTables: (account, region) => {
          const port = of(account, region);
          return {
            ...port,
            describe: (name) => {
              described.push(name);
              return port.describe(name);
            },
          };
        },
      });
      expect(described.sort()).toEqual(['back', 'going', 'gone']);
      expect(report.summary.existsAgain).toBe(1);
    });

    it('reports an offboarded table whose account it cannot reach as unreachable', async () => {
      w.accounts.breakPlace(A, REGION, new Error('AccessDenied: cannot assume the source role'));
      const report = await checkHealth(w.deps);
      expect(report.tables.filter((t) => ['back', 'gone', 'going'].includes(t.table)).map((t) => t.status)).toEqual([
        'unreachable',
        'unreachable',
        'unreachable',
      ]);
    });
  });
});

describe('health check on the bucket policy', () => {
  let w: FakeWorld;
  beforeEach(async () => {
    w = fakeWorld();
    w.policy.text = JSON.stringify(FOREIGN);
    await onboardTable(w.deps, ref(A, 'orders'));
    await onboardTable(w.deps, ref(B, 'customers'));
  });
  const doc = () => parsePolicy(w.policy.text);
  const sids = () => doc().Statement.map((s) => s.Sid);
  const withoutStatements = (drop: (sid: string | undefined) => boolean) => {
    w.policy.text = JSON.stringify({ ...doc(), Statement: doc().Statement.filter((s) => !drop(s.Sid)) });
  };

  it('costs two reads and takes no lease when the policy holds every grant of the catalog', async () => {
    const [writes, calls] = [w.policy.writes.length, w.grants.calls.length];
    const report = await checkHealth(w.deps);
    expect(report.policy).toEqual({
      repaired: [],
      guardsRestored: [],
      unconfigured: [],
      unknownGrants: [],
      policyWritten: false,
    });
    expect(w.policy.writes.length).toBe(writes);
    expect(w.grants.calls.slice(calls)).toEqual(['read']);
  });

  it('puts back the statements a person removed, keeps every other statement, and gauges one account repaired', async () => {
    withoutStatements((sid) => sid?.startsWith(`DdbBackupOrch${A}`) === true);
    expect(grantedAccountsIn(doc()).has(A)).toBe(false);
    const report = await checkHealth(w.deps);
    expect(report.policy).toMatchObject({ repaired: [A], guardsRestored: [], policyWritten: true });
    expect([...grantedAccountsIn(doc())].sort()).toEqual([A, B]);
    expect(doc().Statement.slice(0, FOREIGN.Statement.length)).toEqual(FOREIGN.Statement);
    expect(w.telemetry.gauges).toMatchObject({ PolicyRepaired: 1, PolicyGuardsRestored: 0, PolicyUnknownGrants: 0 });
    expect(w.telemetry.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'bucket policy repaired from the grant catalog' }),
    );
    expect(w.grants.lease(BUCKET).owner).toBeUndefined();
  });

  it('puts back one statement of an account removed alone, and an altered one', async () => {
    withoutStatements((sid) => sid === `DdbBackupOrch${A}Cleanup`);
    const altered = doc();
    const objects = altered.Statement.find((s) => s.Sid === `DdbBackupOrch${B}Objects`) as Statement;
    objects.Resource = `arn:aws:s3:::${BUCKET}/*`;
    w.policy.text = JSON.stringify(altered);
    const report = await checkHealth(w.deps);
    expect(report.policy.repaired).toEqual([A, B]);
    expect((doc().Statement.find((s) => s.Sid === `DdbBackupOrch${B}Objects`) as Statement).Resource).not.toBe(
      `arn:aws:s3:::${BUCKET}/*`,
    );
    expect(sids()).toContain(`DdbBackupOrch${A}Cleanup`);
  });

  it('puts back the TLS-only deny, gauged apart from the accounts', async () => {
    withoutStatements((sid) => sid === 'DdbBackupOrchDenyInsecureTransport');
    const report = await checkHealth(w.deps);
    expect(report.policy).toMatchObject({
      repaired: [],
      guardsRestored: ['DdbBackupOrchDenyInsecureTransport'],
      policyWritten: true,
    });
    expect(w.telemetry.gauges).toMatchObject({ PolicyRepaired: 0, PolicyGuardsRestored: 1 });
  });

  it('reports, and neither adopts nor removes, product-shaped statements of an account the catalog does not know', async () => {
    const planted = parsePolicy(w.policy.text);
    planted.Statement.push(...desiredStatements(BUCKET, [OUTSIDER], grantDepsFrom(w.config, w.deps)).slice(1));
    w.policy.text = JSON.stringify(planted);
    const report = await checkHealth(w.deps);
    expect(report.policy).toMatchObject({ unknownGrants: [OUTSIDER], repaired: [], policyWritten: false });
    expect(w.telemetry.gauges.PolicyUnknownGrants).toBe(1);
    expect(w.grants.granted(BUCKET)).toEqual([A, B]);
    expect(grantedAccountsIn(doc()).has(OUTSIDER)).toBe(true);
    expect(w.telemetry.logs.map((l) => l.message)).toContain(
      'the bucket policy grants accounts the grant catalog does not know (left as they are; revoke removes them)',
    );
  });

  it('does not put back the grant of a catalog account no longer in SOURCE_ACCOUNTS, and reports it', async () => {
    withoutStatements((sid) => sid?.startsWith(`DdbBackupOrch${B}`) === true);
    const narrowed = { ...w.deps, config: { ...w.config, sourceAccounts: [A] } };
    const report = await checkHealth(narrowed);
    expect(report.policy).toMatchObject({ repaired: [], unconfigured: [B], policyWritten: false });
    expect(grantedAccountsIn(doc()).has(B)).toBe(false);
    expect(w.telemetry.gauges.PolicyRepaired).toBe(0);
  });

  it('puts back a grant in the compact layout by naming the account in the shared statements again', async () => {
    const compact = {
      ...w.deps,
      config: { ...w.config, policyLayout: 'compact' as const, sourceAccounts: [A, B, OUTSIDER_CONFIGURED] },
    };
    await onboardTable(compact, ref(OUTSIDER_CONFIGURED, 'ledger'));
    const shared = doc();
    for (const s of shared.Statement.filter((s) => s.Sid?.startsWith('DdbBackupOrchShared')))
      s.Principal = { AWS: [`arn:aws:iam::${B}:root`, `arn:aws:iam::${OUTSIDER_CONFIGURED}:root`] };
    w.policy.text = JSON.stringify(shared);
    const report = await checkHealth(compact);
    expect(report.policy.repaired).toEqual([A]);
    expect([...grantedAccountsIn(doc())].sort()).toEqual([A, B, OUTSIDER_CONFIGURED].sort());
  });

  it('leaves alone the policy of a bucket whose catalog holds no account (a fresh deployment): nothing owed, nothing gauged', async () => {
    const fresh = fakeWorld();
    fresh.policy.text = JSON.stringify(FOREIGN);
    const report = await checkHealth(fresh.deps);
    expect(report.policy).toEqual({
      repaired: [],
      guardsRestored: [],
      unconfigured: [],
      unknownGrants: [],
      policyWritten: false,
    });
    expect(fresh.policy.writes).toEqual([]);
    expect(fresh.telemetry.gauges).toMatchObject({ PolicyRepaired: 0, PolicyGuardsRestored: 0 });
  });

  it('fails the invocation when the policy cannot be read, after gauging the pipelines', async () => {
    w.policy.text = '{"Statement": [ {} {} ]}';
    await expect(checkHealth(w.deps)).rejects.toThrow(PolicyParseError);
    expect(w.telemetry.gauges).toMatchObject({ PipelinesInError: 0 });
  });
});
