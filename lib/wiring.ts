import { randomUUID } from 'node:crypto';
import { DataPipelineClient } from '@aws-sdk/client-data-pipeline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3BackupFiles } from './adapters/backup-files';
import { S3BucketPolicyStore } from './adapters/bucket-policy';
import { CLIENT_SETTINGS } from './adapters/client-settings';
import { RoleAssumer } from './adapters/credentials';
import { EventBridgeForwardingRule } from './adapters/forwarding-rules';
import { DynamoGrantCatalog } from './adapters/grant-catalog';
import { TokenBucket } from './adapters/rate-limiter';
import { DynamoScratchTables } from './adapters/scratch-tables';
import { DynamoSourceTables } from './adapters/source-tables';
import { DynamoTableRegistry } from './adapters/table-registry';
import { PipelineApi } from './backup-engines/datapipeline/api';
import { dataPipelineEngine } from './backup-engines/datapipeline/engine';
import { NativeApi } from './backup-engines/native/api';
import { nativeEngine } from './backup-engines/native/engine';
import { routeEngines } from './backup-engines/route';
import { type Config, type FunctionName, hasSourceRole, roleSessionName, sourceRoleArn } from './config';
import { FORWARDING_RULE_NAME } from './domain/coverage';
import { ConfigError } from './errors';
import type { BackupEngine } from './ports/backup-engine';
import type { BackupBucket, BucketPolicyStore } from './ports/bucket-policy-store';
import type { BackupFilesOf, ScratchTablesOf } from './ports/drill';
import type { ForwardingRulesOf } from './ports/forwarding-rules';
import type { GrantCatalog } from './ports/grant-catalog';
import type { SourceTablesOf } from './ports/source-tables';
import type { TableRegistry } from './ports/table-registry';
import type { LockOptions } from './usecases/lock';

/**
 * The composition root: what the use cases are handed in production. Each port gets its AWS
 * adapter here, and nothing else in lib/ chooses one. SDK clients are made once per container and
 * reused; those acting through an assumed role once per role session (an SDK client keeps the
 * credentials it was first given): inside `inInvocation`, once per invocation (see RoleAssumer).
 */
export interface Services {
  config: Config;
  /** The function these services act for: it picks the role assumed in source accounts and names the sessions. */
  fn: FunctionName;
  /** Runs one invocation's work: every role it assumes carries the session name `ddb-backup-<function>-<requestId>`. */
  inInvocation<T>(requestId: string, work: () => Promise<T>): Promise<T>;
  /** The registry's table records and the grant catalog: one DynamoDB table, one client. */
  registry: TableRegistry;
  grants: GrantCatalog;
  engine: BackupEngine;
  sourceTables: SourceTablesOf;
  /** The backup bucket's policy, through the policy-writer role (BACKUP_ROLE_ARN). */
  policy: BucketPolicyStore & BackupBucket;
  /** The backup bucket's keys, through the snapshot-reader role (SNAPSHOT_READER_ROLE_ARN): what restore lists snapshots with, and the report run folders. */
  snapshots: BackupBucket;
  roles: RoleAssumer;
  /** The Data Pipeline engine's calls in an account and region (what the engine uses; tools and tests read pipelines through it). */
  pipelines: (accountId: string, region: string) => PipelineApi;
  /** The native engine's Scheduler and DynamoDB calls in an account and region (tools and tests read schedules and exports through it). */
  natives: (accountId: string, region: string) => NativeApi;
  lock: LockOptions;
  newOwnerId: () => string;
  /** The source template's forwarding rule in an account and region (what the coverage report asks about). */
  forwardingRules: ForwardingRulesOf;
  /** The drill's scratch tables, and its read of the account's prefix of the backup bucket (through the function's source role). */
  scratchTables: ScratchTablesOf;
  backupFiles: BackupFilesOf;
}

/** Kept per role session at most; an invocation's session is of no use once it is over. */
const MAX_KEPT = 256;
function keep<T>(map: Map<string, T>, key: string, make: () => T): T {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
    if (map.size > MAX_KEPT) map.delete(map.keys().next().value as string);
  }
  return value;
}

/**
 * `fn` is the function the services act for (tools and tests that drive the use cases directly act as `onboard`):
 * in a source account they assume `<SOURCE_ROLE_NAME>-<fn>`, the one role there that trusts that function's role.
 */
export function createServices(
  config: Config,
  fn: FunctionName = 'onboard',
  env: NodeJS.ProcessEnv = process.env,
): Services {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const roles = new RoleAssumer(new STSClient({ region, ...CLIENT_SETTINGS }), {
    externalId: config.externalId,
    sessionName: roleSessionName(fn),
  });
  const sourceRole = (accountId: string): string => {
    if (!hasSourceRole(fn)) throw new ConfigError(`the ${fn} function has no role in source accounts`);
    return sourceRoleArn(config, accountId, fn);
  };
  /** One client per source account and region and role session, made on first use. */
  const perAccount = <T>(
    make: (account: string, region: string, credentials: ReturnType<RoleAssumer['provider']>, roleArn: string) => T,
  ) => {
    const cache = new Map<string, T>();
    return (accountId: string, r: string): T =>
      keep(cache, `${roles.sessionName()} ${accountId}/${r}`, () => {
        const roleArn = sourceRole(accountId);
        return make(accountId, r, roles.provider(roleArn), roleArn);
      });
  };
  /** Data Pipeline's pace is per account and region, whatever the session: one token bucket each, for the container's life. */
  const paces = new Map<string, TokenBucket>();
  const pipelines = perAccount((account, r, credentials, roleArn) => {
    const bucket = keep(
      paces,
      `${account}/${r}`,
      () => new TokenBucket(config.dataPipelineRate, config.dataPipelineBurst),
    );
    return new PipelineApi(
      new DataPipelineClient({ region: r, credentials, ...CLIENT_SETTINGS }),
      () => roles.credentials(roleArn),
      () => bucket.take(),
    );
  });
  /**
   * The native engine's pace per account and region: 10 calls a second, burst 20, for Scheduler and DynamoDB's
   * control plane together — under Scheduler's lowest published per-operation rate (50 a second in its quota page's
   * older edition, 250 and up in the current one), so that a backfill of hundreds of tables is not throttled.
   */
  const nativePaces = new Map<string, TokenBucket>();
  const natives = perAccount((account, r, credentials, roleArn) => {
    const bucket = keep(nativePaces, `${account}/${r}`, () => new TokenBucket(10, 20));
    return new NativeApi(
      new SchedulerClient({ region: r, credentials, ...CLIENT_SETTINGS }),
      new DynamoDBClient({ region: r, credentials, ...CLIENT_SETTINGS }),
      () => roles.credentials(roleArn),
      () => bucket.take(),
    );
  });
  const sourceTables = perAccount(
    (_, r, credentials) => new DynamoSourceTables(new DynamoDBClient({ region: r, credentials, ...CLIENT_SETTINGS })),
  );
  /** The backup bucket through one of the backup account's roles, one S3 client per role session. */
  const backupBucketAs = (roleArn: () => string): BucketPolicyStore & BackupBucket => {
    const stores = new Map<string, S3BucketPolicyStore>();
    const store = () =>
      keep(stores, roles.sessionName(), () => {
        const arn = roleArn();
        const s3Config = {
          region,
          credentials: roles.provider(arn),
          ...CLIENT_SETTINGS,
          forcePathStyle: env.AWS_ENDPOINT_URL !== undefined,
        };
        return new S3BucketPolicyStore(s3Config, config.backupBucket, () => roles.credentials(arn));
      });
    return {
      get: async () => store().get(),
      put: async (policy) => store().put(policy),
      warm: async () => store().warm(),
      listKeys: async (prefix) => store().listKeys(prefix),
      listObjects: async (prefix) => store().listObjects(prefix),
      listVersions: async (prefix) => store().listVersions(prefix),
      read: async (key) => store().read(key),
    };
  };
  const files = perAccount(
    (_, r, credentials) =>
      new S3BackupFiles(
        { region: r, credentials, ...CLIENT_SETTINGS, forcePathStyle: env.AWS_ENDPOINT_URL !== undefined },
        config.backupBucket,
      ),
  );
  const snapshotReader = () => {
    if (config.snapshotReaderRoleArn === undefined)
      throw new ConfigError(
        'SNAPSHOT_READER_ROLE_ARN is not set: restore lists snapshots, and the report run folders, through that role',
      );
    return config.snapshotReaderRoleArn;
  };
  const registryClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region, ...CLIENT_SETTINGS }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    config,
    fn,
    inInvocation: (requestId, work) => roles.inInvocation(roleSessionName(fn, requestId), work),
    registry: new DynamoTableRegistry(registryClient, config.registryTable),
    grants: new DynamoGrantCatalog(registryClient, config.registryTable),
    engine: routeEngines(
      {
        datapipeline: dataPipelineEngine(pipelines),
        native: nativeEngine(natives, { scheduleGroup: config.scheduleGroup }),
      },
      config,
    ),
    sourceTables,
    policy: backupBucketAs(() => config.backupRoleArn),
    snapshots: backupBucketAs(snapshotReader),
    roles,
    pipelines,
    natives,
    lock: {
      leaseMs: config.lockLeaseSeconds * 1000,
      // Long enough to outlast the lease of a holder that died, within the functions' timeouts.
      waitMs: Math.min(config.lockLeaseSeconds * 1000 + 5_000, 65_000),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      now: Date.now,
    },
    newOwnerId: randomUUID,
    scratchTables: perAccount(
      (_, r, credentials) =>
        new DynamoScratchTables(new DynamoDBClient({ region: r, credentials, ...CLIENT_SETTINGS })),
    ),
    // The bucket's region is the orchestrator's (as for the policy writer); the account's prefix, read as its role.
    backupFiles: (accountId) => files(accountId, region),
    forwardingRules: perAccount(
      (_, r, credentials) =>
        new EventBridgeForwardingRule(
          new EventBridgeClient({ region: r, credentials, ...CLIENT_SETTINGS }),
          FORWARDING_RULE_NAME,
        ),
    ),
  };
}
