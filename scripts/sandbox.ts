import { CreateTableCommand, DynamoDBClient, ResourceInUseException, UpdateTimeToLiveCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { RoleAssumer } from '../lib/adapters/credentials';
import { type Config, parseConfig, sourceRoleArn } from '../lib/config';
import { localStageEnv } from './local-stage';

/**
 * Creates what a local run needs, against whatever AWS_ENDPOINT_URL points at, from the same
 * environment variables the functions read: the registry table (orchestrator account, the
 * caller's own credentials), the backup bucket (backup account, through BACKUP_ROLE_ARN) and
 * sample tables in source accounts (through SOURCE_ROLE_NAME). Safe to run twice.
 */

export interface SampleTable {
  accountId: string;
  region: string;
  tableName: string;
}

export interface SandboxSummary {
  registryTable: string;
  bucket: string;
  created: string[];
  existing: string[];
}

export async function provisionSandbox(config: Config, samples: SampleTable[], env: NodeJS.ProcessEnv = process.env): Promise<SandboxSummary> {
  if (!env.AWS_ENDPOINT_URL) {
    throw new Error('AWS_ENDPOINT_URL is not set: the sandbox is only ever provisioned against a local endpoint such as moto_server');
  }
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const roles = new RoleAssumer(new STSClient({ region }), { externalId: config.externalId });
  const summary: SandboxSummary = { registryTable: config.registryTable, bucket: config.backupBucket, created: [], existing: [] };
  const note = (what: string, created: boolean) => (created ? summary.created : summary.existing).push(what);

  const registry = new DynamoDBClient({ region });
  note(`registry table ${config.registryTable}`, await createTable(registry, config.registryTable));
  await registry.send(new UpdateTimeToLiveCommand({ TableName: config.registryTable, TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } })).catch((e: Error) => {
    if (!/already enabled|TimeToLive is already/i.test(e.message)) throw e;
  });

  const s3 = new S3Client({ region, forcePathStyle: true, credentials: roles.provider(config.backupRoleArn) });
  const bucketExists = await s3.send(new HeadBucketCommand({ Bucket: config.backupBucket })).then(
    () => true,
    (e: Error) => {
      if (e.name === 'NotFound' || e.name === 'NoSuchBucket') return false;
      throw e;
    },
  );
  if (!bucketExists) await s3.send(new CreateBucketCommand({ Bucket: config.backupBucket, ObjectOwnership: 'BucketOwnerEnforced' }));
  note(`bucket ${config.backupBucket} in ${config.backupAccountId}`, !bucketExists);
  await s3.send(new PutBucketVersioningCommand({ Bucket: config.backupBucket, VersioningConfiguration: { Status: 'Enabled' } }));

  for (const t of samples) {
    const ddb = new DynamoDBClient({ region: t.region, credentials: roles.provider(sourceRoleArn(config, t.accountId)) });
    note(`table ${t.tableName} in ${t.accountId}/${t.region}`, await createTable(ddb, t.tableName));
  }
  return summary;
}

async function createTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
    return true;
  } catch (e) {
    if (e instanceof ResourceInUseException) return false;
    throw e;
  }
}

/**
 * `npm run sandbox:provision`: what the dev stage's settings name (the ones `sls invoke local` uses,
 * which win over the shell's as they do there), and one sample table, `SAMPLE_TABLE` (default
 * orders), in the first source account.
 */
async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const config = parseConfig({ ...process.env, ...localStageEnv() });
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const summary = await provisionSandbox(config, [
    { accountId: config.sourceAccounts[0] as string, region, tableName: process.env.SAMPLE_TABLE ?? 'orders' },
  ]);
  for (const c of summary.created) console.log(`created   ${c}`);
  for (const c of summary.existing) console.log(`existing  ${c}`);
}

if (require.main === module) {
  main().catch((e: Error) => {
    console.error(`sandbox:provision failed: ${e.message}`);
    process.exit(1);
  });
}
