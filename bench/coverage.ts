import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STSClient } from '@aws-sdk/client-sts';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RoleAssumer } from '../lib/adapters/credentials';
import { parseConfig } from '../lib/config';
import type { TableRecord } from '../lib/domain/lifecycle';
import { checkCoverage } from '../lib/usecases/coverage';
import { mapPool } from '../lib/usecases/pool';
import { createServices } from '../lib/wiring';
import { FaultProxy } from '../scripts/fault-proxy';
import { provisionSandbox } from '../scripts/sandbox';
import { silent } from './silent';

/**
 * One coverage pass over ACCOUNTS × REGIONS × TABLES tables, through the bench's fault proxy at its
 * fixed latency, counting every call the pass makes by operation. Each account and region holds
 * one table excluded by name (`tmp-…`: no call), one table the registry never heard of (a finding:
 * ListTagsOfResource, DescribeTable, and the region's DescribeRule) and the rest ACTIVE in the
 * registry (no call beyond ListTables). No forwarding rule exists, so each finding's cause is the
 * missing rule.
 */
const ACCOUNTS = 50;
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'];
const TABLES = 100;

const name = (i: number) => (i === 0 ? 'tmp-000' : `table-${String(i).padStart(3, '0')}`);

export async function coverageBench(motoEndpoint: string, latencyMs: number): Promise<Record<string, unknown>> {
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => String(600000000000 + i));
  const env = {
    ...process.env,
    AWS_ENDPOINT_URL: motoEndpoint,
    SOURCE_ACCOUNTS: accounts.join(','),
    WATCH_REGIONS: REGIONS.join(','),
    TABLE_EXCLUDE_PATTERN: '^tmp-',
    // The tables were created a moment ago: no grace period, so that each unregistered one is a finding.
    COVERAGE_GRACE_MINUTES: '0',
    BACKUP_BUCKET: 'bench-coverage',
    REGISTRY_TABLE: 'bench-coverage-registry',
  };
  const config = parseConfig(env);
  const total = ACCOUNTS * REGIONS.length * TABLES;
  console.log(
    `\n## Coverage pass (${ACCOUNTS} accounts × ${REGIONS.length} regions × ${TABLES} tables = ${total}; ${latencyMs} ms a call)\n`,
  );

  // The world, straight into moto (no proxy): the tables, and the registry's records of the protected ones.
  const started = performance.now();
  await provisionSandbox(config, [], env);
  const roles = new RoleAssumer(new STSClient({ region: 'us-east-1', endpoint: motoEndpoint }));
  const places = accounts.flatMap((accountId) => REGIONS.map((region) => ({ accountId, region })));
  const creations = places.flatMap((p) => Array.from({ length: TABLES }, (_, i) => ({ ...p, tableName: name(i) })));
  const clients = new Map<string, DynamoDBClient>();
  const client = (accountId: string, region: string) => {
    const key = `${accountId}/${region}`;
    let c = clients.get(key);
    if (c === undefined) {
      c = new DynamoDBClient({
        region,
        endpoint: motoEndpoint,
        credentials: roles.provider(`arn:aws:iam::${accountId}:role/bench`),
      });
      clients.set(key, c);
    }
    return c;
  };
  const created = await mapPool(creations, 16, (t) =>
    client(t.accountId, t.region).send(
      new CreateTableCommand({
        TableName: t.tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    ),
  );
  const failed = created.filter((c) => c.status === 'rejected');
  if (failed.length > 0)
    throw new Error(
      `bench: ${failed.length} tables could not be created: ${String((failed[0] as PromiseRejectedResult).reason)}`,
    );
  const iso = new Date(Date.now() - 86_400_000).toISOString();
  const records: TableRecord[] = creations
    .filter((t) => t.tableName !== name(0) && t.tableName !== name(1))
    .map((t) => ({
      pk: `TABLE#${t.accountId}#${t.region}#${t.tableName}`,
      accountId: t.accountId,
      region: t.region,
      tableName: t.tableName,
      tableArn: `arn:aws:dynamodb:${t.region}:${t.accountId}:table/${t.tableName}`,
      status: 'ACTIVE',
      attempts: 1,
      generation: 1,
      pipelineId: `df-${t.accountId}${t.region}${t.tableName}`,
      createdAt: iso,
      updatedAt: iso,
      activatedAt: iso,
    }));
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', endpoint: motoEndpoint }));
  const batches = Array.from({ length: Math.ceil(records.length / 25) }, (_, i) => records.slice(i * 25, i * 25 + 25));
  const written = await mapPool(batches, 8, (batch) =>
    doc.send(
      new BatchWriteCommand({
        RequestItems: { [config.registryTable]: batch.map((Item) => ({ PutRequest: { Item } })) },
      }),
    ),
  );
  const unprocessed = written.filter(
    (w) => w.status === 'rejected' || Object.keys(w.value.UnprocessedItems ?? {}).length > 0,
  );
  if (unprocessed.length > 0) throw new Error(`bench: ${unprocessed.length} registry batches were not written`);
  console.log(
    `(set up ${creations.length} tables and ${records.length} registry records in ${((performance.now() - started) / 1000).toFixed(0)} s, not measured)\n`,
  );

  // The pass, through the proxy: a fresh set of services, as a new container would have.
  const proxy = await new FaultProxy({ target: motoEndpoint, latencyMs }).start();
  const saved = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = proxy.endpoint;
  try {
    const services = createServices(parseConfig({ ...env, AWS_ENDPOINT_URL: proxy.endpoint }), 'report');
    const t0 = performance.now();
    const report = await services.inInvocation('bench', () =>
      checkCoverage({ ...services, telemetry: silent }, undefined, new Date()),
    );
    const ms = performance.now() - t0;
    const byOperation = Object.fromEntries(
      Object.entries(proxy.stats.byOperation).sort(([a], [b]) => a.localeCompare(b)),
    );
    console.log('| operation | calls |');
    console.log('|---|---|');
    for (const [op, n] of Object.entries(byOperation)) console.log(`| ${op} | ${n} |`);
    console.log(`| **all** | **${proxy.stats.calls}** |`);
    console.log(
      `\n${report.totals.tables} tables: ${report.totals.protected} protected, ${report.totals.excluded} excluded, ${report.totals.unprotected} unprotected (${report.totals.findings} findings); ${(ms / 1000).toFixed(1)} s for the pass`,
    );
    return {
      accounts: ACCOUNTS,
      regions: REGIONS.length,
      tables: total,
      latencyMs,
      ms,
      calls: proxy.stats.calls,
      byOperation,
      totals: report.totals,
    };
  } finally {
    process.env.AWS_ENDPOINT_URL = saved;
    await proxy.stop();
  }
}
