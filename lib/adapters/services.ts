import { randomUUID } from 'node:crypto';
import { DataPipelineClient } from '@aws-sdk/client-data-pipeline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STSClient } from '@aws-sdk/client-sts';
import { type Config, sourceRoleArn } from '../config';
import { PipelineApi } from '../engine/datapipeline/api';
import type { LockOptions } from '../usecases/lock';
import { S3BucketPolicyStore } from './bucket-policy';
import { CLIENT_SETTINGS } from './client-settings';
import { SourceTables } from './source-tables';
import { RoleAssumer } from './credentials';
import { TokenBucket } from './rate-limiter';
import { Registry } from './registry';

/** What the use-cases are handed in production: SDK clients made once per container and reused. */
export interface Services {
  config: Config;
  registry: Registry;
  roles: RoleAssumer;
  pipelines: (accountId: string, region: string) => PipelineApi;
  sourceTables: (accountId: string, region: string) => SourceTables;
  policy: S3BucketPolicyStore;
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
  const sourceTables = perAccount((_, r, credentials) => new SourceTables(new DynamoDBClient({ region: r, credentials, ...CLIENT_SETTINGS })));
  const s3Config = { region, credentials: roles.provider(config.backupRoleArn), ...CLIENT_SETTINGS, forcePathStyle: env.AWS_ENDPOINT_URL !== undefined };
  return {
    config,
    registry: new Registry(new DynamoDBClient({ region, ...CLIENT_SETTINGS }), config.registryTable),
    roles,
    pipelines,
    sourceTables,
    policy: new S3BucketPolicyStore(s3Config, config.backupBucket, () => roles.credentials(config.backupRoleArn)),
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
