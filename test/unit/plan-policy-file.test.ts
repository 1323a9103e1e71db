import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parsePlanArgs, plan, readPolicyFile } from '../../scripts/plan';

const root = join(__dirname, '..', '..');
const existing = join(root, 'events', 'bucket-policy-existing.json');
const dir = mkdtempSync(join(tmpdir(), 'plan-policy-'));
const file = (name: string, content: string) => {
  writeFileSync(join(dir, name), content);
  return join(dir, name);
};
const args = (policy: string) => [
  '--account',
  '111111111111',
  '--region',
  'us-east-1',
  '--table',
  'orders',
  '--policy',
  policy,
];

describe('npm run plan -- --policy FILE', () => {
  describe('Given what `aws s3api get-bucket-policy` prints', () => {
    const policy = readFileSync(existing, 'utf8');
    const wrapped = file(
      'get-bucket-policy.json',
      `${JSON.stringify({ Policy: JSON.stringify(JSON.parse(policy)) }, null, 4)}\n`,
    );

    it('reads the policy inside the {"Policy": "…"} wrapper', () => {
      expect(JSON.parse(readPolicyFile(wrapped))).toEqual(JSON.parse(policy));
    });

    it('plans the same merge as from the bare policy', async () => {
      const fromWrapper = await plan(parsePlanArgs(args(wrapped), {}));
      const fromBare = await plan(parsePlanArgs(args(existing), {}));
      const policySection = (text: string) =>
        text.slice(text.indexOf('# Bucket policy'), text.indexOf('# Access matrix'));
      expect(fromWrapper.ok).toBe(true);
      expect(policySection(fromWrapper.text)).toContain('"Sid": "AuditorsRead"');
      expect(policySection(fromWrapper.text)).not.toContain('"Policy"');
      expect(policySection(fromWrapper.text)).toEqual(policySection(fromBare.text));
    });
  });

  it('reads a bare policy document as it is', () => {
    expect(readPolicyFile(existing)).toBe(readFileSync(existing, 'utf8'));
  });

  it.each([
    [
      'not JSON at all',
      'not-json.json',
      'Policy: none',
      /not-json\.json: the file is not valid JSON .*expected a bucket policy document, or what `aws s3api get-bucket-policy` prints/,
    ],
    [
      'a wrapper whose Policy is not JSON',
      'bad-inner.json',
      '{"Policy": "{\\"Version\\": "}',
      /bad-inner\.json: its "Policy" string is not valid JSON/,
    ],
    [
      'a wrapper whose Policy is an object',
      'object-inner.json',
      '{"Policy": {"Version": "2012-10-17", "Statement": []}}',
      /object-inner\.json: its "Policy" is not a string/,
    ],
    ['a JSON array', 'array.json', '[{"Effect": "Allow"}]', /array\.json: not a JSON object/],
    [
      'an object without Statement',
      'no-statement.json',
      '{"Version": "2012-10-17", "Id": "x"}',
      /no-statement\.json: no "Statement": not a bucket policy/,
    ],
    [
      'a statement that is not an object',
      'bad-statement.json',
      '{"Version": "2012-10-17", "Statement": ["Allow"]}',
      /bad-statement\.json: statement 0 of the bucket policy in place is not an object/,
    ],
  ])('refuses %s, naming the file and the problem', (_, name, content, message) => {
    expect(() => parsePlanArgs(args(file(name, content)), {})).toThrow(message);
  });

  it('exits 2 with the message and the usage, not a stack trace', async () => {
    const bad = file('cli.json', '{"Version": "2012-10-17"}');
    const run = await promisify(execFile)('npx', ['tsx', 'scripts/plan.ts', ...args(bad)], { cwd: root }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`plan: --policy ${bad}: no "Statement": not a bucket policy`);
    expect(run.stderr).toContain('usage: npm run plan');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);
});
