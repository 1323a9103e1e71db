import {
  DescribePipelinesCommand,
  GetPipelineDefinitionCommand,
  ListPipelinesCommand,
} from '@aws-sdk/client-data-pipeline';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import type { Handler } from 'aws-lambda';
import { buildExportDefinition, fromApiObjects } from '../../lib/backup-engines/datapipeline/definition';
import { EXPORT_S3_ACCESS } from '../../lib/backup-engines/datapipeline/s3-access';
import { parseConfig } from '../../lib/config';
import {
  accountStatements as accountStatementsFor,
  type PolicyDocument,
  PROTECTION_SIDS,
  TLS_ONLY_SID,
} from '../../lib/domain/policy';
import { lambdaContext } from '../../scripts/lambda-context';
import { provisionSandbox } from '../../scripts/sandbox';
import { loadEvent, tableEvent } from '../support/fixtures';
import {
  accountClients,
  BUCKET,
  describeWithMoto,
  OUTSIDER,
  REGISTRY,
  SOURCE_A,
  SOURCE_B,
  useMoto,
} from '../support/integration';

/** The statements an account's grant holds for the Data Pipeline engine's writers. */
const accountStatements = (bucket: string, account: string) => accountStatementsFor(bucket, account, EXPORT_S3_ACCESS);

const foreignStatement = {
  Sid: 'SecurityTeamRead',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::444444444444:role/security-audit' },
  Action: ['s3:GetObject', 's3:GetObjectVersion'],
  Resource: `arn:aws:s3:::${BUCKET}/*`,
};

describeWithMoto('onboard (against moto_server)', () => {
  useMoto();
  let handler: Handler;
  let clients: ReturnType<typeof accountClients>;
  const invoke = (event: unknown) => handler(event, lambdaContext('onboard'), () => undefined);
  const pipelineIds = async (account: string) =>
    ((await clients.pipelines(account).send(new ListPipelinesCommand({}))).pipelineIdList ?? []).map(
      (p) => p.id as string,
    );
  const policy = async () => {
    const out = await clients.backupS3().send(new GetBucketPolicyCommand({ Bucket: BUCKET }));
    return { text: out.Policy as string, doc: JSON.parse(out.Policy as string) as PolicyDocument };
  };

  beforeAll(async () => {
    clients = accountClients();
    const config = parseConfig(process.env);
    await provisionSandbox(config, [{ accountId: SOURCE_A, region: 'us-east-1', tableName: 'orders' }]);
    await clients.backupS3().send(
      new PutBucketPolicyCommand({
        Bucket: BUCKET,
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [foreignStatement] }),
      }),
    );
    ({ handler } = await import('../../functions/onboard'));
  });

  it('creates and activates the table’s pipeline in the source account, with the expected definition', async () => {
    const result = await invoke(loadEvent('create-table'));
    expect(result).toMatchObject({
      outcome: 'onboarded',
      pipelineCreated: true,
      outputLocation: `s3://${BUCKET}/${SOURCE_A}/us-east-1/orders/`,
    });

    const ids = await pipelineIds(SOURCE_A);
    expect(ids).toEqual([result.pipelineId]);
    const described = await clients.pipelines(SOURCE_A).send(new DescribePipelinesCommand({ pipelineIds: ids }));
    const desc = described.pipelineDescriptionList?.[0];
    expect(desc?.fields?.find((f) => f.key === '@pipelineState')?.stringValue).toBe('SCHEDULED');
    expect(desc?.tags).toEqual(
      expect.arrayContaining([
        { key: 'ddb-backup:table-arn', value: `arn:aws:dynamodb:us-east-1:${SOURCE_A}:table/orders` },
        { key: 'ddb-backup:managed-by', value: 'ddb-backup-orchestrator' },
      ]),
    );

    const stored = fromApiObjects(
      (await clients.pipelines(SOURCE_A).send(new GetPipelineDefinitionCommand({ pipelineId: result.pipelineId })))
        .pipelineObjects ?? [],
    );
    const start = stored.find((o) => o.id === 'DefaultSchedule')?.fields.startDateTime as string;
    expect(start).toMatch(/^\d{4}-\d{2}-\d{2}T03:00:00$/);
    const expected = buildExportDefinition({
      table: {
        accountId: SOURCE_A,
        region: 'us-east-1',
        tableName: 'orders',
        tableArn: `arn:aws:dynamodb:us-east-1:${SOURCE_A}:table/orders`,
      },
      bucket: BUCKET,
      readThroughputRatio: 0.25,
      startDateTime: start,
    });
    expect(stored.sort((a, b) => a.id.localeCompare(b.id))).toEqual(expected.sort((a, b) => a.id.localeCompare(b.id)));
  });

  it('grants the account its prefix and keeps the foreign statement unchanged', async () => {
    const { doc } = await policy();
    expect(doc.Version).toBe('2012-10-17');
    expect(doc.Statement[0]).toEqual(foreignStatement);
    expect(doc.Statement.map((s) => s.Sid)).toEqual([
      'SecurityTeamRead',
      TLS_ONLY_SID,
      ...PROTECTION_SIDS,
      ...accountStatements(BUCKET, SOURCE_A).map((s) => s.Sid),
    ]);
    expect(doc.Statement.slice(2 + PROTECTION_SIDS.length)).toEqual(accountStatements(BUCKET, SOURCE_A));
  });

  it('records the table as ACTIVE and the account as granted in the registry', async () => {
    const items = (await clients.registry().send(new ScanCommand({ TableName: REGISTRY }))).Items ?? [];
    const table = items.find((i) => i.pk?.S === `TABLE#${SOURCE_A}#us-east-1#orders`);
    expect(table?.status?.S).toBe('ACTIVE');
    expect(table?.leaseExpiresAt?.N).toBe('0'); // the lease is over (expired in the same write that marked the table ACTIVE)
    const grants = items.find((i) => i.pk?.S === `POLICY#${BUCKET}`);
    expect(grants?.accounts?.SS).toEqual([SOURCE_A]);
    expect(grants?.owner).toBeUndefined(); // the policy lease was released
  });

  it('leaves one pipeline and the same policy when the same event comes again', async () => {
    const before = await policy();
    const result = await invoke(loadEvent('create-table'));
    expect(result).toMatchObject({
      outcome: 'already-onboarded',
      pipelineCreated: false,
      grant: { alreadyGranted: true },
    });
    expect(await pipelineIds(SOURCE_A)).toHaveLength(1);
    expect((await policy()).text).toBe(before.text);
  });

  it('makes exactly one pipeline for ten concurrent deliveries of one event', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => invoke(tableEvent('create-table', SOURCE_A, 'payments'))),
    );
    expect(results.filter((r) => r.outcome === 'onboarded')).toHaveLength(1);
    expect(new Set(results.map((r) => r.pipelineId)).size).toBe(1);
    expect(await pipelineIds(SOURCE_A)).toHaveLength(2);
  });

  it('leaves the policy untouched for a second table in an already-granted account', async () => {
    const before = await policy();
    const result = await invoke(tableEvent('create-table', SOURCE_A, 'invoices'));
    expect(result).toMatchObject({ outcome: 'onboarded', grant: { alreadyGranted: true, policyWritten: false } });
    expect((await policy()).text).toBe(before.text);
  });

  it('adds a second account’s statements without disturbing the first', async () => {
    const before = (await policy()).doc;
    const result = await invoke(tableEvent('create-table', SOURCE_B, 'customers'));
    expect(result).toMatchObject({ outcome: 'onboarded', grant: { policyWritten: true } });
    const after = (await policy()).doc;
    expect(after.Statement.slice(0, before.Statement.length)).toEqual(before.Statement);
    expect(after.Statement.slice(before.Statement.length)).toEqual(accountStatements(BUCKET, SOURCE_B));
    expect(await pipelineIds(SOURCE_B)).toHaveLength(1);
  });

  it('ignores an account that is not allowed, and writes nothing', async () => {
    const before = await policy();
    const registryBefore = (await clients.registry().send(new ScanCommand({ TableName: REGISTRY }))).Items;
    const result = await invoke(tableEvent('create-table', OUTSIDER, 'orders'));
    expect(result).toMatchObject({ outcome: 'ignored', reason: 'AccountNotAllowed' });
    expect(await pipelineIds(OUTSIDER)).toEqual([]);
    expect((await policy()).text).toBe(before.text);
    expect((await clients.registry().send(new ScanCommand({ TableName: REGISTRY }))).Items).toEqual(registryBefore);
  });

  it('ignores a failed CreateTable call', async () => {
    await expect(invoke(loadEvent('create-table-failed'))).resolves.toMatchObject({
      outcome: 'ignored',
      reason: 'FailedCall',
    });
  });

  it('rejects a malformed event with an error naming the problem', async () => {
    const event = loadEvent('create-table');
    event.detail.recipientAccountId = 'not-an-account';
    await expect(invoke(event)).rejects.toThrow(/"not-an-account" is not a 12-digit account id/);
  });
});
