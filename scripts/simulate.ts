import { runSimulation } from '@cloud-copilot/iam-simulate';
import { type AccessCase, DP_WRITER_ROLE } from '../lib/domain/access-matrix';
import type { PolicyDocument } from '../lib/domain/policy';

/**
 * Evaluates the access matrix against a bucket policy with @cloud-copilot/iam-simulate, offline.
 * Dev tooling only (the simulator is AGPL): used by the tests and `npm run plan`, never bundled.
 *
 * Each case is a cross-account request from a role of the case's account (the Data Pipeline
 * resource role unless the case names another: the native export's writer, its restore role, any
 * other role), whose identity policy allows everything on the bucket — so what is denied is
 * denied by the bucket policy alone.
 */
export interface Evaluated extends AccessCase {
  actual: 'allow' | 'deny';
  /** The simulator's verdict: Allowed, ImplicitlyDenied, ExplicitlyDenied. */
  verdict: string;
  /** As expected (an `explicit` case only when an explicit Deny refused it). */
  ok: boolean;
}

export interface MatrixContext {
  bucket: string;
  backupAccount: string;
  /** The organization an account belongs to, if any. */
  organizationOf?: (account: string) => string | undefined;
}

export async function evaluateMatrix(
  policy: PolicyDocument,
  cases: readonly AccessCase[],
  ctx: MatrixContext,
): Promise<Evaluated[]> {
  const identity = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 's3:*', Resource: [`arn:aws:s3:::${ctx.bucket}`, `arn:aws:s3:::${ctx.bucket}/*`] },
    ],
  };
  const out: Evaluated[] = [];
  for (const c of cases) {
    const org = ctx.organizationOf?.(c.account);
    const principal = `arn:aws:iam::${c.account}:role/${c.role ?? DP_WRITER_ROLE}`;
    const contextVariables: Record<string, string> = {
      'aws:SecureTransport': String(c.secure),
      'aws:PrincipalAccount': c.account,
      'aws:PrincipalArn': principal,
      'aws:ResourceAccount': ctx.backupAccount,
      ...(org === undefined ? {} : { 'aws:PrincipalOrgID': org }),
      ...(c.listPrefix === undefined ? {} : { 's3:prefix': c.listPrefix }),
      ...c.context,
    };
    const result = await runSimulation(
      {
        request: {
          principal,
          action: c.action,
          resource: {
            resource: `arn:aws:s3:::${ctx.bucket}${c.key === undefined ? '' : `/${c.key}`}`,
            accountId: ctx.backupAccount,
          },
          contextVariables,
        },
        identityPolicies: [{ name: 'allow-all-on-the-bucket', policy: identity }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: policy,
      },
      {},
    );
    if (result.resultType === 'error')
      throw new Error(`the simulator refused case "${c.name}": ${result.errors.message}`);
    if (result.resultType !== 'single') throw new Error(`case "${c.name}" simulated more than one resource`);
    const actual = result.overallResult === 'Allowed' ? 'allow' : 'deny';
    out.push({
      ...c,
      verdict: result.overallResult,
      actual,
      ok: actual === c.expected && (c.explicit !== true || result.overallResult === 'ExplicitlyDenied'),
    });
  }
  return out;
}

/** The matrix as a table a person can read. */
export function formatMatrix(rows: readonly Evaluated[]): string {
  const lines = rows.map((r) => {
    const ok = r.ok ? 'ok ' : 'BAD';
    const result = r.verdict === 'ExplicitlyDenied' ? 'DENY' : r.actual;
    const context = Object.entries(r.context ?? {}).map(([k, v]) => ` ${k}=${v}`);
    const what = `${r.action}${r.key ? ` ${r.key}` : r.listPrefix ? ` prefix=${r.listPrefix}` : ''}${context.join('')}${r.secure ? '' : ' (http)'}`;
    const who = r.role === undefined || r.role === DP_WRITER_ROLE ? '' : ` as ${r.role}`;
    return `${ok}  ${result.padEnd(5)}  ${r.account}  ${r.name.padEnd(72)}  ${what}${who}`;
  });
  const bad = rows.filter((r) => !r.ok).length;
  return [
    `     result principal     case${' '.repeat(70)}request`,
    ...lines,
    `${rows.length - bad} of ${rows.length} cases as expected (DENY: refused by an explicit Deny, as every case that would alter a finished backup must be)`,
  ].join('\n');
}
