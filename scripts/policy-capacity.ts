/**
 * `npm run policy:capacity`: how many accounts fit in the 20 KB bucket-policy limit with each
 * layout, beside the foreign statements of a realistic policy (events/bucket-policy-existing.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINE_WRITER_ACCESS } from '../lib/backup-engines/access';
import { POLICY_SIZE_LIMIT, type PolicyLayout, parsePolicy, planGrants } from '../lib/domain/policy';
import { PolicyTooLargeError } from '../lib/errors';

const BUCKET = 'corp-ddb-backups';
const ORG = 'o-a1b2c3d4e5';
const accounts = (n: number) => Array.from({ length: n }, (_, i) => String(100000000000 + i));

export interface Capacity {
  layout: PolicyLayout;
  /** Accounts that fit; undefined: no limit (constant size). */
  fits: number | undefined;
  bytesAt: (n: number) => number;
}

export function capacity(existingPolicy: string, layout: PolicyLayout, max = 5000): Capacity {
  const current = parsePolicy(existingPolicy);
  const bytes = (n: number) =>
    planGrants(
      current,
      accounts(n),
      BUCKET,
      { access: ENGINE_WRITER_ACCESS, sourceRoleName: 'ddb-backup-orchestrator' },
      layout,
      ORG,
    ).result.bytes;
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

function main(): void {
  const existing = readFileSync(join(__dirname, '..', 'events', 'bucket-policy-existing.json'), 'utf8');
  const foreignBytes = Buffer.byteLength(JSON.stringify(JSON.parse(existing)));
  console.log(
    `bucket policy capacity, beside ${JSON.parse(existing).Statement.length} foreign statements (${foreignBytes} bytes), limit ${POLICY_SIZE_LIMIT} bytes\n`,
  );
  console.log('layout        accounts that fit   bytes at 1 / 10 / 25 accounts');
  for (const layout of ['per-account', 'compact', 'organization', 'auto'] as const) {
    const c = capacity(existing, layout);
    const at = [1, 10, 25].map((n) => {
      try {
        return String(c.bytesAt(n));
      } catch {
        return 'over';
      }
    });
    console.log(
      `${layout.padEnd(14)}${(c.fits === undefined ? 'no limit (constant)' : String(c.fits)).padEnd(20)}${at.join(' / ')}`,
    );
  }
}

if (require.main === module) main();
