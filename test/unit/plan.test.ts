import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePlanArgs, plan } from '../../scripts/plan';

const existing = join(__dirname, '..', '..', 'events', 'bucket-policy-existing.json');
const args = (extra: string[] = []) => [
  '--account',
  '111111111111',
  '--region',
  'us-east-1',
  '--table',
  'orders',
  ...extra,
];

describe('npm run plan', () => {
  it('prints the definition, the merged policy with its size, and a matrix that holds', async () => {
    const { text, ok } = await plan(parsePlanArgs(args(['--policy', existing]), {}));
    expect(ok).toBe(true);
    expect(text).toContain('# Pipeline for arn:aws:dynamodb:us-east-1:111111111111:table/orders');
    expect(text).toContain('validation: ok');
    expect(text).toMatch(/would change: 10 statement\(s\) added or rewritten, 0 removed, 4 foreign kept/);
    expect(text).toMatch(/size: \d+ of 20480 bytes/);
    expect(text).toContain('"Sid": "AuditorsRead"');
    expect(text).toContain('"Sid": "DdbBackupOrchDenyAlteringBackups"');
    expect(text).toMatch(/\n(\d+) of \1 cases as expected/);
  });

  it('plans the compact and organization layouts too', async () => {
    await expect(plan(parsePlanArgs(args(['--layout', 'compact']), {}))).resolves.toMatchObject({ ok: true });
    const org = await plan(parsePlanArgs(args(['--layout', 'organization', '--org', 'o-a1b2c3d4e5']), {}));
    expect(org.ok).toBe(true);
    expect(org.text).toContain('aws:PrincipalOrgID');
  });

  it('plans the native engine’s grant and matrix, in every layout, for an account that already holds the Data Pipeline one', async () => {
    const native = await plan(parsePlanArgs(args(['--engine', 'native', '--policy', existing]), {}));
    expect(native.ok).toBe(true);
    expect(native.text).toContain('# Native export of arn:aws:dynamodb:us-east-1:111111111111:table/orders');
    expect(native.text).not.toContain('# Pipeline for');
    expect(native.text).toContain('"Sid": "DdbBackupOrch111111111111ExportObjects"');
    expect(native.text).toContain('arn:aws:iam::111111111111:role/ddb-backup-orchestrator-restore');
    expect(native.text).toMatch(/\n(\d+) of \1 cases as expected/);
    for (const layout of ['compact', 'organization'])
      await expect(
        plan(parsePlanArgs(args(['--engine', 'native', '--layout', layout, '--org', 'o-a1b2c3d4e5']), {})),
      ).resolves.toMatchObject({ ok: true });
    const dir = mkdtempSync(join(tmpdir(), 'plan-'));
    const dataPipeline = await plan(parsePlanArgs(args(['--policy', existing]), {}));
    const granted = join(dir, 'granted.json');
    writeFileSync(
      granted,
      dataPipeline.text.slice(dataPipeline.text.indexOf('{\n  "Version"'), dataPipeline.text.indexOf('\n}\n') + 2),
    );
    const both = await plan(parsePlanArgs(args(['--engine', 'native', '--policy', granted]), {}));
    expect(both.text).toMatch(/would change: 3 statement\(s\) added or rewritten, 0 removed, 4 foreign kept/);
  });

  it('takes the engine and the source role name from BACKUP_ENGINE and SOURCE_ROLE_NAME when not given', async () => {
    const o = parsePlanArgs(args(), { BACKUP_ENGINE: 'native', SOURCE_ROLE_NAME: 'corp-backup' });
    expect(o).toMatchObject({ engine: 'native', sourceRoleName: 'corp-backup' });
    expect((await plan(o)).text).toContain('arn:aws:iam::111111111111:role/corp-backup-restore');
  });

  it('refuses a policy file that is not valid JSON, naming the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-'));
    writeFileSync(join(dir, 'bad.json'), '{"Version":"2012-10-17","Statement":[{} {}]}');
    expect(() => parsePlanArgs(args(['--policy', join(dir, 'bad.json')]), {})).toThrow(
      /bad\.json: the file is not valid JSON/,
    );
  });

  it.each([
    [[], /missing --account, --region, --table/],
    [['--account', '12', '--region', 'us-east-1', '--table', 'orders'], /--account "12" is not a 12-digit account id/],
    [args(['--layout', 'fancy']), /--layout "fancy" is not one of/],
    [args(['--layout', 'organization']), /needs --org/],
    [args(['--policy', '/nonexistent/policy.json']), /--policy \/nonexistent\/policy.json: no such file/],
    [args(['--colour']), /Unknown option '--colour'/],
    [args(['--pipeline-region', 'eu-central-1']), /has no Data Pipeline endpoint/],
    [args(['--engine', 'glue']), /--engine "glue" is not one of datapipeline, native/],
    [args(['--source-role-name', 'arn:aws:iam::1:role/x']), /--source-role-name .* is not an IAM role name prefix/],
  ])('rejects %j with a clear error', (argv, message) => {
    expect(() => parsePlanArgs(argv as string[], {})).toThrow(message);
  });
});
