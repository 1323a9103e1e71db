import { randomUUID } from 'node:crypto';
import { DataPipelineClient } from '@aws-sdk/client-data-pipeline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3BucketPolicyStore } from './adapters/bucket-policy';
import { CLIENT_SETTINGS } from './adapters/client-settings';
import { RoleAssumer } from './adapters/credentials';
import { DynamoGrantCatalog } from './adapters/grant-catalog';
import { TokenBucket } from './adapters/rate-limiter';
import { DynamoSourceTables } from './adapters/source-tables';
import { DynamoTableRegistry } from './adapters/table-registry';
import { PipelineApi } from './backup-engines/datapipeline/api';
import { dataPipelineEngine } from './backup-engines/datapipeline/engine';
import { type Config, sourceRoleArn } from './config';
import type { BackupEngine } from './ports/backup-engine';
import type { GrantCatalog } from './ports/grant-catalog';
import type { SourceTablesOf } from './ports/source-tables';
import type { TableRegistry } from './ports/table-registry';
import type { LockOptions } from './usecases/lock';

/**
 * The composition root: what the use cases are handed in production. Each port gets its AWS
 * adapter here, and nothing else in lib/ chooses one. SDK clients are made once per container and
 * reused; those of a source account on its first use.
 */
export interface Services {
  config: Config;
  /** The registry's table records and the grant catalog: one DynamoDB table, one client. */
  registry: TableRegistry;
  grants: GrantCatalog;
  engine: BackupEngine;
  sourceTables: SourceTablesOf;
  /** The backup bucket: its policy, and its keys (restore lists snapshots). */
  policy: S3BucketPolicyStore;
  roles: RoleAssumer;
  /** The Data Pipeline engine's calls in an account and region (what the engine uses; tools and tests read pipelines through it). */
  pipelines: (accountId: string, region: string) => PipelineApi;
  lock: LockOptions;
  newOwnerId: () => string;
}

export function createServices(config: Config, env: NodeJS.ProcessEnv = process.env): Services {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const roles = new RoleAssumer(new STSClient({ region, ...CLIENT_SETTINGS }), { externalId: config.externalId });
  /** One client per source account and region, made on first use and kept for the container's life. */
  const perAccount = <T>(make: (account: string, region: string, credentials: ReturnType<RoleAssumer['provider']>, roleArn: string) => T) => {
    const cache = new Map<string, T>();
    return (accountId: string, r: string): T => {
      const key = `${accountId}/${r}`;
      let value = cache.get(key);
      if (value === undefined) {
        const roleArn = sourceRoleArn(config, accountId);
        value = make(accountId, r, roles.provider(roleArn), roleArn);
        cache.set(key, value);
      }
      return value;
    };
  };
  const pipelines = perAccount((_, r, credentials, roleArn) => {
    const bucket = new TokenBucket(config.dataPipelineRate, config.dataPipelineBurst);
    return new PipelineApi(new DataPipelineClient({ region: r, credentials, ...CLIENT_SETTINGS }), () => roles.credentials(roleArn), () => bucket.take());
  });
  const sourceTables = perAccount((_, r, credentials) => new DynamoSourceTables(new DynamoDBClient({ region: r, credentials, ...CLIENT_SETTINGS })));
  const s3Config = { region, credentials: roles.provider(config.backupRoleArn), ...CLIENT_SETTINGS, forcePathStyle: env.AWS_ENDPOINT_URL !== undefined };
  const registryClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region, ...CLIENT_SETTINGS }), { marshallOptions: { removeUndefinedValues: true } });
  return {
    config,
    registry: new DynamoTableRegistry(registryClient, config.registryTable),
    grants: new DynamoGrantCatalog(registryClient, config.registryTable),
    engine: dataPipelineEngine(pipelines),
    sourceTables,
    policy: new S3BucketPolicyStore(s3Config, config.backupBucket, () => roles.credentials(config.backupRoleArn)),
    roles,
    pipelines,
    lock: {
      leaseMs: config.lockLeaseSeconds * 1000,
      // Long enough to outlast the lease of a holder that died, within the functions' timeouts.
      waitMs: Math.min(config.lockLeaseSeconds * 1000 + 5_000, 65_000),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      now: Date.now,
    },
    newOwnerId: randomUUID,
  };
}
