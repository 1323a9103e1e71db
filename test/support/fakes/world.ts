import { parseConfig } from '../../../lib/config';
import type { TableRef } from '../../../lib/domain/table-ref';
import type { BackfillDeps } from '../../../lib/usecases/backfill';
import type { HealthDeps } from '../../../lib/usecases/health';
import type { OffboardDeps } from '../../../lib/usecases/offboard';
import type { RestoreDeps } from '../../../lib/usecases/restore';
import type { RevokeDeps } from '../../../lib/usecases/revoke';
import { recordingTelemetry } from '../telemetry';
import { FakeBackupEngine } from './backup-engine';
import { FakeBucketPolicyStore } from './bucket-policy-store';
import { manualClock } from './clock';
import { FakeGrantCatalog } from './grant-catalog';
import { FakeSourceAccounts } from './source-tables';
import { FakeTableRegistry } from './table-registry';

export const A = '111111111111';
export const B = '222222222222';
export const OUTSIDER = '333333333333';
export const BUCKET = 'corp-ddb-backups';
export const REGION = 'us-east-1';
export const LEASE_MS = 10_000;

export const ref = (accountId: string, tableName: string, region = REGION): TableRef => ({
  accountId,
  region,
  tableName,
  tableArn: `arn:aws:dynamodb:${region}:${accountId}:table/${tableName}`,
});

/**
 * Every port of the use cases, in memory, on one manual clock: what a unit test of a use case
 * hands it (no emulator, no network). `env` overrides the configuration's variables.
 */
export function fakeWorld(env: Record<string, string> = {}) {
  const clock = manualClock();
  const config = parseConfig({
    BACKUP_BUCKET: BUCKET,
    BACKUP_ROLE_ARN: 'arn:aws:iam::999999999999:role/ddb-backup-policy-writer',
    SOURCE_ROLE_NAME: 'ddb-backup-orchestrator',
    SOURCE_ACCOUNTS: `${A},${B}`,
    REGISTRY_TABLE: 'ddb-backup-registry',
    TABLE_EXCLUDE_PATTERN: '^tmp-',
    LOCK_LEASE_SECONDS: String(LEASE_MS / 1000),
    ...env,
  });
  const registry = new FakeTableRegistry(clock.now);
  const grants = new FakeGrantCatalog(clock.now);
  const policy = new FakeBucketPolicyStore();
  const engine = new FakeBackupEngine();
  const accounts = new FakeSourceAccounts();
  const telemetry = recordingTelemetry();
  let owners = 0;
  const deps: BackfillDeps & OffboardDeps & HealthDeps & RestoreDeps & RevokeDeps = {
    config,
    registry,
    grants,
    engine,
    policy,
    backupBucket: policy,
    sourceTables: accounts.of,
    telemetry,
    lock: { leaseMs: LEASE_MS, waitMs: LEASE_MS + 5_000, sleep: clock.sleep, now: clock.now, random: () => 0.5 },
    newOwnerId: () => `worker-${++owners}`,
  };
  return { deps, config, clock, registry, grants, policy, engine, accounts, telemetry };
}

export type FakeWorld = ReturnType<typeof fakeWorld>;
