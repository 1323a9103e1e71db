import { parseArgs } from 'node:util';
import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ConflictException, CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { STSClient } from '@aws-sdk/client-sts';
import { RoleAssumer } from '../lib/adapters/credentials';
import { type Config, parseConfig, sourceRoleArn } from '../lib/config';
import { tablePrefix } from '../lib/domain/layout';
import { TLS_ONLY_SID } from '../lib/domain/policy';
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

export async function provisionSandbox(
  config: Config,
  samples: SampleTable[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<SandboxSummary> {
  if (!env.AWS_ENDPOINT_URL) {
    throw new Error(
      'AWS_ENDPOINT_URL is not set: the sandbox is only ever provisioned against a local endpoint such as moto_server',
    );
  }
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const roles = new RoleAssumer(new STSClient({ region }), { externalId: config.externalId });
  const summary: SandboxSummary = {
    registryTable: config.registryTable,
    bucket: config.backupBucket,
    created: [],
    existing: [],
  };
  const note = (what: string, created: boolean) => (created ? summary.created : summary.existing).push(what);

  const registry = new DynamoDBClient({ region });
  note(`registry table ${config.registryTable}`, await createTable(registry, config.registryTable));
  await registry
    .send(
      new UpdateTimeToLiveCommand({
        TableName: config.registryTable,
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      }),
    )
    .catch((e: Error) => {
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
  if (!bucketExists)
    await s3.send(new CreateBucketCommand({ Bucket: config.backupBucket, ObjectOwnership: 'BucketOwnerEnforced' }));
  note(`bucket ${config.backupBucket} in ${config.backupAccountId}`, !bucketExists);
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: config.backupBucket, VersioningConfiguration: { Status: 'Enabled' } }),
  );

  for (const t of samples) {
    const ddb = new DynamoDBClient({
      region: t.region,
      credentials: roles.provider(sourceRoleArn(config, t.accountId, 'restore')),
    });
    note(`table ${t.tableName} in ${t.accountId}/${t.region}`, await createTable(ddb, t.tableName));
  }
  return summary;
}

/** The run folder names of the `count` nightly runs (at BACKUP_TIME_UTC) before `now`, newest first. */
export function pastRunFolders(now: Date, time: Config['backupTimeUtc'], count: number): string[] {
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), time.hour, time.minute, 0));
  if (last.getTime() >= now.getTime()) last.setUTCDate(last.getUTCDate() - 1);
  return Array.from({ length: count }, (_, i) => {
    const run = new Date(last.getTime() - i * 86_400_000);
    return run.toISOString().slice(0, 19).replace(/[T:]/g, '-');
  });
}

/**
 * Writes `count` finished nightly snapshots of a table into the backup bucket, as the export
 * writes them (emr-dynamodb-tools on EMRFS): per run folder a data file, a `manifest` naming it
 * and the `<run>_$folder$` marker — what `restore` lists and restores. Local endpoints only.
 *
 * The bucket's policy denies every request made without TLS, and the emulator speaks plain HTTP,
 * so once the orchestrator has written that policy nobody can put an object there by hand. The
 * provisioning lifts the policy for these writes and puts the same text back afterwards.
 */
export async function seedSnapshots(
  config: Config,
  table: SampleTable,
  count: number,
  env: NodeJS.ProcessEnv = process.env,
  now = new Date(),
): Promise<{ runs: string[]; policyLifted: boolean }> {
  if (!env.AWS_ENDPOINT_URL)
    throw new Error(
      'AWS_ENDPOINT_URL is not set: snapshots are only ever seeded into a local endpoint such as moto_server',
    );
  const runs = pastRunFolders(now, config.backupTimeUtc, count);
  const prefix = tablePrefix(table);
  const { policyLifted } = await withPolicyLifted(config, env, async (s3, Bucket) => {
    for (const run of runs) {
      // A UUID-shaped name, as the export's, fixed per run so that seeding twice writes the same keys.
      const dataKey = `${prefix}${run}/00000000-0000-4000-8000-${run.replace(/-/g, '').slice(0, 12)}_000000`;
      const manifest = {
        name: 'DynamoDB-export',
        version: 3,
        entries: [{ url: `s3://${Bucket}/${dataKey}`, mandatory: true }],
      };
      await s3.send(new PutObjectCommand({ Bucket, Key: dataKey, Body: '{"pk":{"s":"sample-1"}}\n' }));
      await s3.send(new PutObjectCommand({ Bucket, Key: `${prefix}${run}/manifest`, Body: JSON.stringify(manifest) }));
      await s3.send(new PutObjectCommand({ Bucket, Key: `${prefix}${run}_$folder$`, Body: new Uint8Array(0) }));
    }
  });
  return { runs, policyLifted };
}

/**
 * Reads objects of the backup bucket as text, through the policy-writer role of the backup account
 * (what `npm start -- --engine native` reads an export's manifests with). Local endpoints only; the
 * bucket's TLS-only policy is lifted for the reads and put back, as for seedSnapshots.
 */
export async function readBackupObjects(
  config: Config,
  keys: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ bodies: string[]; policyLifted: boolean }> {
  if (!env.AWS_ENDPOINT_URL)
    throw new Error('AWS_ENDPOINT_URL is not set: backup objects are only ever read this way from a local endpoint');
  const bodies: string[] = [];
  const { policyLifted } = await withPolicyLifted(config, env, async (s3, Bucket) => {
    for (const Key of keys)
      bodies.push((await (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body?.transformToString()) ?? '');
  });
  return { bodies, policyLifted };
}

/**
 * Runs `work` (a product call that reads the backup bucket, such as a native restore checking the
 * export's manifests) with the bucket policy's TLS-only deny taken out — the grants stay, so the
 * ImportTable the restore starts is judged by them — and the policy put back byte for byte after.
 * moto speaks plain HTTP where the SDK speaks TLS to S3, and it applies that deny to every object
 * request. Local endpoints only.
 */
export async function withTlsDenyLifted<T>(
  config: Config,
  work: () => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ result: T; policyLifted: boolean }> {
  if (!env.AWS_ENDPOINT_URL)
    throw new Error('AWS_ENDPOINT_URL is not set: the bucket policy is only ever changed this way on a local endpoint');
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const roles = new RoleAssumer(new STSClient({ region }), { externalId: config.externalId });
  const s3 = new S3Client({ region, forcePathStyle: true, credentials: roles.provider(config.backupRoleArn) });
  const Bucket = config.backupBucket;
  const text = (await s3.send(new GetBucketPolicyCommand({ Bucket }))).Policy;
  const doc = JSON.parse(text ?? '{"Statement":[]}') as { Statement: Array<{ Sid?: string }> };
  const kept = doc.Statement.filter((st) => st.Sid !== TLS_ONLY_SID);
  const lifted = text !== undefined && kept.length < doc.Statement.length;
  if (lifted)
    await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify({ ...doc, Statement: kept }) }));
  try {
    return { result: await work(), policyLifted: lifted };
  } finally {
    if (lifted) await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: text }));
  }
}

/**
 * Runs `work` with the backup bucket's policy deleted, then puts the same text back: the policy denies
 * every request made without TLS, and the emulator speaks plain HTTP.
 */
async function withPolicyLifted(
  config: Config,
  env: NodeJS.ProcessEnv,
  work: (s3: S3Client, bucket: string) => Promise<void>,
): Promise<{ policyLifted: boolean }> {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const roles = new RoleAssumer(new STSClient({ region }), { externalId: config.externalId });
  // moto 5.2.1 does not take the SDK's default streaming checksums on PutObject.
  const s3 = new S3Client({
    region,
    forcePathStyle: true,
    credentials: roles.provider(config.backupRoleArn),
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const Bucket = config.backupBucket;
  const policy = await s3.send(new GetBucketPolicyCommand({ Bucket })).then(
    (out) => out.Policy,
    (e: Error) => {
      if (e.name === 'NoSuchBucketPolicy') return undefined;
      throw e;
    },
  );
  if (policy !== undefined) await s3.send(new DeleteBucketPolicyCommand({ Bucket }));
  try {
    await work(s3, Bucket);
  } finally {
    if (policy !== undefined) await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: policy }));
  }
  return { policyLifted: policy !== undefined };
}

/**
 * The native engine's schedule group (SCHEDULE_GROUP) in each account and region of `samples`, as
 * templates/source-account.yml makes it: what onboarding a table of a native account needs there.
 * Local endpoints only; safe to run twice. Returns what was created and what existed.
 */
export async function provisionScheduleGroups(
  config: Config,
  samples: readonly SampleTable[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Pick<SandboxSummary, 'created' | 'existing'>> {
  if (!env.AWS_ENDPOINT_URL)
    throw new Error('AWS_ENDPOINT_URL is not set: schedule groups are only ever made here on a local endpoint');
  const roles = new RoleAssumer(new STSClient({ region: env.AWS_REGION ?? 'us-east-1' }), {
    externalId: config.externalId,
  });
  const summary: Pick<SandboxSummary, 'created' | 'existing'> = { created: [], existing: [] };
  for (const where of new Set(samples.map((t) => `${t.accountId}/${t.region}`))) {
    const [accountId = '', region = ''] = where.split('/');
    const scheduler = new SchedulerClient({
      region,
      credentials: roles.provider(sourceRoleArn(config, accountId, 'onboard')),
    });
    const what = `schedule group ${config.scheduleGroup} in ${where}`;
    try {
      await scheduler.send(new CreateScheduleGroupCommand({ Name: config.scheduleGroup }));
      summary.created.push(what);
    } catch (e) {
      if (!(e instanceof ConflictException)) throw e;
      summary.existing.push(what);
    }
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

const USAGE =
  'usage: npm run sandbox:provision [-- --snapshots N]   (N finished nightly snapshots of the sample table, 0-30)';

/** The number of snapshots asked for on the command line, or a message saying what is wrong. */
export function parseSnapshotsOption(argv: string[]): number | string {
  let snapshots: string | undefined;
  try {
    snapshots = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { snapshots: { type: 'string' } },
    }).values.snapshots;
  } catch (e) {
    return (e as Error).message;
  }
  if (snapshots === undefined) return 0;
  const n = Number(snapshots);
  return /^\d+$/.test(snapshots) && n <= 30 ? n : `--snapshots must be a whole number from 0 to 30, got "${snapshots}"`;
}

/**
 * `npm run sandbox:provision [-- --snapshots N]`: what the dev stage's settings name (the ones
 * `sls invoke local` uses, which win over the shell's as they do there), one sample table,
 * `SAMPLE_TABLE` (default orders), in the first source account, and optionally N finished
 * snapshots of it in the bucket.
 */
async function main(): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const snapshots = parseSnapshotsOption(process.argv.slice(2));
  if (typeof snapshots === 'string') {
    console.error(`sandbox:provision: ${snapshots}\n${USAGE}`);
    return 2;
  }
  const config = parseConfig({ ...process.env, ...localStageEnv() });
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const sample = {
    accountId: config.sourceAccounts[0] as string,
    region,
    tableName: process.env.SAMPLE_TABLE ?? 'orders',
  };
  const summary = await provisionSandbox(config, [sample]);
  for (const c of summary.created) console.log(`created   ${c}`);
  for (const c of summary.existing) console.log(`existing  ${c}`);
  if (snapshots > 0) {
    const seeded = await seedSnapshots(config, sample, snapshots);
    console.log(
      `seeded    ${seeded.runs.length} snapshot(s) of ${sample.tableName} under s3://${config.backupBucket}/${tablePrefix(sample)}: ${seeded.runs.join(', ')}`,
    );
    if (seeded.policyLifted)
      console.log(
        '          (the bucket policy, which refuses plain HTTP, was lifted for these writes and put back unchanged)',
      );
  }
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: Error) => {
      console.error(`sandbox:provision failed: ${e.message}`);
      process.exit(1);
    },
  );
}
