import { DeletePipelineCommand, DescribePipelinesCommand, ListPipelinesCommand } from '@aws-sdk/client-data-pipeline';
import { ScanCommand, TagResourceCommand } from '@aws-sdk/client-dynamodb';
import { GetBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Handler } from 'aws-lambda';
import { parseConfig } from '../../lib/config';
import type { BackfillSummary } from '../../lib/domain/backfill';
import { checkHealth } from '../../lib/usecases/health';
import { createServices, type Services } from '../../lib/wiring';
import { lambdaContext } from '../../scripts/lambda-context';
import { provisionSandbox } from '../../scripts/sandbox';
import { tableEvent } from '../support/fixtures';
import {
  accountClients,
  BUCKET,
  describeWithMoto,
  motoObjectKeys,
  REGISTRY,
  SOURCE_A,
  SOURCE_B,
  useMoto,
} from '../support/integration';
import { recordingTelemetry } from '../support/telemetry';

const REGION = 'us-east-1';
const arn = (account: string, table: string) => `arn:aws:dynamodb:${REGION}:${account}:table/${table}`;

describeWithMoto('backfill, offboard and health check (against moto_server)', () => {
  const moto = useMoto({ TABLE_EXCLUDE_PATTERN: '^tmp-' });
  const backupKey = `${SOURCE_A}/${REGION}/payments/2026-11-25-03-00-00/manifest`;
  let services: Services;
  let clients: ReturnType<typeof accountClients>;
  let backfill: Handler;
  let onboard: Handler;
  let offboard: Handler;
  const call = <T>(h: Handler, input: unknown, name: string) =>
    h(input, lambdaContext(name), () => undefined) as Promise<T>;
  const pipelineIds = async (account: string) =>
    ((await clients.pipelines(account).send(new ListPipelinesCommand({}))).pipelineIdList ?? [])
      .map((p) => p.id as string)
      .sort();
  const registryItems = async () =>
    (await clients.registry().send(new ScanCommand({ TableName: REGISTRY }))).Items ?? [];
  const policyText = async () =>
    (
      await clients
        .backupS3()
        .send(new GetBucketPolicyCommand({ Bucket: BUCKET }))
        .catch(() => ({ Policy: undefined }))
    ).Policy;

  beforeAll(async () => {
    const config = parseConfig(process.env);
    await provisionSandbox(config, [
      ...['orders', 'payments', 'invoices', 'tmp-scratch', 'legacy'].map((tableName) => ({
        accountId: SOURCE_A,
        region: REGION,
        tableName,
      })),
      { accountId: SOURCE_B, region: REGION, tableName: 'customers' },
    ]);
    clients = accountClients();
    await clients
      .dynamodb(SOURCE_A)
      .send(
        new TagResourceCommand({ ResourceArn: arn(SOURCE_A, 'legacy'), Tags: [{ Key: 'ddb-backup', Value: 'off' }] }),
      );
    // An earlier night's export, written before the orchestrator's TLS-only policy exists (moto enforces it on plain HTTP).
    await clients.backupS3().send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: backupKey,
        Body: '{"name":"DynamoDB-export","version":3,"entries":[]}',
      }),
    );
    services = createServices(config);
    ({ handler: backfill } = await import('../../functions/backfill'));
    ({ handler: onboard } = await import('../../functions/onboard'));
    ({ handler: offboard } = await import('../../functions/offboard'));
    await call(onboard, tableEvent('create-table', SOURCE_A, 'orders', '2026-11-20T10:00:00Z'), 'onboard');
  });

  describe('Given an account with several tables, one already onboarded', () => {
    it('a dry run plans exactly the right tables and writes nothing at all', async () => {
      const before = {
        a: await pipelineIds(SOURCE_A),
        b: await pipelineIds(SOURCE_B),
        registry: await registryItems(),
        policy: await policyText(),
      };
      const s = await call<BackfillSummary>(backfill, { regions: [REGION], dryRun: true }, 'backfill');
      expect(s.planned.sort()).toEqual([
        `${SOURCE_A}/${REGION}/invoices`,
        `${SOURCE_A}/${REGION}/payments`,
        `${SOURCE_B}/${REGION}/customers`,
      ]);
      expect(s.alreadyBackedUp).toEqual([`${SOURCE_A}/${REGION}/orders`]);
      expect(s.skipped.map((x) => x.table).sort()).toEqual([
        `${SOURCE_A}/${REGION}/legacy`,
        `${SOURCE_A}/${REGION}/tmp-scratch`,
      ]);
      expect(s.skipped.find((x) => x.table.endsWith('legacy'))?.reason).toMatch(/tagged ddb-backup=off/);
      expect(s.counts).toEqual({ planned: 3, onboarded: 0, alreadyBackedUp: 1, skipped: 2, failed: 0 });
      expect(s.text).toMatch(/^backfill \(dry run, nothing written\)/);
      expect({
        a: await pipelineIds(SOURCE_A),
        b: await pipelineIds(SOURCE_B),
        registry: await registryItems(),
        policy: await policyText(),
      }).toEqual(before);
    });

    it('onboards exactly those tables through the onboarding path', async () => {
      const s = await call<BackfillSummary>(backfill, { regions: [REGION] }, 'backfill');
      expect(s.onboarded.sort()).toEqual([
        `${SOURCE_A}/${REGION}/invoices`,
        `${SOURCE_A}/${REGION}/payments`,
        `${SOURCE_B}/${REGION}/customers`,
      ]);
      expect(s.counts).toEqual({ planned: 3, onboarded: 3, alreadyBackedUp: 1, skipped: 2, failed: 0 });
      expect(s.byAccount[SOURCE_B]).toEqual({ planned: 1, onboarded: 1, alreadyBackedUp: 0, skipped: 0, failed: 0 });
      expect(await pipelineIds(SOURCE_A)).toHaveLength(3);
      expect(await pipelineIds(SOURCE_B)).toHaveLength(1);
      expect(await policyText()).toContain(`DdbBackupOrch${SOURCE_B}Objects`);
    });

    it('is a no-op the second time', async () => {
      const before = { a: await pipelineIds(SOURCE_A), policy: await policyText() };
      const s = await call<BackfillSummary>(backfill, { regions: [REGION] }, 'backfill');
      expect(s.counts).toEqual({ planned: 0, onboarded: 0, alreadyBackedUp: 4, skipped: 2, failed: 0 });
      expect({ a: await pipelineIds(SOURCE_A), policy: await policyText() }).toEqual(before);
    });

    it('skips, with the reason, tables beyond the pipeline quota', async () => {
      await provisionSandbox(services.config, [{ accountId: SOURCE_B, region: REGION, tableName: 'leads' }]);
      const s = await call<BackfillSummary>(
        backfill,
        { regions: [REGION], accounts: [SOURCE_B], pipelineQuota: 1 },
        'backfill',
      );
      expect(s.skipped).toEqual([
        {
          table: `${SOURCE_B}/${REGION}/leads`,
          reason: expect.stringMatching(/quota of 1 pipelines reached in account 222222222222/),
        },
      ]);
      expect(await pipelineIds(SOURCE_B)).toHaveLength(1);
    });

    it('rejects bad input with a clear error', async () => {
      await expect(call(backfill, { regions: ['us-east-1'], dryrun: true }, 'backfill')).rejects.toThrow(
        /unknown field\(s\) dryrun/,
      );
    });
  });

  describe('Given a table that is deleted', () => {
    it('offboarding deletes its pipeline, marks the registry, and keeps the objects and the grant', async () => {
      const [pipelineId] = (await registryItems())
        .filter((i) => i.pk?.S === `TABLE#${SOURCE_A}#${REGION}#payments`)
        .map((i) => i.pipelineId?.S);
      const policyBefore = await policyText();

      const result = await call(
        offboard,
        tableEvent('delete-table', SOURCE_A, 'payments', '2026-11-26T10:00:00Z'),
        'offboard',
      );
      expect(result).toMatchObject({ outcome: 'offboarded', pipelineId, deactivation: 'failed' }); // moto does not implement DeactivatePipeline
      expect(await pipelineIds(SOURCE_A)).not.toContain(pipelineId);
      const record = (await registryItems()).find((i) => i.pk?.S === `TABLE#${SOURCE_A}#${REGION}#payments`);
      expect(record?.status?.S).toBe('OFFBOARDED');
      expect(record?.deletedEventTime?.S).toBe('2026-11-26T10:00:00Z');
      expect(await policyText()).toBe(policyBefore);
      expect(await motoObjectKeys(moto.endpoint, BUCKET)).toEqual([backupKey]);
    }, 60_000);

    it('a duplicate DeleteTable is harmless', async () => {
      const result = await call(
        offboard,
        tableEvent('delete-table', SOURCE_A, 'payments', '2026-11-26T10:00:00Z'),
        'offboard',
      );
      expect(result).toMatchObject({ outcome: 'already-offboarded' });
    });

    it('a CreateTable delivered after the DeleteTable that followed it is ignored as stale', async () => {
      const before = await pipelineIds(SOURCE_A);
      const result = await call(
        onboard,
        tableEvent('create-table', SOURCE_A, 'payments', '2026-11-20T09:00:00Z'),
        'onboard',
      );
      expect(result).toMatchObject({ outcome: 'ignored', reason: 'StaleEvent' });
      expect(await pipelineIds(SOURCE_A)).toEqual(before);
    });

    it('a table created again later is onboarded again, with a new pipeline', async () => {
      const before = await pipelineIds(SOURCE_A);
      const result = await call(
        onboard,
        tableEvent(
          'create-table',
          SOURCE_A,
          'payments',
          '2026-11-27T09:00:00Z',
          '5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716',
        ),
        'onboard',
      );
      expect(result).toMatchObject({ outcome: 'onboarded', pipelineCreated: true });
      expect(await pipelineIds(SOURCE_A)).toHaveLength(before.length + 1);
    });

    it('a DeleteTable for a table never onboarded is a logged no-op', async () => {
      const before = await pipelineIds(SOURCE_B);
      const result = await call(
        offboard,
        tableEvent('delete-table', SOURCE_B, 'never-seen', '2026-11-26T11:00:00Z'),
        'offboard',
      );
      expect(result).toMatchObject({ outcome: 'not-onboarded' });
      expect(await pipelineIds(SOURCE_B)).toEqual(before);
    });
  });

  describe('Given a table deleted and created again, and the first DeleteTable delivered again (redriven from the DLQ)', () => {
    const FIRST = '3c9f2a1e-7b4d-4e8a-9f0c-1a2b3c4d5e6f';
    const SECOND = '7d6c5b4a-3e2f-4a1b-8c9d-0e1f2a3b4c5d';
    const pipelineOf = async (account: string, table: string) =>
      (await registryItems()).find((i) => i.pk?.S === `TABLE#${account}#${REGION}#${table}`);

    it('keeps the re-created table’s pipeline, ACTIVE, and its registry record', async () => {
      await call(onboard, tableEvent('create-table', SOURCE_B, 'ledger', '2026-11-20T10:00:00Z', FIRST), 'onboard');
      const first = (await pipelineOf(SOURCE_B, 'ledger'))?.pipelineId?.S as string;
      const deleteFirst = tableEvent('delete-table', SOURCE_B, 'ledger', '2026-11-26T10:00:00Z', FIRST);
      await expect(call(offboard, deleteFirst, 'offboard')).resolves.toMatchObject({
        outcome: 'offboarded',
        pipelineId: first,
      });
      const again = await call(
        onboard,
        tableEvent('create-table', SOURCE_B, 'ledger', '2026-11-27T09:00:00Z', SECOND),
        'onboard',
      );
      expect(again).toMatchObject({ outcome: 'onboarded', pipelineCreated: true });
      const second = (again as { pipelineId: string }).pipelineId;
      expect(second).not.toBe(first);

      const redriven = await call(offboard, deleteFirst, 'offboard');
      expect(redriven).toMatchObject({ outcome: 'ignored', reason: 'StaleEvent' });
      expect(await pipelineIds(SOURCE_B)).toContain(second);
      const described = await clients.pipelines(SOURCE_B).send(new DescribePipelinesCommand({ pipelineIds: [second] }));
      const state = described.pipelineDescriptionList?.[0]?.fields?.find(
        (f) => f.key === '@pipelineState',
      )?.stringValue;
      expect(state).toBe('SCHEDULED');
      const record = await pipelineOf(SOURCE_B, 'ledger');
      expect({ status: record?.status?.S, tableId: record?.tableId?.S, pipelineId: record?.pipelineId?.S }).toEqual({
        status: 'ACTIVE',
        tableId: SECOND,
        pipelineId: second,
      });
    }, 60_000);
  });

  describe('Given the registered pipelines', () => {
    it('the health check reports each table as moto describes it, and counts the problems', async () => {
      const telemetry = recordingTelemetry();
      const healthy = await checkHealth({ ...services, telemetry });
      // invoices, orders and payments (onboarded again) in A; customers and ledger (created again) in B (leads stayed over quota)
      expect(healthy.summary).toEqual({
        pipelines: 5,
        ok: 5,
        error: 0,
        notScheduled: 0,
        vanished: 0,
        unreachable: 0,
        existsAgain: 0,
        backupFailed: 0,
        backupOverdue: 0,
      });
      expect(healthy.tables.map((t) => `${t.account}/${t.table}:${t.state}`)).toEqual([
        `${SOURCE_A}/invoices:SCHEDULED`,
        `${SOURCE_A}/orders:SCHEDULED`,
        `${SOURCE_A}/payments:SCHEDULED`,
        `${SOURCE_B}/customers:SCHEDULED`,
        `${SOURCE_B}/ledger:SCHEDULED`,
      ]);
      expect(telemetry.gauges).toEqual({
        PipelinesInError: 0,
        PipelinesNotScheduled: 0,
        PipelinesVanished: 0,
        PipelinesUnreachable: 0,
        TablesExistAgain: 0,
        PolicyRepaired: 0,
        PolicyGuardsRestored: 0,
        PolicyUnknownGrants: 0,
      });

      const invoices = healthy.tables.find((t) => t.table === 'invoices')!;
      await clients.pipelines(SOURCE_A).send(new DeletePipelineCommand({ pipelineId: invoices.pipelineId }));
      const after = await checkHealth({ ...services, telemetry });
      expect(after.tables.find((t) => t.table === 'invoices')).toMatchObject({
        status: 'vanished',
        pipelineId: invoices.pipelineId,
      });
      expect(telemetry.gauges.PipelinesVanished).toBe(1);
      expect(after.summary.ok).toBe(healthy.summary.ok - 1);
    });
  });
});
