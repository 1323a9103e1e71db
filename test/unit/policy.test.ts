import { ENGINE_WRITER_ACCESS } from '../../lib/backup-engines/access';
import { EXPORT_S3_ACCESS } from '../../lib/backup-engines/datapipeline/s3-access';
import { LAYOUT_WORD_TABLES } from '../../lib/domain/access-matrix';
import {
  accountStatements as accountStatementsFor,
  assertForeignKept,
  canonical,
  DENY_ALTERING_SID,
  DENY_COLD_STORAGE_SID,
  DENY_CUSTOMER_KEYS_SID,
  DENY_DELETING_SID,
  DENY_FOREIGN_ACLS_SID,
  DENY_FOREIGN_ENCRYPTION_SID,
  desiredStatements as desiredStatementsFor,
  type GrantSpec,
  mergePolicy,
  POLICY_SIZE_LIMIT,
  type PolicyDocument,
  type PolicyLayout,
  PROTECTED_ACTIONS,
  parsePolicy,
  planGrants as planGrantsFor,
  protectionStatements,
  TLS_ONLY_SID,
} from '../../lib/domain/policy';
import { isRegion } from '../../lib/domain/regions';
import { TABLE_NAME } from '../../lib/domain/table-ref';
import { PolicyIntegrityError, PolicyParseError, PolicyTooLargeError } from '../../lib/errors';

const BUCKET = 'corp-ddb-backups';
/** What the product grants: every engine's writers, and the restore role of native accounts. */
const SPEC: GrantSpec = { access: ENGINE_WRITER_ACCESS, sourceRoleName: 'ddb-backup-orchestrator' };
/** The policy as the Data Pipeline engine's writers need it (accounts given by id are Data Pipeline grants). */
const accountStatements = (bucket: string, account: string) => accountStatementsFor(bucket, account, EXPORT_S3_ACCESS);
const desiredStatements = (bucket: string, accounts: Iterable<string>) => desiredStatementsFor(bucket, accounts, SPEC);
const planGrants = (current: PolicyDocument, accounts: Iterable<string>, bucket: string, layout: PolicyLayout) =>
  planGrantsFor(current, accounts, bucket, SPEC, layout);
const A = '111111111111';
const B = '222222222222';

const foreign = [
  {
    Sid: 'AuditReadOnly',
    Effect: 'Allow',
    Principal: { AWS: 'arn:aws:iam::333333333333:role/auditor' },
    Action: ['s3:GetObject', 's3:ListBucket'],
    Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
  },
  // No Sid at all, and a condition: must survive untouched.
  {
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:DeleteBucket',
    Resource: `arn:aws:s3:::${BUCKET}`,
    Condition: { StringNotEquals: { 'aws:PrincipalAccount': '999999999999' } },
  },
];
const withForeign = (): string =>
  JSON.stringify({ Version: '2012-10-17', Id: 'corp-policy', Statement: structuredClone(foreign) });

describe('accountStatements', () => {
  it('renders the blog’s three statements under the account’s own prefix', () => {
    const [objects, cleanup, bucket] = accountStatements(BUCKET, A);
    expect(objects).toEqual({
      Sid: `DdbBackupOrch${A}Objects`,
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${A}:root` },
      Action: ['s3:PutObject', 's3:PutObjectAcl', 's3:GetObject', 's3:AbortMultipartUpload'],
      Resource: `arn:aws:s3:::${BUCKET}/${A}/*`,
    });
    expect(cleanup).toEqual({
      Sid: `DdbBackupOrch${A}Cleanup`,
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${A}:root` },
      Action: 's3:DeleteObject',
      Resource: [
        `arn:aws:s3:::${BUCKET}/${A}/logs/*`,
        `arn:aws:s3:::${BUCKET}/${A}/*_$folder$`,
        `arn:aws:s3:::${BUCKET}/${A}/*.instruction`,
      ],
    });
    expect(bucket).toEqual({
      Sid: `DdbBackupOrch${A}Bucket`,
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${A}:root` },
      Action: ['s3:ListBucket', 's3:GetBucketLocation'],
      Resource: `arn:aws:s3:::${BUCKET}`,
    });
  });
});

/** Does `arn` match the policy resource `pattern` (IAM: `*` any run of characters, `/` included; `?` one)? */
const arnMatches = (pattern: string, arn: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.')}$`,
  ).test(arn);

/** Valid table names (3-255 of a-z A-Z 0-9 _ . -), many made of the layout's own words, from a seeded generator. */
function tableNames(n: number): string[] {
  let seed = 42;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  const words = ['logs', 'manifest', '.instruction', 'AWSDynamoDB', 'us-east-1', '2026-11-26-03-00-00', '-', '_', '.'];
  const chars = 'abcXYZ019_.-';
  const names: string[] = [
    ...LAYOUT_WORD_TABLES,
    'log',
    'logs.',
    '.logs',
    'logs_',
    'manifest.instruction',
    'x.instruction',
    '...',
    '___',
    '---',
  ];
  while (names.length < n) {
    const parts = Array.from({ length: 1 + (next() % 4) }, () =>
      next() % 2 === 0 ? words[next() % words.length] : chars[next() % chars.length],
    );
    const name = parts.join('').slice(0, 255);
    if (TABLE_NAME.test(name)) names.push(name);
  }
  return names;
}

describe('the cleanup grant (what a writer may delete)', () => {
  const RUNS = ['2026-11-26-03-00-00', '2030-01-01-00-00-00'];
  const FILES = [
    'ae10f955-6f0c-4b43-9c2c-71d6fbbd46b1_000000',
    '5d2ab1a4-0000-4000-8000-000000000000_000017',
    'manifest',
  ];
  const REGIONS = ['us-east-1', 'eu-central-1', 'ap-southeast-2', 'us-gov-west-1'];
  const cleanup = (accountStatements(BUCKET, A).find((s) => s.Sid === `DdbBackupOrch${A}Cleanup`)?.Resource ??
    []) as string[];
  const protectedDeletes = (protectionStatements(BUCKET, EXPORT_S3_ACCESS).find((s) => s.Sid === DENY_DELETING_SID)
    ?.NotResource ?? []) as string[];

  it('never matches a data file or a manifest, whatever the table is called (2,000 names, layout words among them)', () => {
    const names = tableNames(2000);
    const hits: string[] = [];
    for (const table of names)
      for (const region of REGIONS)
        for (const run of RUNS)
          for (const file of FILES) {
            const arn = `arn:aws:s3:::${BUCKET}/${A}/${region}/${table}/${run}/${file}`;
            if ([...cleanup, ...protectedDeletes].some((p) => arnMatches(p, arn))) hits.push(arn);
          }
    expect(names).toEqual(expect.arrayContaining(['logs', 'manifest']));
    expect(hits).toEqual([]);
  });

  it('matches the engine’s own scratch objects: its logs, _$folder$ markers and .instruction files', () => {
    for (const key of [
      `${A}/logs/us-east-1/logs/df-0123/TableBackupActivity/attempt.log`,
      `${A}/us-east-1/logs/2026-11-26-03-00-00_$folder$`,
      `${A}/us-east-1/manifest/2026-11-26-03-00-00/ae10f955_000000.instruction`,
    ]) {
      expect(cleanup.some((p) => arnMatches(p, `arn:aws:s3:::${BUCKET}/${key}`))).toBe(true);
      expect(protectedDeletes.some((p) => arnMatches(p, `arn:aws:s3:::${BUCKET}/${key}`))).toBe(true);
    }
  });

  it('keeps the logs where only a region name ever stands in a data key, and no region is called logs', () => {
    expect(cleanup[0]).toBe(`arn:aws:s3:::${BUCKET}/${A}/logs/*`);
    expect(isRegion('logs')).toBe(false);
  });
});

describe('protectionStatements', () => {
  const statements = protectionStatements(BUCKET, EXPORT_S3_ACCESS);

  it('denies, to every principal outside the bucket’s own account, what would alter a finished backup', () => {
    expect(statements.map((s) => s.Sid)).toEqual([
      DENY_ALTERING_SID,
      DENY_DELETING_SID,
      DENY_CUSTOMER_KEYS_SID,
      DENY_FOREIGN_ACLS_SID,
      DENY_FOREIGN_ENCRYPTION_SID,
      DENY_COLD_STORAGE_SID,
    ]);
    for (const s of statements) {
      expect(s).toMatchObject({ Effect: 'Deny', Principal: '*' });
      expect((s.Condition as { StringNotEquals: Record<string, string> }).StringNotEquals['aws:PrincipalAccount']).toBe(
        '${aws:ResourceAccount}',
      );
    }
    expect(statements[0]?.Action).toEqual(
      expect.arrayContaining([
        's3:DeleteObjectVersion',
        's3:PutObjectRetention',
        's3:PutObjectLegalHold',
        's3:BypassGovernanceRetention',
      ]),
    );
    expect(statements[2]?.Condition).toMatchObject({
      Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' },
    });
    expect(statements[3]?.Condition).toMatchObject({
      StringNotEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' },
    });
  });

  it('never denies what the writers are granted', () => {
    const granted: readonly string[] = EXPORT_S3_ACCESS.objects.actions;
    expect(PROTECTED_ACTIONS.filter((a) => granted.includes(a))).toEqual([]);
    expect(granted.some((a) => a.includes('*'))).toBe(false);
  });

  it('denies every delete when the engine has no scratch objects', () => {
    const none = protectionStatements(BUCKET, { objects: { actions: ['s3:PutObject'], key: '*' } });
    expect(none.find((s) => s.Sid === DENY_DELETING_SID)).toMatchObject({
      Action: 's3:DeleteObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    });
  });

  it('is the same size for any number of accounts', () => {
    const bytes = (n: number) =>
      JSON.stringify(
        desiredStatementsFor(
          BUCKET,
          Array.from({ length: n }, (_, i) => String(500000000000 + i)),
          SPEC,
        ).slice(0, 5),
      ).length;
    expect(bytes(1)).toBe(bytes(30));
  });
});

describe('mergePolicy', () => {
  it('creates a valid 2012-10-17 policy when the bucket has none', () => {
    const merged = mergePolicy(parsePolicy(undefined), desiredStatements(BUCKET, [A]));
    expect(merged.changed).toBe(true);
    const doc = JSON.parse(merged.text) as PolicyDocument;
    expect(doc.Version).toBe('2012-10-17');
    expect(doc.Statement.map((s) => s.Sid)).toEqual([
      TLS_ONLY_SID,
      DENY_ALTERING_SID,
      DENY_DELETING_SID,
      DENY_CUSTOMER_KEYS_SID,
      DENY_FOREIGN_ACLS_SID,
      DENY_FOREIGN_ENCRYPTION_SID,
      DENY_COLD_STORAGE_SID,
      `DdbBackupOrch${A}Objects`,
      `DdbBackupOrch${A}Cleanup`,
      `DdbBackupOrch${A}Bucket`,
    ]);
    expect(merged.bytes).toBe(Buffer.byteLength(merged.text));
  });

  it('keeps every foreign statement exactly as it was, in its place, and the policy Id', () => {
    const merged = mergePolicy(parsePolicy(withForeign()), desiredStatements(BUCKET, [A]));
    const doc = JSON.parse(merged.text) as PolicyDocument;
    expect(doc.Id).toBe('corp-policy');
    expect(doc.Statement.slice(0, 2)).toEqual(foreign);
    expect(doc.Statement).toHaveLength(12);
  });

  it('is idempotent: merging the same grants again changes nothing', () => {
    const once = mergePolicy(parsePolicy(withForeign()), desiredStatements(BUCKET, [A]));
    const twice = mergePolicy(parsePolicy(once.text), desiredStatements(BUCKET, [A]));
    expect(twice.changed).toBe(false);
    expect(twice.written).toEqual([]);
    expect(twice.text).toBe(once.text);
  });

  it('adds a second account without touching the first', () => {
    const first = mergePolicy(parsePolicy(withForeign()), desiredStatements(BUCKET, [A]));
    const second = mergePolicy(parsePolicy(first.text), desiredStatements(BUCKET, [A, B]));
    expect(second.written).toEqual([`DdbBackupOrch${B}Objects`, `DdbBackupOrch${B}Cleanup`, `DdbBackupOrch${B}Bucket`]);
    const before = (JSON.parse(first.text) as PolicyDocument).Statement;
    expect((JSON.parse(second.text) as PolicyDocument).Statement.slice(0, before.length)).toEqual(before);
  });

  it('refuses, as an integrity error, a merge that would take away an account’s grant', () => {
    const both = mergePolicy(parsePolicy(undefined), desiredStatements(BUCKET, [A, B]));
    expect(() => mergePolicy(parsePolicy(both.text), desiredStatements(BUCKET, [A]))).toThrow(PolicyIntegrityError);
    expect(() => mergePolicy(parsePolicy(both.text), desiredStatements(BUCKET, [A]))).toThrow(
      `would take away the grant of ${B}`,
    );
  });

  it('keeps every account the policy already grants when planning, even one the registry has not caught up with', () => {
    const both = mergePolicy(parsePolicy(undefined), desiredStatements(BUCKET, [A, B]));
    const plan = planGrants(parsePolicy(both.text), [A], BUCKET, 'per-account');
    expect(plan.result.changed).toBe(false);
    expect(plan.result.text).toBe(both.text);
  });

  it('rewrites an owned statement that drifted, and only that one', () => {
    const first = JSON.parse(
      mergePolicy(parsePolicy(withForeign()), desiredStatements(BUCKET, [A])).text,
    ) as PolicyDocument;
    const objects = first.Statement.find((s) => s.Sid === `DdbBackupOrch${A}Objects`)!;
    objects.Action = 's3:*';
    const repaired = mergePolicy(first, desiredStatements(BUCKET, [A]));
    expect(repaired.written).toEqual([`DdbBackupOrch${A}Objects`]);
    const doc = JSON.parse(repaired.text) as PolicyDocument;
    expect(doc.Statement.find((s) => s.Sid === `DdbBackupOrch${A}Objects`)).toEqual(accountStatements(BUCKET, A)[0]);
    expect(doc.Statement.slice(0, 2)).toEqual(foreign);
  });

  it('treats a one-element list and a scalar as the same (S3 may return either)', () => {
    const first = JSON.parse(
      mergePolicy(parsePolicy(undefined), desiredStatements(BUCKET, [A])).text,
    ) as PolicyDocument;
    const cleanup = first.Statement.find((s) => s.Sid === `DdbBackupOrch${A}Cleanup`)!;
    cleanup.Action = ['s3:DeleteObject'];
    expect(mergePolicy(first, desiredStatements(BUCKET, [A])).changed).toBe(false);
  });

  it('upgrades an old policy Version to 2012-10-17', () => {
    const old = JSON.stringify({ Version: '2008-10-17', Statement: foreign });
    const merged = mergePolicy(parsePolicy(old), []);
    expect(merged.changed).toBe(true);
    expect(JSON.parse(merged.text).Version).toBe('2012-10-17');
  });

  it('accepts a policy whose Statement is a single object', () => {
    const single = JSON.stringify({ Version: '2012-10-17', Statement: foreign[0] });
    const merged = mergePolicy(parsePolicy(single), desiredStatements(BUCKET, [A]));
    expect((JSON.parse(merged.text) as PolicyDocument).Statement[0]).toEqual(foreign[0]);
  });

  it('refuses, and writes nothing, when the result would exceed 20 KB', () => {
    const accounts = Array.from({ length: 40 }, (_, i) => String(100000000000 + i));
    expect(() => mergePolicy(parsePolicy(withForeign()), desiredStatements(BUCKET, accounts))).toThrow(
      PolicyTooLargeError,
    );
    expect(() => mergePolicy(parsePolicy(withForeign()), desiredStatements(BUCKET, accounts))).toThrow(
      /over the S3 limit of 20480 bytes/,
    );
  });

  it('fits as many accounts as the limit allows, and refuses the next', () => {
    let accounts: string[] = [];
    let text = withForeign();
    for (let i = 0; ; i++) {
      const next = [...accounts, String(100000000000 + i)];
      try {
        text = mergePolicy(parsePolicy(text), desiredStatements(BUCKET, next)).text;
        accounts = next;
      } catch (e) {
        expect(e).toBeInstanceOf(PolicyTooLargeError);
        break;
      }
    }
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(POLICY_SIZE_LIMIT);
    expect(accounts.length).toBeGreaterThan(15);
  });
});

describe('parsePolicy', () => {
  it('refuses a policy that is not valid JSON — the blog’s own missing comma', () => {
    const blog = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow"} {"Effect":"Allow"}]}';
    expect(() => parsePolicy(blog)).toThrow(PolicyParseError);
    expect(() => parsePolicy(blog)).toThrow(/not valid JSON/);
  });

  it('refuses a policy that is a JSON array, or holds a statement that is not an object', () => {
    expect(() => parsePolicy('[]')).toThrow(/not a JSON object/);
    expect(() => parsePolicy('{"Version":"2012-10-17","Statement":["x"]}')).toThrow(/statement 0 .* not an object/);
  });
});

describe('canonical', () => {
  it('ignores key order', () => {
    expect(canonical({ a: 1, b: [{ d: 1, c: 2 }] })).toBe(canonical({ b: [{ c: 2, d: 1 }], a: 1 }));
  });
});

describe('PolicyIntegrityError', () => {
  it('is raised by the foreign-statement check when a foreign statement would be lost', () => {
    const before = parsePolicy(withForeign());
    const after = { ...before, Statement: before.Statement.slice(1) };
    expect(() => assertForeignKept(before, after)).toThrow(PolicyIntegrityError);
  });
});
