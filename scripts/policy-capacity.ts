/**
 * `npm run policy:capacity [-- --engine datapipeline|native|both]`: what one account's grant
 * costs in the bucket policy for each engine, and how many accounts fit in the 20 KB limit with
 * each layout, beside the foreign statements of a realistic policy (events/bucket-policy-existing.json).
 * `both`: every account holds both engines' grants.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ENGINE_WRITER_ACCESS } from '../lib/backup-engines/access';
import {
  type GrantSpec,
  grantKey,
  POLICY_SIZE_LIMIT,
  type PolicyLayout,
  parsePolicy,
  planGrants,
} from '../lib/domain/policy';
import { PolicyTooLargeError } from '../lib/errors';
import type { BackupEngineName } from '../lib/ports/backup-engine';

const BUCKET = 'corp-ddb-backups';
const ORG = 'o-a1b2c3d4e5';
const SPEC: GrantSpec = { access: ENGINE_WRITER_ACCESS, sourceRoleName: 'ddb-backup-orchestrator' };
const accounts = (n: number) => Array.from({ length: n }, (_, i) => String(100000000000 + i));

/** Which grants each account holds. */
export type EngineChoice = BackupEngineName | 'both';
const CHOICES: readonly EngineChoice[] = ['datapipeline', 'native', 'both'];
const grantsOf = (engine: EngineChoice) => (a: string) =>
  engine === 'both' ? [grantKey(a, 'datapipeline'), grantKey(a, 'native')] : [grantKey(a, engine)];

export interface Capacity {
  layout: PolicyLayout;
  /** Accounts that fit; undefined: no limit (constant size). */
  fits: number | undefined;
  bytesAt: (n: number) => number;
}

export function capacity(
  existingPolicy: string,
  layout: PolicyLayout,
  engine: EngineChoice = 'datapipeline',
  max = 5000,
): Capacity {
  const current = parsePolicy(existingPolicy);
  const bytes = (n: number) =>
    planGrants(current, accounts(n).flatMap(grantsOf(engine)), BUCKET, SPEC, layout, ORG).result.bytes;
  const fitsN = (n: number) => {
    try {
      bytes(n);
      return true;
    } catch (e) {
      if (e instanceof PolicyTooLargeError) return false;
      throw e;
    }
  };
  if (fitsN(max)) return { layout, fits: undefined, bytesAt: bytes };
  let lo = 0;
  let hi = max; // fits(lo) and !fits(hi)
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fitsN(mid)) lo = mid;
    else hi = mid;
  }
  return { layout, fits: lo, bytesAt: bytes };
}

/** Bytes one more account's grant adds in the per-account layout (the 2nd account, past the guards). */
export function grantBytes(existingPolicy: string, engine: EngineChoice): number {
  const c = capacity(existingPolicy, 'per-account', engine, 1);
  return c.bytesAt(2) - c.bytesAt(1);
}

function main(): void {
  const { values } = parseArgs({ options: { engine: { type: 'string' } }, strict: true });
  const chosen = values.engine === undefined ? CHOICES : [values.engine as EngineChoice];
  const bad = chosen.find((e) => !CHOICES.includes(e));
  if (bad !== undefined) {
    console.error(`policy:capacity: --engine "${bad}" is not one of ${CHOICES.join(', ')}`);
    process.exit(2);
  }
  const existing = readFileSync(join(__dirname, '..', 'events', 'bucket-policy-existing.json'), 'utf8');
  const foreignBytes = Buffer.byteLength(JSON.stringify(JSON.parse(existing)));
  console.log(
    `bucket policy capacity, beside ${JSON.parse(existing).Statement.length} foreign statements (${foreignBytes} bytes), limit ${POLICY_SIZE_LIMIT} bytes\n`,
  );
  console.log('grant bytes per account (per-account layout)');
  for (const engine of chosen) console.log(`  ${engine.padEnd(14)}${grantBytes(existing, engine)}`);
  console.log('\nengine        layout        accounts that fit   bytes at 1 / 10 / 25 accounts');
  for (const engine of chosen) {
    for (const layout of ['per-account', 'compact', 'organization', 'auto'] as const) {
      const c = capacity(existing, layout, engine);
      const at = [1, 10, 25].map((n) => {
        try {
          return String(c.bytesAt(n));
        } catch {
          return 'over';
        }
      });
      console.log(
        `${engine.padEnd(14)}${layout.padEnd(14)}${(c.fits === undefined ? 'no limit (constant)' : String(c.fits)).padEnd(20)}${at.join(' / ')}`,
      );
    }
  }
}

if (require.main === module) main();
