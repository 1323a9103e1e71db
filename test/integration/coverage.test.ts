import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutRuleCommand } from '@aws-sdk/client-eventbridge';
import { STSClient } from '@aws-sdk/client-sts';
import type { Handler } from 'aws-lambda';
import { RoleAssumer } from '../../lib/adapters/credentials';
import { parseConfig } from '../../lib/config';
import { FORWARDING_RULE_NAME } from '../../lib/domain/coverage';
import type { Report } from '../../lib/domain/report';
import { telemetry } from '../../lib/observability';
import { onboardTable } from '../../lib/usecases/onboard';
import { createServices } from '../../lib/wiring';
import { lambdaContext } from '../../scripts/lambda-context';
import { provisionSandbox } from '../../scripts/sandbox';
import { ref } from '../support/fakes/world';
import { accountClients, describeWithMoto, SOURCE_A, useMoto } from '../support/integration';

const US = 'us-east-1';
const EU = 'eu-west-1';

describeWithMoto('the coverage report (against moto_server)', () => {
  useMoto({ WATCH_REGIONS: `${US},${EU}`, COVERAGE_GRACE_MINUTES: '0', TABLE_EXCLUDE_PATTERN: '^tmp-' });
  let report: Report;
  const row = (region: string, table: string) =>
    report.rows.find((r) => r.account === SOURCE_A && r.region === region && r.table === table);

  beforeAll(async () => {
    const config = parseConfig(process.env);
    // us-east-1: orders (onboarded), ledger (its CreateTable never arrived), tmp-scratch (pattern), audit (opt-out tag).
    // eu-west-1, where no forwarding rule was deployed: invoices.
    await provisionSandbox(config, [
      { accountId: SOURCE_A, region: US, tableName: 'orders' },
      { accountId: SOURCE_A, region: US, tableName: 'ledger' },
      { accountId: SOURCE_A, region: US, tableName: 'tmp-scratch' },
      { accountId: SOURCE_A, region: EU, tableName: 'invoices' },
    ]);
    await accountClients()
      .dynamodb(SOURCE_A)
      .send(
        new CreateTableCommand({
          TableName: 'audit',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          Tags: [{ Key: 'ddb-backup', Value: 'off' }],
        }),
      );
    // The source template's forwarding rule, in us-east-1 only.
    const roles = new RoleAssumer(new STSClient({ region: US }));
    await new EventBridgeClient({
      region: US,
      credentials: roles.provider(`arn:aws:iam::${SOURCE_A}:role/ddb-backup-orchestrator-onboard`),
    }).send(
      new PutRuleCommand({
        Name: FORWARDING_RULE_NAME,
        State: 'ENABLED',
        EventPattern: JSON.stringify({ source: ['aws.dynamodb'], 'detail-type': ['AWS API Call via CloudTrail'] }),
      }),
    );
    const onboarding = await onboardTable({ ...createServices(config, 'onboard'), telemetry }, ref(SOURCE_A, 'orders'));
    expect(onboarding.outcome).toBe('onboarded');

    const { handler } = (await import('../../functions/report')) as { handler: Handler };
    report = await handler({}, lambdaContext('report'), () => undefined);
  }, 120_000);

  it('says protected, with its engine, for the table onboarded', () => {
    expect(row(US, 'orders')).toMatchObject({ status: 'protected', engine: 'datapipeline', finding: false });
  });

  it('says excluded by pattern and by tag for the tables the rules leave out', () => {
    expect(row(US, 'tmp-scratch')).toMatchObject({ status: 'excluded', cause: 'pattern' });
    expect(row(US, 'audit')).toMatchObject({
      status: 'excluded',
      cause: 'tag',
      detail: 'table audit is tagged ddb-backup=off',
    });
  });

  it('blames the missing forwarding rule for the table in the region without one', () => {
    expect(row(EU, 'invoices')).toMatchObject({ status: 'unprotected', finding: true, cause: 'no-forwarding-rule' });
  });

  it('says the event never arrived for the table in the region whose rule is in place', () => {
    expect(row(US, 'ledger')).toMatchObject({ status: 'unprotected', finding: true, cause: 'event-never-arrived' });
  });

  it('totals the coverage over the tables to protect, and says what auto-repair would do', () => {
    expect(report.totals).toMatchObject({ tables: 5, protected: 1, excluded: 2, unprotected: 2, findings: 2 });
    expect(report.totals.coveragePercent).toBe(33.3);
    expect(report.repairs.map((r) => [r.region, r.tables, r.outcome])).toEqual([
      [EU, ['invoices'], 'would-onboard'],
      [US, ['ledger'], 'would-onboard'],
    ]);
  });
});
