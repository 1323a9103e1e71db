import { CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { STSClient } from '@aws-sdk/client-sts';
import type { Handler } from 'aws-lambda';
import { RoleAssumer } from '../../lib/adapters/credentials';
import { scheduleName } from '../../lib/backup-engines/native/schedule';
import { parseConfig } from '../../lib/config';
import type { Report } from '../../lib/domain/report';
import { telemetry } from '../../lib/observability';
import { onboardTable } from '../../lib/usecases/onboard';
import { createServices } from '../../lib/wiring';
import { lambdaContext } from '../../scripts/lambda-context';
import { provisionSandbox, seedSnapshots } from '../../scripts/sandbox';
import { ref } from '../support/fakes/world';
import { describeWithMoto, SOURCE_A, SOURCE_B, useMoto } from '../support/integration';
import { fireSchedule } from '../support/scheduler';

const REGION = 'us-east-1';
const DAY = 86_400_000;

describeWithMoto('freshness in the report (against moto_server)', () => {
  // SOURCE_A backs up with Data Pipeline, SOURCE_B with the native export.
  const moto = useMoto({ NATIVE_EXPORT_ACCOUNTS: SOURCE_B, WATCH_REGIONS: REGION });
  let report: Report;
  let fired: { before: number; after: number };
  const row = (account: string, table: string) => report.rows.find((r) => r.account === account && r.table === table);

  beforeAll(async () => {
    const config = parseConfig(process.env);
    await provisionSandbox(config, [
      { accountId: SOURCE_A, region: REGION, tableName: 'orders' },
      { accountId: SOURCE_A, region: REGION, tableName: 'ledger' },
      { accountId: SOURCE_B, region: REGION, tableName: 'events' },
    ]);
    // The native engine's schedule group, as the source template makes it.
    const roles = new RoleAssumer(new STSClient({ region: REGION }));
    await new SchedulerClient({
      region: REGION,
      credentials: roles.provider(`arn:aws:iam::${SOURCE_B}:role/ddb-backup-orchestrator`),
    }).send(new CreateScheduleGroupCommand({ Name: config.scheduleGroup }));
    const services = { ...createServices(config, 'onboard'), telemetry };
    for (const [account, table] of [
      [SOURCE_A, 'orders'],
      [SOURCE_A, 'ledger'],
      [SOURCE_B, 'events'],
    ] as const)
      expect((await onboardTable(services, ref(account, table))).outcome).toBe('onboarded');

    // Data Pipeline: orders' newest complete run is three nights old; ledger's is last night's.
    const now = new Date();
    await seedSnapshots(
      config,
      { accountId: SOURCE_A, region: REGION, tableName: 'orders' },
      2,
      process.env,
      new Date(now.getTime() - 2 * DAY),
    );
    await seedSnapshots(config, { accountId: SOURCE_A, region: REGION, tableName: 'ledger' }, 1, process.env, now);
    // Native: the table's schedule fired as Scheduler would. Its Input names no ExportTime, so the export holds the
    // table as of the call (ExportTableToPointInTime's default: the current time).
    fired = { before: Date.now() - 1000, after: 0 };
    const started = (await fireSchedule({
      endpoint: moto.endpoint,
      accountId: SOURCE_B,
      region: REGION,
      groupName: config.scheduleGroup,
      scheduleName: scheduleName('events'),
    })) as { ExportDescription?: { ExportArn?: string } };
    fired.after = Date.now() + 1000;
    const natives = createServices(config, 'report').natives(SOURCE_B, REGION);
    const arn = started.ExportDescription?.ExportArn as string;
    for (let i = 0; i < 100 && (await natives.describeExport(arn)).status === 'IN_PROGRESS'; i++)
      await new Promise((r) => setTimeout(r, 200));
    expect((await natives.describeExport(arn)).status).toBe('COMPLETED');

    const { handler } = (await import('../../functions/report')) as { handler: Handler };
    report = await handler({}, lambdaContext('report'), () => undefined);
  }, 180_000);

  it('finds the Data Pipeline table whose newest complete backup is older than the objective', () => {
    const orders = row(SOURCE_A, 'orders');
    expect(orders).toMatchObject({ status: 'protected', engine: 'datapipeline', overObjective: true });
    expect(orders?.newestBackup?.ageHours).toBeGreaterThan(26);
    expect(orders?.newestBackup?.sizeBytes).toBeGreaterThan(0);
    expect(orders?.freshness).toContain('over the 26 h objective');
  });

  it('holds the Data Pipeline table backed up last night within the objective', () => {
    const ledger = row(SOURCE_A, 'ledger');
    expect(ledger).toMatchObject({ overObjective: false });
    expect(ledger?.newestBackup?.ageHours).toBeLessThanOrEqual(24);
  });

  it('sees the native export the schedule started as the fresh newest backup, of the time it was started', () => {
    const events = row(SOURCE_B, 'events');
    expect(events).toMatchObject({ status: 'protected', engine: 'native', overObjective: false });
    const time = Date.parse(events?.newestBackup?.time ?? '');
    expect(time).toBeGreaterThanOrEqual(fired.before);
    expect(time).toBeLessThanOrEqual(fired.after);
    expect(events?.newestBackup?.ageHours).toBeLessThan(0.1);
  });

  it('counts the stale table in the totals', () => {
    expect(report.totals.overObjective).toBe(1);
  });
});
