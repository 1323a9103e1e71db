/**
 * `npm run plan -- --account A --region R --table T [--engine E] [--layout L] [--policy current.json]`
 *
 * Offline, no AWS: prints (Data Pipeline) the pipeline definition the table would get, the bucket
 * policy that would result from the account's grant for the engine (merged into current.json when
 * given), its size against the 20 KB limit, and the engine's access matrix evaluated against that
 * policy by an offline IAM simulator.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ENGINE_WRITER_ACCESS } from '../lib/backup-engines/access';
import { buildExportDefinition } from '../lib/backup-engines/datapipeline/definition';
import { DATA_PIPELINE_REGIONS, pipelineRegionFor } from '../lib/backup-engines/datapipeline/regions';
import { validateDefinition } from '../lib/backup-engines/datapipeline/validate';
import { accessMatrix, nativeAccessMatrix } from '../lib/domain/access-matrix';
import {
  grantedAccountsIn,
  grantKey,
  grantsIn,
  POLICY_LAYOUTS,
  POLICY_SIZE_LIMIT,
  type PolicyLayout,
  parseGrantKey,
  parsePolicy,
  planGrants,
} from '../lib/domain/policy';
import { isRegion } from '../lib/domain/regions';
import { nextRunStart } from '../lib/domain/schedule';
import { ACCOUNT_ID, TABLE_NAME, tableArn } from '../lib/domain/table-ref';
import { OrchestratorError } from '../lib/errors';
import type { BackupEngineName } from '../lib/ports/backup-engine';
import { evaluateMatrix, formatMatrix } from './simulate';

const USAGE = `usage: npm run plan -- --account <12 digits> --region <region> --table <name>
                     [--engine datapipeline|native] [--layout per-account|compact|organization|auto]
                     [--policy current.json (a policy, or get-bucket-policy's output)]
                     [--bucket name] [--org o-…] [--backup-account <12 digits>] [--pipeline-region <region>]
                     [--source-role-name name (SOURCE_ROLE_NAME: the restore role is <name>-restore)]`;
const ENGINES: readonly BackupEngineName[] = ['datapipeline', 'native'];

class UsageError extends Error {}

export interface PlanOptions {
  account: string;
  region: string;
  table: string;
  layout: PolicyLayout;
  engine: BackupEngineName;
  sourceRoleName: string;
  policyText?: string;
  bucket: string;
  organizationId?: string;
  backupAccount: string;
  pipelineRegion?: string;
  now: Date;
}

export function parsePlanArgs(argv: string[], env: NodeJS.ProcessEnv): PlanOptions {
  const parse = () =>
    parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        account: { type: 'string' },
        region: { type: 'string' },
        table: { type: 'string' },
        layout: { type: 'string' },
        engine: { type: 'string' },
        'source-role-name': { type: 'string' },
        policy: { type: 'string' },
        bucket: { type: 'string' },
        org: { type: 'string' },
        'backup-account': { type: 'string' },
        'pipeline-region': { type: 'string' },
      },
    });
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse());
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const missing = (['account', 'region', 'table'] as const).filter((k) => values[k] === undefined);
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')}`);
  const account = values.account as string;
  const region = values.region as string;
  const table = values.table as string;
  if (!ACCOUNT_ID.test(account)) throw new UsageError(`--account "${account}" is not a 12-digit account id`);
  if (!isRegion(region)) throw new UsageError(`--region "${region}" is not an AWS region name`);
  if (!TABLE_NAME.test(table))
    throw new UsageError(
      `--table "${table}" is not a valid DynamoDB table name (3-255 characters of a-z A-Z 0-9 _ - .)`,
    );
  const layout = (values.layout ?? env.POLICY_LAYOUT ?? 'per-account') as PolicyLayout;
  if (!POLICY_LAYOUTS.includes(layout))
    throw new UsageError(`--layout "${layout}" is not one of ${POLICY_LAYOUTS.join(', ')}`);
  const engine = (values.engine ?? env.BACKUP_ENGINE ?? 'datapipeline') as BackupEngineName;
  if (!ENGINES.includes(engine)) throw new UsageError(`--engine "${engine}" is not one of ${ENGINES.join(', ')}`);
  const sourceRoleName = values['source-role-name'] ?? env.SOURCE_ROLE_NAME ?? 'ddb-backup-orchestrator';
  if (!/^[\w+=,.@-]{1,50}$/.test(sourceRoleName))
    throw new UsageError(
      `--source-role-name "${sourceRoleName}" is not an IAM role name prefix (at most 50 of a-z A-Z 0-9 +=,.@_-)`,
    );
  const organizationId = values.org ?? env.ORGANIZATION_ID;
  if (layout === 'organization' && organizationId === undefined)
    throw new UsageError('--layout organization needs --org o-…');
  if (organizationId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(organizationId))
    throw new UsageError(`--org "${organizationId}" is not an AWS Organizations id`);
  const backupAccount = values['backup-account'] ?? '999999999999';
  if (!ACCOUNT_ID.test(backupAccount))
    throw new UsageError(`--backup-account "${backupAccount}" is not a 12-digit account id`);
  const pipelineRegion = values['pipeline-region'] ?? env.PIPELINE_REGION;
  if (pipelineRegion !== undefined && !DATA_PIPELINE_REGIONS.includes(pipelineRegion)) {
    throw new UsageError(
      `--pipeline-region "${pipelineRegion}" has no Data Pipeline endpoint (${DATA_PIPELINE_REGIONS.join(', ')})`,
    );
  }
  const policyText = values.policy === undefined ? undefined : readPolicyFile(values.policy);
  return {
    account,
    region,
    table,
    layout,
    engine,
    sourceRoleName,
    policyText,
    bucket: values.bucket ?? env.BACKUP_BUCKET ?? 'corp-ddb-backups',
    organizationId,
    backupAccount,
    pipelineRegion,
    now: new Date(),
  };
}

const WRAPPER_HINT = 'a bucket policy document, or what `aws s3api get-bucket-policy` prints ({"Policy": "…"})';

/**
 * The policy text in `path`: a bucket policy document as it is, or the one inside the
 * `{"Policy": "…"}` that `aws s3api get-bucket-policy` prints. Anything else is a UsageError
 * naming the file and the problem.
 */
export function readPolicyFile(path: string): string {
  const fail = (problem: string) => new UsageError(`--policy ${path}: ${problem}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw fail((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message);
  }
  const json = (t: string, what: string): unknown => {
    try {
      return JSON.parse(t);
    } catch (e) {
      throw fail(`${what} is not valid JSON (${(e as Error).message}); expected ${WRAPPER_HINT}`);
    }
  };
  let doc = json(text, 'the file');
  if (typeof doc === 'object' && doc !== null && !Array.isArray(doc) && 'Policy' in doc && !('Statement' in doc)) {
    const inner = (doc as { Policy: unknown }).Policy;
    if (typeof inner !== 'string')
      throw fail(
        'its "Policy" is not a string: expected the policy document as a JSON string, as `aws s3api get-bucket-policy` prints it',
      );
    text = inner;
    doc = json(text, 'its "Policy" string');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw fail(`not a JSON object; expected ${WRAPPER_HINT}`);
  if (!('Statement' in doc)) throw fail(`no "Statement": not a bucket policy; expected ${WRAPPER_HINT}`);
  try {
    parsePolicy(text);
  } catch (e) {
    if (e instanceof OrchestratorError) throw fail(e.message.replace(/; refusing to merge into it$/, ''));
    throw e;
  }
  return text;
}

export async function plan(o: PlanOptions): Promise<{ text: string; ok: boolean }> {
  const out: string[] = [];
  const ref = {
    accountId: o.account,
    region: o.region,
    tableName: o.table,
    tableArn: tableArn(o.region, o.account, o.table),
  };
  let problems: string[] = [];
  if (o.engine === 'datapipeline') {
    const pipelineRegion = pipelineRegionFor(o.region, o.pipelineRegion);
    const definition = buildExportDefinition({
      table: ref,
      bucket: o.bucket,
      readThroughputRatio: 0.25,
      startDateTime: nextRunStart(o.now, { hour: 3, minute: 0 }),
    });
    problems = validateDefinition(definition);
    out.push(`# Pipeline for ${ref.tableArn}`);
    out.push(
      pipelineRegion === undefined
        ? `pipeline region: none — ${o.region} has no Data Pipeline endpoint; pass --pipeline-region`
        : `pipeline region: ${pipelineRegion} (EMR cluster in ${o.region})`,
    );
    out.push(`validation: ${problems.length === 0 ? 'ok' : problems.join('; ')}`);
    out.push(JSON.stringify(definition, null, 2));
  } else {
    out.push(`# Native export of ${ref.tableArn}`);
    out.push(
      `nightly ExportTableToPointInTime into s3://${o.bucket}/${o.account}/${o.region}/${o.table}/ by a schedule in ${o.account}; restore by ImportTable as ${o.sourceRoleName}-restore`,
    );
  }

  const current = parsePolicy(o.policyText);
  const spec = { access: ENGINE_WRITER_ACCESS, sourceRoleName: o.sourceRoleName };
  const grant = grantKey(o.account, o.engine);
  const { layout, result } = planGrants(current, [grant], o.bucket, spec, o.layout, o.organizationId);
  out.push('', `# Bucket policy (${layout}${o.layout === 'auto' ? ', chosen by auto' : ''}; grant ${grant})`);
  out.push(
    `${result.changed ? 'would change' : 'unchanged'}: ${result.written.length} statement(s) added or rewritten, ${result.removed.length} removed, ` +
      `${current.Statement.filter((s) => !String(s.Sid ?? '').startsWith('DdbBackupOrch')).length} foreign kept`,
  );
  out.push(
    `size: ${result.bytes} of ${POLICY_SIZE_LIMIT} bytes (${((100 * result.bytes) / POLICY_SIZE_LIMIT).toFixed(1)}%)`,
  );
  out.push(JSON.stringify(result.document, null, 2));

  // `other`: an account holding the same engine's grant if the policy has one, else one granted nothing.
  const granted = grantedAccountsIn(result.document);
  const sameEngine = [...grantsIn(result.document)]
    .map(parseGrantKey)
    .find((g) => g.engine === o.engine && g.accountId !== o.account)?.accountId;
  const other =
    sameEngine ??
    (['222222222222', '222222222223', '222222222224'].find((a) => !granted.has(a) && a !== o.account) as string);
  const outsider = ['000000000000', '000000000001'].find((a) => !granted.has(a) && a !== o.account) as string;
  const otherOnboarded = sameEngine !== undefined || layout === 'organization';
  const matrix =
    o.engine === 'native'
      ? nativeAccessMatrix(
          o.account,
          other,
          outsider,
          `${o.sourceRoleName}-restore`,
          o.region,
          o.table,
          o.backupAccount,
        )
      : accessMatrix(o.account, other, outsider, o.region, o.table, o.backupAccount);
  const cases = matrix.map((c) => (c.account === other && !otherOnboarded ? { ...c, expected: 'deny' as const } : c));
  const rows = await evaluateMatrix(result.document, cases, {
    bucket: o.bucket,
    backupAccount: o.backupAccount,
    organizationOf: (a) =>
      o.organizationId === undefined ? undefined : a === outsider ? 'o-outsideorg00' : o.organizationId,
  });
  out.push(
    '',
    `# Access matrix, ${o.engine} (own ${o.account}, other ${other}${otherOnboarded ? '' : ` (not granted ${o.engine})`}, never onboarded ${outsider})`,
  );
  out.push(formatMatrix(rows));
  return { text: out.join('\n'), ok: rows.every((r) => r.ok) && problems.length === 0 };
}

if (require.main === module) {
  (async () => {
    try {
      const { text, ok } = await plan(parsePlanArgs(process.argv.slice(2), process.env));
      console.log(text);
      process.exit(ok ? 0 : 1);
    } catch (e) {
      if (e instanceof UsageError) {
        console.error(`plan: ${e.message}\n${USAGE}`);
        process.exit(2);
      }
      if (e instanceof OrchestratorError) {
        console.error(`plan: ${e.message}`);
        process.exit(1);
      }
      throw e;
    }
  })();
}
