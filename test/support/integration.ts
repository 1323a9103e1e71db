import { DataPipelineClient } from '@aws-sdk/client-data-pipeline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { RoleAssumer } from '../../lib/adapters/credentials';
import { type Moto, motoAvailable, startMoto } from '../../scripts/moto';

export const SOURCE_A = '111111111111';
export const SOURCE_B = '222222222222';
export const OUTSIDER = '333333333333';
const BACKUP = '999999999999';
export const BUCKET = 'corp-ddb-backups';
export const REGISTRY = 'ddb-backup-registry';
const ROLE_NAME = 'ddb-backup-orchestrator';
const BACKUP_ROLE = `arn:aws:iam::${BACKUP}:role/ddb-backup-policy-writer`;

const baseEnv = {
  BACKUP_BUCKET: BUCKET,
  BACKUP_ROLE_ARN: BACKUP_ROLE,
  SNAPSHOT_READER_ROLE_ARN: `arn:aws:iam::${BACKUP}:role/ddb-backup-snapshot-reader`,
  SOURCE_ROLE_NAME: ROLE_NAME,
  SOURCE_ACCOUNTS: `${SOURCE_A},${SOURCE_B}`,
  REGISTRY_TABLE: REGISTRY,
  LOCK_LEASE_SECONDS: '10',
};

/**
 * `describe` for a suite that needs moto_server. Where moto_server is missing the suite is
 * skipped, and test/support/moto-notice.ts says so once, after jest's summary, with the install
 * command — except under CI=true, where the suite runs and fails with it.
 */
export const describeWithMoto: jest.Describe = motoAvailable() || process.env.CI === 'true' ? describe : describe.skip;

/** Starts a moto_server for the current test file and points the AWS SDK at it. */
export function useMoto(extraEnv: Record<string, string> = {}): { readonly endpoint: string } {
  let moto: Moto | undefined;
  const saved = { ...process.env };
  beforeAll(async () => {
    moto = await startMoto();
    Object.assign(process.env, baseEnv, extraEnv, { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1' });
  }, 60_000);
  afterAll(async () => {
    process.env = saved;
    await moto?.stop();
  });
  return {
    get endpoint() {
      if (moto === undefined) throw new Error('moto_server is not running');
      return moto.endpoint;
    },
  };
}

/** SDK clients acting in another account, as the orchestrator's roles would. */
export function accountClients(region = 'us-east-1') {
  const roles = new RoleAssumer(new STSClient({ region }));
  const source = (account: string) => roles.provider(`arn:aws:iam::${account}:role/${ROLE_NAME}`);
  return {
    pipelines: (account: string, r = region) => new DataPipelineClient({ region: r, credentials: source(account) }),
    dynamodb: (account: string, r = region) => new DynamoDBClient({ region: r, credentials: source(account) }),
    // moto 5.2.1 does not take the SDK's default streaming checksums on PutObject.
    backupS3: () =>
      new S3Client({
        region,
        forcePathStyle: true,
        credentials: roles.provider(BACKUP_ROLE),
        requestChecksumCalculation: 'WHEN_REQUIRED',
      }),
    registry: () => new DynamoDBClient({ region }),
  };
}

/**
 * The object keys moto holds in a bucket (one entry per version), read from its state dump rather
 * than through S3: once the orchestrator has written the TLS-only deny, moto (which enforces
 * bucket policies on object requests) refuses every plain-HTTP object request — as S3 would.
 */
export async function motoObjectKeys(endpoint: string, bucket: string): Promise<string[]> {
  const state = (await (await fetch(`${endpoint}/moto-api/data.json`)).json()) as {
    s3?: { FakeKey?: Array<{ bucket_name: string; name: string; disposed?: boolean }> };
  };
  return (state.s3?.FakeKey ?? [])
    .filter((k) => k.bucket_name === bucket && !k.disposed)
    .map((k) => k.name)
    .sort();
}
