import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isWildcardOnlyAction, runSimulation } from '@cloud-copilot/iam-simulate';
import { loadTemplate, resolveTemplate, type Template } from '../support/cfn';
import { loadEvent } from '../support/fixtures';

/**
 * The two account templates, read as CloudFormation would deploy them (parameters, conditions and intrinsics
 * resolved), then checked three ways: their shape, their IAM policies evaluated by an offline IAM simulator
 * (@cloud-copilot/iam-simulate), and their event patterns evaluated by moto's EventBridge pattern matcher.
 */

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const ORCHESTRATOR = '123456789012';
const SOURCE = '111111111111';
const OTHER_SOURCE = '222222222222';
const BACKUP = '999999999999';
const BUCKET = 'corp-ddb-backups';
const STAGE = 'prod';
const BUS = `arn:aws:events:eu-west-1:${ORCHESTRATOR}:event-bus/ddb-backup-orchestrator-${STAGE}`;
const ALARM_TOPIC = `arn:aws:sns:eu-west-1:${ORCHESTRATOR}:ddb-backup-orchestrator-${STAGE}-alarms`;
const MANAGED = { 'datapipeline:Tag/ddb-backup:managed-by': 'ddb-backup-orchestrator' };
const FUNCTIONS = ['onboard', 'offboard', 'backfill', 'restore', 'healthCheck', 'report', 'drill'] as const;
const orchestratorRole = (fn: string, stage = STAGE) =>
  `arn:aws:iam::${ORCHESTRATOR}:role/ddb-backup-orchestrator-${stage}-${fn}`;

const sourceRaw = loadTemplate(join(root, 'templates/source-account.yml'));
const backupRaw = loadTemplate(join(root, 'templates/backup-account.yml'));
const sourceParams = {
  OrchestratorAccountId: ORCHESTRATOR,
  OrchestratorStage: STAGE,
  CentralEventBusArn: BUS,
  BackupBucketName: BUCKET,
};
const backupParams = {
  BucketName: BUCKET,
  OrchestratorAccountId: ORCHESTRATOR,
  OrchestratorStage: STAGE,
  CentralEventBusArn: BUS,
};
const source = resolveTemplate(sourceRaw, { accountId: SOURCE, region: 'us-east-1', parameters: sourceParams });
const backup = resolveTemplate(backupRaw, { accountId: BACKUP, region: 'eu-west-1', parameters: backupParams });

type Statement = {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
  Principal?: { AWS?: string | string[]; Service?: string | string[] };
};
type PolicyDocument = { Version: string; Statement: Statement[] };
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const props = (t: Template, id: string) => {
  const r = t.Resources[id];
  if (r === undefined) throw new Error(`no resource ${id}`);
  return r.Properties as Record<string, any>;
};
const roleIds = (t: Template) => Object.keys(t.Resources).filter((id) => t.Resources[id]?.Type === 'AWS::IAM::Role');
const identityPolicies = (t: Template, roleId: string) =>
  list(props(t, roleId).Policies as Array<{ PolicyName: string; PolicyDocument: PolicyDocument }>).map((p) => ({
    name: p.PolicyName,
    policy: p.PolicyDocument,
  }));
const statementsOf = (t: Template, roleId: string) => identityPolicies(t, roleId).flatMap((p) => p.policy.Statement);
const trustOf = (t: Template, roleId: string) => props(t, roleId).AssumeRolePolicyDocument as PolicyDocument;
const roleArn = (t: Template, roleId: string, account: string) =>
  `arn:aws:iam::${account}:role/${props(t, roleId).RoleName}`;

/** The simulator's verdict on one request: identity policies of the role, and the resource's own policy if it has one. */
async function simulate(input: {
  principal: string;
  identity: Array<{ name: string; policy: unknown }>;
  action: string;
  resource: string;
  resourceAccount: string;
  context?: Record<string, string | string[]>;
  resourcePolicy?: unknown;
}): Promise<'allow' | 'deny'> {
  const result = await runSimulation(
    {
      request: {
        principal: input.principal,
        action: input.action,
        resource: { resource: input.resource, accountId: input.resourceAccount },
        // The simulator does not derive these from the principal.
        contextVariables: {
          'aws:PrincipalArn': input.principal,
          'aws:PrincipalAccount': input.principal.split(':')[4] as string,
          ...input.context,
        },
      },
      identityPolicies: input.identity as never,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: input.resourcePolicy as never,
    },
    {},
  );
  if (result.resultType === 'error')
    throw new Error(`the simulator refused ${input.action} on ${input.resource}: ${JSON.stringify(result.errors)}`);
  if (result.resultType !== 'single') throw new Error(`${input.action} simulated more than one resource`);
  return result.overallResult === 'Allowed' ? 'allow' : 'deny';
}

/** A resource policy letting `account` do anything on it: whatever is then denied is denied by the role's own policy. */
const openTo = (account: string, resources: string[]) => ({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: '*', Resource: resources },
  ],
});
const bucketOpenTo = (account: string) => openTo(account, [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`]);
/** Table rows for it.each, each with a title naming the verdict it expects (jest's %s would name the row's n-th cell). */
const titled = <R extends readonly unknown[]>(rows: readonly R[], title: (row: R) => string): Array<[string, R]> =>
  rows.map((row) => [title(row), row]);
const callerMayAssumeAnything = [
  {
    name: 'caller',
    policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] },
  },
];

async function cfnLint(files: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run('cfn-lint', files, { cwd: root });
    return { code: 0, output: stdout };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number')
      throw new Error(`cfn-lint could not run (${String(err.code)}): install it with pip install cfn-lint`);
    return { code: err.code, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

it('both account templates pass cfn-lint with no errors', async () => {
  const { code, output } = await cfnLint(['templates/backup-account.yml', 'templates/source-account.yml']);
  // cfn-lint's exit code is a bit field: 1 fatal, 2 error, 4 warning, 8 informational.
  expect({ errors: code & 3, output: code & 3 ? output : '' }).toEqual({ errors: 0, output: '' });
}, 60_000);

it('names only IAM actions that exist in AWS’s service authorization reference, and no wildcard action', async () => {
  const actions = new Set<string>();
  for (const t of [source, backup]) {
    for (const id of roleIds(t))
      for (const s of statementsOf(t, id)) for (const a of [...list(s.Action), ...list(s.NotAction)]) actions.add(a);
  }
  expect(actions.size).toBeGreaterThan(80);
  const unknown: string[] = [];
  for (const a of actions) {
    expect(a).not.toContain('*');
    const [service, name] = a.split(':') as [string, string];
    await isWildcardOnlyAction(service, name).catch(() => unknown.push(a));
  }
  expect(unknown).toEqual([]);
});

describe('Given the backup account template', () => {
  const bucket = props(backup, 'BackupBucket');
  const parameters = backupRaw.Parameters as Record<string, { Default?: unknown; AllowedValues?: unknown[] }>;

  it('turns S3 Object Lock on, GOVERNANCE for 35 days by default, COMPLIANCE as the one other mode', () => {
    expect(bucket.ObjectLockEnabled).toBe(true);
    expect(bucket.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: '35' } },
    });
    expect(parameters.ObjectLockMode).toMatchObject({
      Default: 'GOVERNANCE',
      AllowedValues: ['GOVERNANCE', 'COMPLIANCE'],
    });
    const compliance = resolveTemplate(backupRaw, {
      accountId: BACKUP,
      region: 'eu-west-1',
      parameters: { ...backupParams, ObjectLockMode: 'COMPLIANCE', ObjectLockDays: '90' },
    });
    expect(props(compliance, 'BackupBucket').ObjectLockConfiguration.Rule).toEqual({
      DefaultRetention: { Mode: 'COMPLIANCE', Days: '90' },
    });
  });

  it('keeps versioning on, which Object Lock requires, and the bucket owner-enforced, private and encrypted', () => {
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.BucketEncryption).toBeDefined();
  });

  it('bounds cost: whole-bucket lifecycle rules end current versions, noncurrent versions (kept no shorter than the lock by default), expired delete markers and incomplete uploads', () => {
    const rules = bucket.LifecycleConfiguration.Rules as Array<Record<string, unknown>>;
    for (const r of rules) {
      expect(r.Status).toBe('Enabled');
      expect(r).not.toHaveProperty('Prefix');
      expect(r).not.toHaveProperty('Filter');
    }
    expect(rules).toEqual([
      {
        Id: 'expire-backups',
        Status: 'Enabled',
        ExpirationInDays: '35',
        NoncurrentVersionExpiration: { NoncurrentDays: '35' },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      },
      { Id: 'remove-expired-delete-markers', Status: 'Enabled', ExpiredObjectDeleteMarker: true },
    ]);
    expect(Number(parameters.NoncurrentRetentionDays?.Default)).toBeGreaterThanOrEqual(
      Number(parameters.ObjectLockDays?.Default),
    );
    const raw = (backupRaw.Resources.BackupBucket!.Properties as Record<string, any>).LifecycleConfiguration.Rules[0];
    expect(raw).toMatchObject({
      ExpirationInDays: { Ref: 'RetentionDays' },
      NoncurrentVersionExpiration: { NoncurrentDays: { Ref: 'NoncurrentRetentionDays' } },
    });
  });

  it('keeps the parameters and outputs that the README and the orchestrator use', () => {
    for (const p of [
      'BucketName',
      'OrchestratorAccountId',
      'OrchestratorStage',
      'PolicyWriterRoleName',
      'ExternalId',
      'RetentionDays',
    ])
      expect(parameters).toHaveProperty(p);
    expect(backup.Outputs).toMatchObject({
      BucketName: BUCKET,
      PolicyWriterRoleArn: `arn:aws:iam::${BACKUP}:role/ddb-backup-policy-writer`,
    });
    expect(Object.values(backup.Resources).map((r) => r.Type)).not.toContain('AWS::S3::BucketPolicy');
  });

  describe('the bucket-policy change alarm', () => {
    const WRITER = `arn:aws:iam::${BACKUP}:role/ddb-backup-policy-writer`;
    const policyRule = props(backup, 'BucketPolicyChangedRule');
    const settingsRule = props(backup, 'BucketSettingsChangedRule');

    it('forwards PutBucketPolicy / DeleteBucketPolicy on the backup bucket by anyone but the policy-writer role, with exactly this pattern', () => {
      expect(policyRule.EventPattern).toEqual({
        source: ['aws.s3'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['s3.amazonaws.com'],
          eventName: ['PutBucketPolicy', 'DeleteBucketPolicy'],
          requestParameters: { bucketName: [BUCKET] },
          $or: [
            { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [WRITER] }] } } } },
            { userIdentity: { type: [{ 'anything-but': ['AssumedRole'] }] } },
          ],
        },
      });
      expect(policyRule).toMatchObject({ EventBusName: 'default', State: 'ENABLED' });
    });

    it('puts them on the central bus through a role EventBridge of this account assumes, allowed only events:PutEvents on that bus', () => {
      const forwarder = `arn:aws:iam::${BACKUP}:role/ForwardBucketEventsRole`;
      for (const rule of [policyRule, settingsRule])
        expect(rule.Targets).toEqual([{ Id: 'orchestrator-bus', Arn: BUS, RoleArn: forwarder }]);
      expect(statementsOf(backup, 'ForwardBucketEventsRole')).toEqual([
        { Effect: 'Allow', Action: 'events:PutEvents', Resource: BUS },
      ]);
      expect(trustOf(backup, 'ForwardBucketEventsRole').Statement).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': BACKUP } },
        },
      ]);
    });

    it('matches a policy change by another role, the root user or an IAM user, and not one by the policy writer, on another bucket or a read (moto’s EventBridge pattern matcher)', () => {
      const issuer = (arn: string) => ({
        type: 'AssumedRole',
        arn: `${arn.replace(':iam:', ':sts:').replace(':role/', ':assumed-role/')}/session`,
        accountId: BACKUP,
        sessionContext: { sessionIssuer: { type: 'Role', arn, accountId: BACKUP } },
      });
      const admin = issuer(`arn:aws:iam::${BACKUP}:role/Admin`);
      const events = {
        'PutBucketPolicy by another role': cloudTrailEvent('PutBucketPolicy', admin),
        'DeleteBucketPolicy by another role': cloudTrailEvent('DeleteBucketPolicy', admin),
        'PutBucketPolicy by the root user': cloudTrailEvent('PutBucketPolicy', {
          type: 'Root',
          arn: `arn:aws:iam::${BACKUP}:root`,
          accountId: BACKUP,
        }),
        'PutBucketPolicy by an IAM user': cloudTrailEvent('PutBucketPolicy', {
          type: 'IAMUser',
          arn: `arn:aws:iam::${BACKUP}:user/ops`,
          accountId: BACKUP,
          userName: 'ops',
        }),
        'PutBucketPolicy by the policy writer': cloudTrailEvent('PutBucketPolicy', issuer(WRITER)),
        'PutBucketPolicy on another bucket': cloudTrailEvent('PutBucketPolicy', admin, 'some-other-bucket'),
        'GetBucketPolicy by another role': cloudTrailEvent('GetBucketPolicy', admin),
        'PutBucketLifecycle by the policy writer': cloudTrailEvent('PutBucketLifecycle', issuer(WRITER)),
        'PutObjectLockConfiguration by another role': cloudTrailEvent('PutObjectLockConfiguration', admin),
      };
      expect(matchedBy(policyRule.EventPattern, events)).toEqual([
        'PutBucketPolicy by another role',
        'DeleteBucketPolicy by another role',
        'PutBucketPolicy by the root user',
        'PutBucketPolicy by an IAM user',
      ]);
      expect(matchedBy(settingsRule.EventPattern, events)).toEqual([
        'PutBucketLifecycle by the policy writer',
        'PutObjectLockConfiguration by another role',
      ]);
    });

    it('creates neither rule nor role without CentralEventBusArn', () => {
      const quiet = resolveTemplate(backupRaw, {
        accountId: BACKUP,
        region: 'eu-west-1',
        parameters: { ...backupParams, CentralEventBusArn: '' },
      });
      expect(Object.keys(quiet.Resources).sort()).toEqual(['BackupBucket', 'PolicyWriterRole', 'SnapshotReaderRole']);
    });
  });

  describe('the roles the orchestrator assumes there', () => {
    const trustCase = async (
      roleId: string,
      principal: string,
      context: Record<string, string> = {},
      t: Template = backup,
    ) =>
      simulate({
        principal,
        identity: callerMayAssumeAnything,
        action: 'sts:AssumeRole',
        resource: roleArn(t, roleId, BACKUP),
        resourceAccount: BACKUP,
        context,
        resourcePolicy: trustOf(t, roleId),
      });

    it('lets exactly onboard, backfill, healthCheck and revoke of the stage assume the policy writer, and only restore and report the snapshot reader', () => {
      const principalArns = (roleId: string) =>
        trustOf(backup, roleId).Statement.map((s) => {
          expect(s.Principal).toEqual({ AWS: `arn:aws:iam::${ORCHESTRATOR}:root` });
          expect(Object.keys(s.Condition ?? {})).toEqual(['ArnEquals']);
          return list(s.Condition?.ArnEquals?.['aws:PrincipalArn']);
        });
      expect(principalArns('PolicyWriterRole')).toEqual([
        ['onboard', 'backfill', 'healthCheck', 'revoke'].map((fn) => orchestratorRole(fn)),
      ]);
      expect(principalArns('SnapshotReaderRole')).toEqual([[orchestratorRole('restore'), orchestratorRole('report')]]);
    });

    it.each(
      titled(
        [
          ['the onboard function', 'PolicyWriterRole', orchestratorRole('onboard'), 'allow'],
          ['the revoke function', 'PolicyWriterRole', orchestratorRole('revoke'), 'allow'],
          ['the restore function', 'PolicyWriterRole', orchestratorRole('restore'), 'deny'],
          ['the offboard function', 'PolicyWriterRole', orchestratorRole('offboard'), 'deny'],
          [
            'the onboard function of a stage prod-eu',
            'PolicyWriterRole',
            orchestratorRole('onboard', 'prod-eu'),
            'deny',
          ],
          [
            'another role of the orchestrator account',
            'PolicyWriterRole',
            `arn:aws:iam::${ORCHESTRATOR}:role/Admin`,
            'deny',
          ],
          ['the restore function', 'SnapshotReaderRole', orchestratorRole('restore'), 'allow'],
          ['the report function', 'SnapshotReaderRole', orchestratorRole('report'), 'allow'],
          ['the onboard function', 'SnapshotReaderRole', orchestratorRole('onboard'), 'deny'],
        ] as const,
        ([who, roleId, , expected]) => `simulated: ${who} assuming the ${roleId} → ${expected}`,
      ),
    )('%s', async (_title, [, roleId, principal, expected]) => {
      expect(await trustCase(roleId, principal)).toBe(expected);
    });

    it('requires the external id when one is set', async () => {
      const withId = resolveTemplate(backupRaw, {
        accountId: BACKUP,
        region: 'eu-west-1',
        parameters: { ...backupParams, ExternalId: 'ext-123' },
      });
      expect(await trustCase('PolicyWriterRole', orchestratorRole('onboard'), {}, withId)).toBe('deny');
      expect(
        await trustCase('PolicyWriterRole', orchestratorRole('onboard'), { 'sts:ExternalId': 'wrong' }, withId),
      ).toBe('deny');
      expect(
        await trustCase('PolicyWriterRole', orchestratorRole('onboard'), { 'sts:ExternalId': 'ext-123' }, withId),
      ).toBe('allow');
    });

    // Within one account a bucket policy alone can grant a role anything, and the writer writes the bucket policy.
    it.each(
      titled(
        [
          ['s3:PutBucketPolicy', `arn:aws:s3:::${BUCKET}`, 'allow'],
          ['s3:GetBucketPolicy', `arn:aws:s3:::${BUCKET}`, 'allow'],
          [
            's3:DeleteObjectVersion',
            `arn:aws:s3:::${BUCKET}/${SOURCE}/us-east-1/orders/2026-11-26-03-00-00/manifest`,
            'deny',
          ],
          [
            's3:BypassGovernanceRetention',
            `arn:aws:s3:::${BUCKET}/${SOURCE}/us-east-1/orders/2026-11-26-03-00-00/manifest`,
            'deny',
          ],
          [
            's3:PutObjectRetention',
            `arn:aws:s3:::${BUCKET}/${SOURCE}/us-east-1/orders/2026-11-26-03-00-00/manifest`,
            'deny',
          ],
          ['s3:GetObject', `arn:aws:s3:::${BUCKET}/${SOURCE}/us-east-1/orders/2026-11-26-03-00-00/manifest`, 'deny'],
          ['s3:PutLifecycleConfiguration', `arn:aws:s3:::${BUCKET}`, 'deny'],
          ['s3:PutBucketObjectLockConfiguration', `arn:aws:s3:::${BUCKET}`, 'deny'],
          ['s3:DeleteBucket', `arn:aws:s3:::${BUCKET}`, 'deny'],
        ] as const,
        ([action, , expected]) =>
          `simulated: the policy writer, under a bucket policy granting it everything: ${action} → ${expected}`,
      ),
    )('%s', async (_title, [action, resource, expected]) => {
      const writer = roleArn(backup, 'PolicyWriterRole', BACKUP);
      const grantsWriterEverything = {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: writer },
            Action: 's3:*',
            Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
          },
        ],
      };
      expect(
        await simulate({
          principal: writer,
          identity: identityPolicies(backup, 'PolicyWriterRole'),
          action,
          resource,
          resourceAccount: BACKUP,
          resourcePolicy: grantsWriterEverything,
        }),
      ).toBe(expected);
    });

    it.each(
      titled(
        [
          [
            'lists one table’s snapshots',
            's3:ListBucket',
            `arn:aws:s3:::${BUCKET}`,
            { 's3:prefix': `${SOURCE}/us-east-1/orders/` },
            'allow',
          ],
          [
            'lists the run folders of every table of an account and region',
            's3:ListBucket',
            `arn:aws:s3:::${BUCKET}`,
            { 's3:prefix': `${SOURCE}/us-east-1/` },
            'allow',
          ],
          ['lists a whole account', 's3:ListBucket', `arn:aws:s3:::${BUCKET}`, { 's3:prefix': `${SOURCE}/` }, 'deny'],
          ['lists the whole bucket', 's3:ListBucket', `arn:aws:s3:::${BUCKET}`, { 's3:prefix': '' }, 'deny'],
          [
            'reads a manifest',
            's3:GetObject',
            `arn:aws:s3:::${BUCKET}/${SOURCE}/us-east-1/orders/2026-11-26-03-00-00/manifest`,
            {},
            'deny',
          ],
          ['writes the bucket policy', 's3:PutBucketPolicy', `arn:aws:s3:::${BUCKET}`, {}, 'deny'],
        ] as const,
        ([what, , , , expected]) =>
          `simulated: the snapshot reader, under a bucket policy granting it everything, ${what} → ${expected}`,
      ),
    )('%s', async (_title, [, action, resource, context, expected]) => {
      const reader = roleArn(backup, 'SnapshotReaderRole', BACKUP);
      const grantsReaderEverything = {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: reader },
            Action: 's3:*',
            Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
          },
        ],
      };
      expect(
        await simulate({
          principal: reader,
          identity: identityPolicies(backup, 'SnapshotReaderRole'),
          action,
          resource,
          resourceAccount: BACKUP,
          context,
          resourcePolicy: grantsReaderEverything,
        }),
      ).toBe(expected);
    });
  });
});

describe('Given the source account template', () => {
  const FUNCTION_ROLES = {
    onboard: 'OnboardRole',
    offboard: 'OffboardRole',
    backfill: 'BackfillRole',
    restore: 'RestoreRole',
    healthCheck: 'HealthCheckRole',
    report: 'ReportRole',
    drill: 'DrillRole',
  } as const;
  const PIPELINE_ROLES = ['PipelineRole', 'PipelineResourceRole', 'RestoreResourceRole'] as const;
  const arnOf = (roleId: string) => roleArn(source, roleId, SOURCE);
  const TABLES = `arn:aws:dynamodb:*:${SOURCE}:table/*`;
  const actionsOf = (roleId: string) =>
    [
      ...new Set(
        statementsOf(source, roleId)
          .filter((s) => s.Effect === 'Allow')
          .flatMap((s) => list(s.Action)),
      ),
    ].sort();

  it('creates one role per orchestrator function, named <OrchestratorRoleName>-<function>, the three pipeline roles and the export schedules’ role', () => {
    expect(FUNCTIONS.map((fn) => props(source, FUNCTION_ROLES[fn]).RoleName)).toEqual(
      FUNCTIONS.map((fn) => `ddb-backup-orchestrator-${fn}`),
    );
    expect(PIPELINE_ROLES.map((id) => props(source, id).RoleName)).toEqual([
      'ddb-backup-pipeline',
      'ddb-backup-pipeline-resource',
      'ddb-backup-restore-resource',
    ]);
    expect([props(source, 'PipelineResourceInstanceProfile'), props(source, 'RestoreResourceInstanceProfile')]).toEqual(
      [
        { InstanceProfileName: 'ddb-backup-pipeline-resource', Roles: ['ddb-backup-pipeline-resource'] },
        { InstanceProfileName: 'ddb-backup-restore-resource', Roles: ['ddb-backup-restore-resource'] },
      ],
    );
    expect(roleIds(source).sort()).toEqual(
      [...Object.values(FUNCTION_ROLES), ...PIPELINE_ROLES, 'ExportSchedulerRole', 'ForwardTableEventsRole'].sort(),
    );
  });

  it('trusts each function role to exactly the matching role of the orchestrator stage, and the pipeline roles only to the services that run them', () => {
    for (const fn of FUNCTIONS) {
      expect(trustOf(source, FUNCTION_ROLES[fn]).Statement).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ORCHESTRATOR}:root` },
          Action: 'sts:AssumeRole',
          Condition: { ArnEquals: { 'aws:PrincipalArn': orchestratorRole(fn) } },
        }),
      ]);
    }
    expect(trustOf(source, 'PipelineRole').Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: ['datapipeline.amazonaws.com', 'elasticmapreduce.amazonaws.com'] },
        Action: 'sts:AssumeRole',
      },
    ]);
    for (const id of ['PipelineResourceRole', 'RestoreResourceRole']) {
      expect(trustOf(source, id).Statement).toEqual([
        { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ]);
    }
    for (const t of [source, backup])
      for (const id of roleIds(t))
        for (const st of trustOf(t, id).Statement) {
          expect(JSON.stringify(st.Principal)).not.toContain('*');
          // Only the export schedules' trust names a wildcard: any region of the product's schedule group.
          if (id !== 'ExportSchedulerRole') expect(JSON.stringify(st.Condition ?? {})).not.toContain('*');
        }
  });

  it('grants each function exactly the actions it uses', () => {
    const findAndDefine = [
      'datapipeline:ActivatePipeline',
      'datapipeline:AddTags',
      'datapipeline:CreatePipeline',
      'datapipeline:DescribePipelines',
      'datapipeline:ListPipelines',
      'datapipeline:PutPipelineDefinition',
    ];
    const schedule = [
      'dynamodb:DescribeContinuousBackups',
      'dynamodb:UpdateContinuousBackups',
      'scheduler:CreateSchedule',
      'scheduler:GetSchedule',
      'scheduler:UpdateSchedule',
    ];
    const exports = ['dynamodb:DescribeExport', 'dynamodb:ListExports'];
    expect(actionsOf('OnboardRole')).toEqual(
      [...findAndDefine, ...schedule, 'dynamodb:DescribeTable', 'dynamodb:ListTagsOfResource', 'iam:PassRole'].sort(),
    );
    expect(actionsOf('BackfillRole')).toEqual(
      [
        ...findAndDefine,
        ...schedule,
        'dynamodb:DescribeTable',
        'dynamodb:ListTables',
        'dynamodb:ListTagsOfResource',
        'iam:PassRole',
      ].sort(),
    );
    expect(actionsOf('OffboardRole')).toEqual([
      'datapipeline:DeactivatePipeline',
      'datapipeline:DeletePipeline',
      'scheduler:DeleteSchedule',
      'scheduler:GetSchedule',
    ]);
    expect(actionsOf('HealthCheckRole')).toEqual(
      [
        'datapipeline:DescribePipelines',
        'datapipeline:ListPipelines',
        'dynamodb:DescribeTable',
        'scheduler:GetSchedule',
        'scheduler:ListSchedules',
        ...exports,
      ].sort(),
    );
    expect(actionsOf('RestoreRole')).toEqual(
      [
        'datapipeline:ActivatePipeline',
        'datapipeline:AddTags',
        'datapipeline:CreatePipeline',
        'datapipeline:PutPipelineDefinition',
        'dynamodb:CreateTable',
        'dynamodb:DescribeImport',
        'dynamodb:DescribeTable',
        'dynamodb:ImportTable',
        'dynamodb:Scan',
        'dynamodb:TagResource',
        'iam:PassRole',
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:DescribeLogGroups',
        'logs:DescribeLogStreams',
        'logs:PutLogEvents',
        'logs:PutRetentionPolicy',
        's3:GetObject',
        's3:ListBucket',
        ...exports,
      ].sort(),
    );
    expect(actionsOf('ReportRole')).toEqual(
      [
        'dynamodb:DescribeContinuousBackups',
        'dynamodb:DescribeTable',
        'dynamodb:ListTables',
        'dynamodb:ListTagsOfResource',
        'events:DescribeRule',
        'scheduler:GetSchedule',
        'scheduler:ListSchedules',
        ...exports,
      ].sort(),
    );
    expect(actionsOf('DrillRole')).toEqual(
      [
        'dynamodb:DeleteTable',
        'dynamodb:DescribeImport',
        'dynamodb:DescribeTable',
        'dynamodb:GetItem',
        'dynamodb:ImportTable',
        'dynamodb:Scan',
        'dynamodb:TagResource',
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:DescribeLogGroups',
        'logs:DescribeLogStreams',
        'logs:PutLogEvents',
        'logs:PutRetentionPolicy',
        's3:GetObject',
        's3:ListBucket',
        ...exports,
      ].sort(),
    );
  });

  it('names "*" as a resource only where AWS offers no other, and for Data Pipeline only reads, the task runner’s reports or pipelines tagged ddb-backup:managed-by', async () => {
    const READS = new Set(['datapipeline:DescribePipelines', 'datapipeline:ListPipelines']);
    const TASK_RUNNER = new Set([
      'datapipeline:PollForTask',
      'datapipeline:ReportTaskProgress',
      'datapipeline:ReportTaskRunnerHeartbeat',
      'datapipeline:SetTaskStatus',
    ]);
    const tagged = (s: Statement) =>
      s.Condition?.StringEquals?.['datapipeline:Tag/ddb-backup:managed-by'] === 'ddb-backup-orchestrator' ||
      s.Condition?.StringEquals?.['aws:RequestTag/ddb-backup:managed-by'] === 'ddb-backup-orchestrator';
    const offenders: string[] = [];
    for (const id of roleIds(source)) {
      for (const s of statementsOf(source, id).filter((x) => x.Effect === 'Allow' && list(x.Resource).includes('*'))) {
        // AWS's own EMR service role names EC2 on "*"; only the Data Pipeline and EMR services can assume this role.
        if (id === 'PipelineRole' && s.Sid === 'EmrServiceRoleEc2') continue;
        for (const a of list(s.Action)) {
          const [service, name] = a.split(':') as [string, string];
          const ok =
            service === 'datapipeline'
              ? READS.has(a) || TASK_RUNNER.has(a) || tagged(s)
              : // ListExports names a table only when called with a TableArn; without one it authorizes on "*".
                a === 'dynamodb:ListExports' || (await isWildcardOnlyAction(service, name));
          if (!ok) offenders.push(`${id}/${s.Sid}: ${a}`);
        }
      }
    }
    expect(offenders).toEqual([]);
    expect(trustOf(source, 'PipelineRole').Statement.every((s) => s.Principal?.AWS === undefined)).toBe(true);
  });

  it('passes only the pipeline roles, each only to the services that use it, and the legacy default roles never', () => {
    const passes = (roleId: string) =>
      statementsOf(source, roleId)
        .filter((s) => list(s.Action).includes('iam:PassRole'))
        .map((s) => ({ to: list(s.Resource), condition: s.Condition }));
    const pipelineRole = {
      to: [arnOf('PipelineRole')],
      condition: {
        StringEquals: { 'iam:PassedToService': ['datapipeline.amazonaws.com', 'elasticmapreduce.amazonaws.com'] },
      },
    };
    const toEc2 = (roleId: string) => ({
      to: [arnOf(roleId)],
      condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    });
    const schedulerRole = {
      to: [arnOf('ExportSchedulerRole')],
      condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    };
    expect(passes('OnboardRole')).toEqual([pipelineRole, toEc2('PipelineResourceRole'), schedulerRole]);
    expect(passes('BackfillRole')).toEqual([pipelineRole, toEc2('PipelineResourceRole'), schedulerRole]);
    expect(passes('RestoreRole')).toEqual([pipelineRole, toEc2('RestoreResourceRole')]);
    expect(passes('OffboardRole')).toEqual([]);
    expect(passes('HealthCheckRole')).toEqual([]);
    expect(passes('ReportRole')).toEqual([]);
    expect(passes('DrillRole')).toEqual([]);
    // The pipeline role hands itself to EMR as service role and the instance profiles to EC2, as AWS's EMR policies do.
    expect(passes('PipelineRole')).toEqual([
      {
        to: [arnOf('PipelineRole')],
        condition: { StringLike: { 'iam:PassedToService': 'elasticmapreduce.amazonaws.com*' } },
      },
      {
        to: [arnOf('PipelineResourceRole'), arnOf('RestoreResourceRole')],
        condition: { StringLike: { 'iam:PassedToService': 'ec2.amazonaws.com*' } },
      },
    ]);
    expect(JSON.stringify(source.Resources)).not.toMatch(/role\/DataPipelineDefault/);
  });

  it('gives the pipeline roles no s3:* or dynamodb:*, DynamoDB only on this account’s tables, and S3 only on this account’s prefix (and AWS’s own software buckets, read-only)', () => {
    const prefix = `arn:aws:s3:::${BUCKET}/${SOURCE}/`;
    const awsSoftware = [
      'arn:aws:s3:::dynamodb-dpl-*/emr-ddb-storage-handler/*',
      'arn:aws:s3:::datapipeline-*/*',
      'arn:aws:s3:::*.elasticmapreduce/*',
    ];
    for (const id of PIPELINE_ROLES) {
      for (const s of statementsOf(source, id).filter((x) => x.Effect === 'Allow')) {
        const actions = list(s.Action);
        for (const a of actions) expect(a).not.toMatch(/^(s3|dynamodb):\*$/);
        if (actions.some((a) => a.startsWith('dynamodb:'))) expect(s.Resource).toBe(TABLES);
        if (!actions.some((a) => a.startsWith('s3:'))) continue;
        for (const r of list(s.Resource)) {
          if (r === `arn:aws:s3:::${BUCKET}`) {
            if (actions.includes('s3:ListBucket'))
              expect(s.Condition).toEqual({ StringLike: { 's3:prefix': [SOURCE, `${SOURCE}/*`] } });
            else expect(actions).toEqual(['s3:GetBucketLocation']);
          } else if (awsSoftware.includes(r)) {
            expect(actions).toEqual(['s3:GetObject']);
          } else {
            expect(r.startsWith(prefix)).toBe(true);
          }
        }
      }
    }
  });

  it('a second region’s stack (ForwardEventsOnly) holds only the forwarding rule and its role, and the native engine’s schedule group and dead-letter queue', () => {
    const regional = resolveTemplate(sourceRaw, {
      accountId: SOURCE,
      region: 'eu-central-1',
      parameters: { ...sourceParams, ForwardEventsOnly: 'true' },
    });
    expect(Object.keys(regional.Resources).sort()).toEqual([
      'ExportDeadLetterQueue',
      'ExportDeadLetterQueuePolicy',
      'ExportScheduleGroup',
      'ForwardTableEventsRole',
      'ForwardTableEventsRule',
    ]);
  });

  it('forwards every call that creates a table (CreateTable, ImportTable, both restores) and DeleteTable, and nothing else', () => {
    const rule = props(source, 'ForwardTableEventsRule');
    const dynamo = (eventName: string, over: Record<string, unknown> = {}) => {
      const e = loadEvent('create-table');
      e.detail.eventName = eventName;
      return { ...e, ...over };
    };
    const events = {
      CreateTable: loadEvent('create-table'),
      ImportTable: loadEvent('import-table'),
      RestoreTableToPointInTime: loadEvent('restore-table-to-point-in-time'),
      RestoreTableFromBackup: loadEvent('restore-table-from-backup'),
      DeleteTable: loadEvent('delete-table'),
      UpdateTable: dynamo('UpdateTable'),
      DescribeImport: dynamo('DescribeImport'),
      'ImportTable from another source': dynamo('ImportTable', { source: 'custom.dynamodb' }),
    };
    expect(matchedBy(rule.EventPattern, events)).toEqual([
      'CreateTable',
      'ImportTable',
      'RestoreTableToPointInTime',
      'RestoreTableFromBackup',
      'DeleteTable',
    ]);
  });

  describe('simulated, each function role in this account', () => {
    const pipeline = `arn:aws:datapipeline:us-east-1:${SOURCE}:pipeline/df-0123456789ABCDEFGHIJ`;
    const table = (name: string, account = SOURCE) => `arn:aws:dynamodb:us-east-1:${account}:table/${name}`;
    const role = (name: string) => `arn:aws:iam::${SOURCE}:role/${name}`;
    const createTags = {
      'aws:RequestTag/ddb-backup:managed-by': 'ddb-backup-orchestrator',
      'aws:TagKeys': ['ddb-backup:managed-by', 'ddb-backup:table-arn'],
    };
    it.each(
      titled(
        [
          ['healthCheck', 'reads the pipelines', 'datapipeline:DescribePipelines', pipeline, {}, 'allow'],
          ['healthCheck', 'deletes a managed pipeline', 'datapipeline:DeletePipeline', pipeline, MANAGED, 'deny'],
          [
            'healthCheck',
            'redefines a managed pipeline',
            'datapipeline:PutPipelineDefinition',
            pipeline,
            MANAGED,
            'deny',
          ],
          ['healthCheck', 'reads a table’s description', 'dynamodb:DescribeTable', table('orders'), {}, 'allow'],
          [
            'healthCheck',
            'reads a table’s items',
            'dynamodb:Scan',
            table('orders'),
            { 'dynamodb:Select': 'COUNT' },
            'deny',
          ],
          ['offboard', 'deletes a managed pipeline', 'datapipeline:DeletePipeline', pipeline, MANAGED, 'allow'],
          ['offboard', 'deactivates a managed pipeline', 'datapipeline:DeactivatePipeline', pipeline, MANAGED, 'allow'],
          ['offboard', 'deletes an untagged pipeline', 'datapipeline:DeletePipeline', pipeline, {}, 'deny'],
          [
            'offboard',
            'deletes a pipeline someone else manages',
            'datapipeline:DeletePipeline',
            pipeline,
            { 'datapipeline:Tag/ddb-backup:managed-by': 'etl-team' },
            'deny',
          ],
          ['offboard', 'deactivates an untagged pipeline', 'datapipeline:DeactivatePipeline', pipeline, {}, 'deny'],
          ['offboard', 'creates a pipeline', 'datapipeline:CreatePipeline', '*', createTags, 'deny'],
          ['onboard', 'creates a pipeline tagged as managed', 'datapipeline:CreatePipeline', '*', createTags, 'allow'],
          ['onboard', 'creates an untagged pipeline', 'datapipeline:CreatePipeline', '*', {}, 'deny'],
          [
            'onboard',
            'creates a pipeline with a tag of its own choosing',
            'datapipeline:CreatePipeline',
            '*',
            { ...createTags, 'aws:TagKeys': ['ddb-backup:managed-by', 'owner'] },
            'deny',
          ],
          [
            'onboard',
            'puts a definition into a managed pipeline',
            'datapipeline:PutPipelineDefinition',
            pipeline,
            MANAGED,
            'allow',
          ],
          ['onboard', 'activates a managed pipeline', 'datapipeline:ActivatePipeline', pipeline, MANAGED, 'allow'],
          [
            'onboard',
            'puts a definition into an untagged pipeline',
            'datapipeline:PutPipelineDefinition',
            pipeline,
            {},
            'deny',
          ],
          ['onboard', 'deletes a managed pipeline', 'datapipeline:DeletePipeline', pipeline, MANAGED, 'deny'],
          ['onboard', 'lists the account’s tables', 'dynamodb:ListTables', '*', {}, 'deny'],
          [
            'onboard',
            'passes the pipeline role to Data Pipeline',
            'iam:PassRole',
            role('ddb-backup-pipeline'),
            { 'iam:PassedToService': 'datapipeline.amazonaws.com' },
            'allow',
          ],
          [
            'onboard',
            'passes the pipeline role to EC2',
            'iam:PassRole',
            role('ddb-backup-pipeline'),
            { 'iam:PassedToService': 'ec2.amazonaws.com' },
            'deny',
          ],
          [
            'onboard',
            'passes the export resource role to EC2',
            'iam:PassRole',
            role('ddb-backup-pipeline-resource'),
            { 'iam:PassedToService': 'ec2.amazonaws.com' },
            'allow',
          ],
          [
            'onboard',
            'passes the export resource role to Lambda',
            'iam:PassRole',
            role('ddb-backup-pipeline-resource'),
            { 'iam:PassedToService': 'lambda.amazonaws.com' },
            'deny',
          ],
          [
            'onboard',
            'passes the restore resource role',
            'iam:PassRole',
            role('ddb-backup-restore-resource'),
            { 'iam:PassedToService': 'ec2.amazonaws.com' },
            'deny',
          ],
          [
            'onboard',
            'passes DataPipelineDefaultResourceRole',
            'iam:PassRole',
            role('DataPipelineDefaultResourceRole'),
            { 'iam:PassedToService': 'ec2.amazonaws.com' },
            'deny',
          ],
          [
            'onboard',
            'passes an administrator role',
            'iam:PassRole',
            role('Admin'),
            { 'iam:PassedToService': 'datapipeline.amazonaws.com' },
            'deny',
          ],
          ['backfill', 'lists the account’s tables', 'dynamodb:ListTables', '*', {}, 'allow'],
          ['backfill', 'deletes a managed pipeline', 'datapipeline:DeletePipeline', pipeline, MANAGED, 'deny'],
          [
            'restore',
            'counts a table’s items',
            'dynamodb:Scan',
            table('orders-restored'),
            { 'dynamodb:Select': 'COUNT' },
            'allow',
          ],
          [
            'restore',
            'reads a table’s items',
            'dynamodb:Scan',
            table('orders'),
            { 'dynamodb:Select': 'ALL_ATTRIBUTES' },
            'deny',
          ],
          ['restore', 'scans without saying what', 'dynamodb:Scan', table('orders'), {}, 'deny'],
          [
            'restore',
            'creates a table tagged as managed',
            'dynamodb:CreateTable',
            table('orders-restored'),
            {
              'aws:RequestTag/ddb-backup:managed-by': 'ddb-backup-orchestrator',
              'aws:TagKeys': ['ddb-backup:managed-by', 'ddb-backup:restored-from'],
            },
            'allow',
          ],
          ['restore', 'creates an untagged table', 'dynamodb:CreateTable', table('orders-restored'), {}, 'deny'],
          ['restore', 'writes an item', 'dynamodb:PutItem', table('orders'), {}, 'deny'],
          ['restore', 'deletes a table', 'dynamodb:DeleteTable', table('orders'), {}, 'deny'],
          [
            'restore',
            'passes the restore resource role to EC2',
            'iam:PassRole',
            role('ddb-backup-restore-resource'),
            { 'iam:PassedToService': 'ec2.amazonaws.com' },
            'allow',
          ],
          [
            'restore',
            'passes the export resource role',
            'iam:PassRole',
            role('ddb-backup-pipeline-resource'),
            { 'iam:PassedToService': 'ec2.amazonaws.com' },
            'deny',
          ],
          ['restore', 'deletes a managed pipeline', 'datapipeline:DeletePipeline', pipeline, MANAGED, 'deny'],
        ] as const,
        ([fn, what, , , , expected]) => `${fn} ${what} → ${expected}`,
      ),
    )('%s', async (_title, [fn, , action, resource, context, expected]) => {
      const id = FUNCTION_ROLES[fn];
      expect(
        await simulate({
          principal: arnOf(id),
          identity: identityPolicies(source, id),
          action,
          resource,
          resourceAccount: SOURCE,
          context: context as Record<string, string | string[]>,
        }),
      ).toBe(expected);
    });

    it.each(FUNCTIONS.filter((fn) => fn !== 'restore' && fn !== 'drill').map((fn) => [fn] as const))(
      '%s reaches nothing in the backup bucket, even one open to this account',
      async (fn) => {
        const id = FUNCTION_ROLES[fn];
        for (const [action, resource] of [
          ['s3:GetObject', `arn:aws:s3:::${BUCKET}/${SOURCE}/us-east-1/orders/2026-11-26-03-00-00/manifest`],
          ['s3:PutObject', `arn:aws:s3:::${BUCKET}/${SOURCE}/us-east-1/orders/x`],
          ['s3:ListBucket', `arn:aws:s3:::${BUCKET}`],
        ] as const) {
          expect(
            await simulate({
              principal: arnOf(id),
              identity: identityPolicies(source, id),
              action,
              resource,
              resourceAccount: BACKUP,
              resourcePolicy: bucketOpenTo(SOURCE),
            }),
          ).toBe('deny');
        }
      },
    );

    it.each(
      titled(
        [
          [
            'reads an export of this account',
            's3:GetObject',
            `${SOURCE}/us-east-1/orders/AWSDynamoDB/0001/data/a.json.gz`,
            {},
            'allow',
          ],
          [
            'reads an export of another account',
            's3:GetObject',
            `${OTHER_SOURCE}/us-east-1/orders/AWSDynamoDB/0001/data/a.json.gz`,
            {},
            'deny',
          ],
          ['lists this account’s prefix', 's3:ListBucket', '', { 's3:prefix': `${SOURCE}/us-east-1/orders/` }, 'allow'],
          ['lists the whole bucket', 's3:ListBucket', '', { 's3:prefix': '' }, 'deny'],
          ['lists another account’s prefix', 's3:ListBucket', '', { 's3:prefix': `${OTHER_SOURCE}/` }, 'deny'],
          ['writes into this account’s prefix', 's3:PutObject', `${SOURCE}/us-east-1/orders/x`, {}, 'deny'],
          [
            'deletes an export',
            's3:DeleteObject',
            `${SOURCE}/us-east-1/orders/AWSDynamoDB/0001/manifest-summary.json`,
            {},
            'deny',
          ],
        ] as const,
        ([what, , , , expected]) =>
          `restore (ImportTable reads with its credentials), in a bucket open to this account, ${what} → ${expected}`,
      ),
    )('%s', async (_title, [, action, key, context, expected]) => {
      expect(
        await simulate({
          principal: arnOf('RestoreRole'),
          identity: identityPolicies(source, 'RestoreRole'),
          action,
          resource: key === '' ? `arn:aws:s3:::${BUCKET}` : `arn:aws:s3:::${BUCKET}/${key}`,
          resourceAccount: BACKUP,
          context: context as Record<string, string>,
          resourcePolicy: bucketOpenTo(SOURCE),
        }),
      ).toBe(expected);
    });

    it.each(
      titled(
        FUNCTIONS.flatMap(
          (fn) =>
            [
              [fn, `its own function (${fn})`, orchestratorRole(fn), 'allow'],
              [
                fn,
                'another function of the stage',
                orchestratorRole(fn === 'onboard' ? 'offboard' : 'onboard'),
                'deny',
              ],
              [fn, 'the same function of a stage prod-eu', orchestratorRole(fn, 'prod-eu'), 'deny'],
              [
                fn,
                'another role of the orchestrator account',
                `arn:aws:iam::${ORCHESTRATOR}:role/ddb-backup-orchestrator-${STAGE}-x`,
                'deny',
              ],
            ] as const,
        ),
        ([fn, who, , expected]) => `the ${fn} role is assumed by ${who} → ${expected}`,
      ),
    )('%s', async (_title, [fn, , principal, expected]) => {
      const id = FUNCTION_ROLES[fn];
      expect(
        await simulate({
          principal,
          identity: callerMayAssumeAnything,
          action: 'sts:AssumeRole',
          resource: arnOf(id),
          resourceAccount: SOURCE,
          resourcePolicy: trustOf(source, id),
        }),
      ).toBe(expected);
    });

    it('requires the external id when one is set', async () => {
      const withId = resolveTemplate(sourceRaw, {
        accountId: SOURCE,
        region: 'us-east-1',
        parameters: { ...sourceParams, ExternalId: 'ext-123' },
      });
      const assume = (context: Record<string, string>) =>
        simulate({
          principal: orchestratorRole('restore'),
          identity: callerMayAssumeAnything,
          action: 'sts:AssumeRole',
          resource: arnOf('RestoreRole'),
          resourceAccount: SOURCE,
          context,
          resourcePolicy: trustOf(withId, 'RestoreRole'),
        });
      expect(await assume({})).toBe('deny');
      expect(await assume({ 'sts:ExternalId': 'ext-123' })).toBe('allow');
    });
  });

  describe('simulated, the roles the pipelines run as (under a bucket policy open to this account: what is denied, their own policy denies)', () => {
    const object = (key: string) => `arn:aws:s3:::${BUCKET}/${key}`;
    const RUN = `${SOURCE}/us-east-1/orders/2026-11-26-03-00-00`;
    it.each(
      titled(
        [
          [
            'PipelineResourceRole',
            'writes a data file of a run',
            's3:PutObject',
            object(`${RUN}/ae10f955-0000_000000`),
            {},
            'allow',
          ],
          [
            'PipelineResourceRole',
            'writes it with the bucket-owner-full-control ACL',
            's3:PutObjectAcl',
            object(`${RUN}/ae10f955-0000_000000`),
            {},
            'allow',
          ],
          [
            'PipelineResourceRole',
            'writes into another account’s prefix',
            's3:PutObject',
            object(`${OTHER_SOURCE}/us-east-1/orders/x`),
            {},
            'deny',
          ],
          ['PipelineResourceRole', 'writes at the bucket’s root', 's3:PutObject', object('x'), {}, 'deny'],
          [
            'PipelineResourceRole',
            'deletes its logs',
            's3:DeleteObject',
            object(`${SOURCE}/logs/us-east-1/orders/df-1/step.log.gz`),
            {},
            'allow',
          ],
          [
            'PipelineResourceRole',
            'deletes a logs folder below a table (no log is written there)',
            's3:DeleteObject',
            object(`${SOURCE}/us-east-1/orders/logs/df-1/step.log.gz`),
            {},
            'deny',
          ],
          [
            'PipelineResourceRole',
            'deletes a folder marker',
            's3:DeleteObject',
            object(`${RUN}_$folder$`),
            {},
            'allow',
          ],
          [
            'PipelineResourceRole',
            'deletes a data file',
            's3:DeleteObject',
            object(`${RUN}/ae10f955-0000_000000`),
            {},
            'deny',
          ],
          ['PipelineResourceRole', 'deletes a manifest', 's3:DeleteObject', object(`${RUN}/manifest`), {}, 'deny'],
          [
            'PipelineResourceRole',
            'deletes a data file of a table named logs',
            's3:DeleteObject',
            object(`${SOURCE}/us-east-1/logs/2026-11-26-03-00-00/ae10f955-0000_000000`),
            {},
            'deny',
          ],
          [
            'PipelineResourceRole',
            'deletes a manifest of a table named logs',
            's3:DeleteObject',
            object(`${SOURCE}/us-east-1/logs/2026-11-26-03-00-00/manifest`),
            {},
            'deny',
          ],
          [
            'PipelineResourceRole',
            'deletes a version',
            's3:DeleteObjectVersion',
            object(`${RUN}/manifest`),
            {},
            'deny',
          ],
          ['PipelineResourceRole', 'shortens a lock', 's3:PutObjectRetention', object(`${RUN}/manifest`), {}, 'deny'],
          [
            'PipelineResourceRole',
            'bypasses governance mode',
            's3:BypassGovernanceRetention',
            object(`${RUN}/manifest`),
            {},
            'deny',
          ],
          [
            'PipelineResourceRole',
            'lifts a legal hold',
            's3:PutObjectLegalHold',
            object(`${RUN}/manifest`),
            {},
            'deny',
          ],
          [
            'PipelineResourceRole',
            'uploads with a customer-provided key (SSE-C)',
            's3:PutObject',
            object(`${RUN}/x`),
            { 's3:x-amz-server-side-encryption-customer-algorithm': 'AES256' },
            'deny',
          ],
          [
            'PipelineResourceRole',
            'lists its own prefix',
            's3:ListBucket',
            `arn:aws:s3:::${BUCKET}`,
            { 's3:prefix': `${RUN}/` },
            'allow',
          ],
          [
            'PipelineResourceRole',
            'lists another account’s prefix',
            's3:ListBucket',
            `arn:aws:s3:::${BUCKET}`,
            { 's3:prefix': `${OTHER_SOURCE}/` },
            'deny',
          ],
          [
            'PipelineResourceRole',
            'changes the bucket policy',
            's3:PutBucketPolicy',
            `arn:aws:s3:::${BUCKET}`,
            {},
            'deny',
          ],
          [
            'RestoreResourceRole',
            'reads a snapshot',
            's3:GetObject',
            object(`${RUN}/ae10f955-0000_000000`),
            {},
            'allow',
          ],
          [
            'RestoreResourceRole',
            'overwrites a snapshot',
            's3:PutObject',
            object(`${RUN}/ae10f955-0000_000000`),
            {},
            'deny',
          ],
          [
            'RestoreResourceRole',
            'writes its logs',
            's3:PutObject',
            object(`${SOURCE}/logs/us-east-1/orders/df-2/step.log.gz`),
            {},
            'allow',
          ],
          [
            'RestoreResourceRole',
            'writes into a table named logs',
            's3:PutObject',
            object(`${SOURCE}/us-east-1/logs/2026-11-26-03-00-00/manifest`),
            {},
            'deny',
          ],
          ['RestoreResourceRole', 'deletes a version', 's3:DeleteObjectVersion', object(`${RUN}/manifest`), {}, 'deny'],
          [
            'PipelineRole',
            'lists a snapshot (the import’s precondition)',
            's3:ListBucket',
            `arn:aws:s3:::${BUCKET}`,
            { 's3:prefix': `${RUN}/` },
            'allow',
          ],
          ['PipelineRole', 'reads a snapshot', 's3:GetObject', object(`${RUN}/manifest`), {}, 'deny'],
          ['PipelineRole', 'writes a data file', 's3:PutObject', object(`${RUN}/x`), {}, 'deny'],
        ] as const,
        ([id, what, , , , expected]) => `the ${id} ${what} → ${expected}`,
      ),
    )('%s', async (_title, [id, , action, resource, context, expected]) => {
      expect(
        await simulate({
          principal: arnOf(id),
          identity: identityPolicies(source, id),
          action,
          resource,
          resourceAccount: BACKUP,
          context: context as Record<string, string>,
          resourcePolicy: bucketOpenTo(SOURCE),
        }),
      ).toBe(expected);
    });

    const managedTable = { 'aws:ResourceTag/ddb-backup:managed-by': 'ddb-backup-orchestrator' };
    it.each(
      titled(
        [
          [
            'PipelineResourceRole',
            'reads a table',
            'dynamodb:Scan',
            `arn:aws:dynamodb:eu-central-1:${SOURCE}:table/orders`,
            {},
            'allow',
          ],
          [
            'PipelineResourceRole',
            'writes a table',
            'dynamodb:BatchWriteItem',
            `arn:aws:dynamodb:eu-central-1:${SOURCE}:table/orders`,
            managedTable,
            'deny',
          ],
          [
            'PipelineResourceRole',
            'deletes a table',
            'dynamodb:DeleteTable',
            `arn:aws:dynamodb:eu-central-1:${SOURCE}:table/orders`,
            {},
            'deny',
          ],
          [
            'PipelineResourceRole',
            'reads the export jar',
            's3:GetObject',
            'arn:aws:s3:::dynamodb-dpl-eu-central-1/emr-ddb-storage-handler/4.11.0/emr-dynamodb-tools-4.11.0-SNAPSHOT-jar-with-dependencies.jar',
            {},
            'allow',
          ],
          [
            'RestoreResourceRole',
            'writes a table the restore created (tagged)',
            'dynamodb:BatchWriteItem',
            `arn:aws:dynamodb:eu-central-1:${SOURCE}:table/orders-restored`,
            managedTable,
            'allow',
          ],
          [
            'RestoreResourceRole',
            'writes an untagged table (such as the source table)',
            'dynamodb:BatchWriteItem',
            `arn:aws:dynamodb:eu-central-1:${SOURCE}:table/orders`,
            {},
            'deny',
          ],
          [
            'RestoreResourceRole',
            'reads a table',
            'dynamodb:Scan',
            `arn:aws:dynamodb:eu-central-1:${SOURCE}:table/orders`,
            managedTable,
            'deny',
          ],
          [
            'PipelineRole',
            'reads a table',
            'dynamodb:Scan',
            `arn:aws:dynamodb:eu-central-1:${SOURCE}:table/orders`,
            {},
            'deny',
          ],
          [
            'PipelineRole',
            'describes a table (sizing the cluster)',
            'dynamodb:DescribeTable',
            `arn:aws:dynamodb:eu-central-1:${SOURCE}:table/orders`,
            {},
            'allow',
          ],
          [
            'PipelineRole',
            'passes an administrator role to EC2',
            'iam:PassRole',
            `arn:aws:iam::${SOURCE}:role/Admin`,
            { 'iam:PassedToService': 'ec2.amazonaws.com' },
            'deny',
          ],
          [
            'PipelineRole',
            'passes the export resource role to EC2',
            'iam:PassRole',
            `arn:aws:iam::${SOURCE}:role/ddb-backup-pipeline-resource`,
            { 'iam:PassedToService': 'ec2.amazonaws.com' },
            'allow',
          ],
        ] as const,
        ([id, what, , , , expected]) => `the ${id} ${what} → ${expected}`,
      ),
    )('%s', async (_title, [id, , action, resource, context, expected]) => {
      expect(
        await simulate({
          principal: arnOf(id),
          identity: identityPolicies(source, id),
          action,
          resource,
          resourceAccount: SOURCE,
          context: context as Record<string, string>,
        }),
      ).toBe(expected);
    });

    it.each([
      [ALARM_TOPIC, 'allow'],
      [`arn:aws:sns:eu-west-1:${ORCHESTRATOR}:some-other-topic`, 'deny'],
      [`arn:aws:sns:eu-west-1:${ORCHESTRATOR}:ddb-backup-orchestrator-prod-eu-alarms`, 'deny'],
    ] as const)('the pipeline role publishes a failure notice to %s → %s', async (topic, expected) => {
      expect(
        await simulate({
          principal: arnOf('PipelineRole'),
          identity: identityPolicies(source, 'PipelineRole'),
          action: 'sns:Publish',
          resource: topic,
          resourceAccount: ORCHESTRATOR,
          resourcePolicy: openTo(SOURCE, [topic]),
        }),
      ).toBe(expected);
    });
  });
});

/** An EventBridge event as CloudTrail delivers an S3 bucket-level call (AWS API Call via CloudTrail). */
function cloudTrailEvent(eventName: string, userIdentity: Record<string, unknown>, bucket = BUCKET) {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.s3',
    account: BACKUP,
    time: '2026-11-26T10:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: {
      eventVersion: '1.09',
      userIdentity,
      eventTime: '2026-11-26T10:00:00Z',
      eventSource: 's3.amazonaws.com',
      eventName,
      awsRegion: 'eu-west-1',
      sourceIPAddress: '203.0.113.7',
      requestParameters: { bucketName: bucket, Host: `${bucket}.s3.eu-west-1.amazonaws.com` },
      responseElements: null,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: BACKUP,
    },
  };
}

/** The names of the events a rule's pattern matches, by moto's implementation of EventBridge pattern matching. */
function matchedBy(pattern: unknown, events: Record<string, unknown>): string[] {
  const script = [
    'import json, sys',
    'from moto.events.models import EventPattern',
    'd = json.load(sys.stdin)',
    "p = EventPattern.load(json.dumps(d['pattern']))",
    "print(json.dumps([p.matches_event(e) for e in d['events']]))",
  ].join('\n');
  const out = execFileSync(process.env.PYTHON ?? 'python3', ['-c', script], {
    input: JSON.stringify({ pattern, events: Object.values(events) }),
    encoding: 'utf8',
  });
  const matches = JSON.parse(out) as boolean[];
  return Object.keys(events).filter((_, i) => matches[i]);
}

describe('Given the source account template for the native engine', () => {
  const GROUP = 'ddb-backup-orchestrator';
  const SCHEDULER_ROLE = `arn:aws:iam::${SOURCE}:role/ddb-backup-export-scheduler`;
  const DLQ = `arn:aws:sqs:us-east-1:${SOURCE}:ddb-backup-export-dlq`;
  const withEngines = (engines: string, region = 'us-east-1') =>
    resolveTemplate(sourceRaw, { accountId: SOURCE, region, parameters: { ...sourceParams, Engines: engines } });
  const allActions = (t: Template) =>
    roleIds(t).flatMap((id) => statementsOf(t, id).flatMap((s) => [...list(s.Action), ...list(s.NotAction)]));
  const table = (name: string, account = SOURCE) => `arn:aws:dynamodb:eu-central-1:${account}:table/${name}`;

  it('with Engines=native holds no Data Pipeline role, instance profile or permission at all', () => {
    const native = withEngines('native');
    expect(Object.keys(native.Resources).sort()).toEqual(
      [
        'OnboardRole',
        'BackfillRole',
        'OffboardRole',
        'HealthCheckRole',
        'RestoreRole',
        'ReportRole',
        'DrillRole',
        'ExportSchedulerRole',
        'ExportScheduleGroup',
        'ExportDeadLetterQueue',
        'ExportDeadLetterQueuePolicy',
        'ForwardTableEventsRole',
        'ForwardTableEventsRule',
      ].sort(),
    );
    expect(
      allActions(native).filter((a) => a.startsWith('datapipeline:') || a.startsWith('elasticmapreduce:')),
    ).toEqual([]);
    expect(JSON.stringify(native.Resources)).not.toMatch(
      /ddb-backup-pipeline|ddb-backup-restore-resource|DataPipeline/,
    );
    // Even asked for, the legacy default roles are Data Pipeline's: not in a native-only account.
    const legacy = resolveTemplate(sourceRaw, {
      accountId: SOURCE,
      region: 'us-east-1',
      parameters: { ...sourceParams, Engines: 'native', CreateDataPipelineRoles: 'true' },
    });
    expect(Object.keys(legacy.Resources)).not.toContain('DataPipelineDefaultRole');
  });

  it('with Engines=datapipeline holds no schedule, export or import permission, and no schedule group, queue, execution role or drill role', () => {
    const dp = withEngines('datapipeline');
    expect(Object.keys(dp.Resources).filter((id) => id.startsWith('Export') || id === 'DrillRole')).toEqual([]);
    expect(
      allActions(dp).filter(
        (a) => a.startsWith('scheduler:') || /Export|Import|UpdateContinuousBackups/.test(a) || a.startsWith('logs:'),
      ),
    ).toEqual([]);
  });

  describe('the export schedules’ execution role', () => {
    const statements = statementsOf(source, 'ExportSchedulerRole');

    it('is trusted by EventBridge Scheduler only, for this account’s schedule group (confused-deputy conditions)', () => {
      expect(trustOf(source, 'ExportSchedulerRole').Statement).toEqual([
        {
          Sid: 'TheProductsSchedulesOnly',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: { 'aws:SourceAccount': SOURCE },
            ArnLike: { 'aws:SourceArn': `arn:aws:scheduler:*:${SOURCE}:schedule-group/${GROUP}` },
          },
        },
      ]);
    });

    it('allows exactly the export, the three S3 actions an export writes with and the dead letter, every ARN scoped to this account (parsed)', () => {
      expect(statements.every((s) => s.Effect === 'Allow' && s.Condition === undefined)).toBe(true);
      const grants = statements.flatMap((s) =>
        list(s.Action).flatMap((action) => list(s.Resource).map((resource) => ({ action, arn: parseArn(resource) }))),
      );
      expect(grants.map((g) => g.action).sort()).toEqual(
        [
          'dynamodb:ExportTableToPointInTime',
          's3:AbortMultipartUpload',
          's3:PutObject',
          's3:PutObjectAcl',
          'sqs:SendMessage',
        ].sort(),
      );
      for (const { action, arn } of grants) {
        const [service] = action.split(':');
        expect(arn.service).toBe(service);
        if (service === 'dynamodb') expect(arn).toMatchObject({ region: '*', account: SOURCE, resource: 'table/*' });
        if (service === 's3') expect(arn).toMatchObject({ region: '', account: '', resource: `${BUCKET}/${SOURCE}/*` });
        if (service === 'sqs')
          expect(arn).toMatchObject({ region: '*', account: SOURCE, resource: 'ddb-backup-export-dlq' });
      }
    });

    it.each(
      titled(
        [
          ['exports a table of this account', 'dynamodb:ExportTableToPointInTime', table('orders'), SOURCE, 'allow'],
          [
            'exports a table of another account',
            'dynamodb:ExportTableToPointInTime',
            table('orders', OTHER_SOURCE),
            OTHER_SOURCE,
            'deny',
          ],
          [
            'writes an export file under this account’s prefix',
            's3:PutObject',
            `arn:aws:s3:::${BUCKET}/${SOURCE}/eu-central-1/orders/AWSDynamoDB/01/data/a.json.gz`,
            BACKUP,
            'allow',
          ],
          [
            'writes under another account’s prefix',
            's3:PutObject',
            `arn:aws:s3:::${BUCKET}/${OTHER_SOURCE}/eu-central-1/orders/x`,
            BACKUP,
            'deny',
          ],
          [
            'reads an export',
            's3:GetObject',
            `arn:aws:s3:::${BUCKET}/${SOURCE}/eu-central-1/orders/AWSDynamoDB/01/manifest-summary.json`,
            BACKUP,
            'deny',
          ],
          [
            'deletes an export',
            's3:DeleteObject',
            `arn:aws:s3:::${BUCKET}/${SOURCE}/eu-central-1/orders/AWSDynamoDB/01/manifest-summary.json`,
            BACKUP,
            'deny',
          ],
          ['lists the bucket', 's3:ListBucket', `arn:aws:s3:::${BUCKET}`, BACKUP, 'deny'],
          ['sends a dead letter', 'sqs:SendMessage', DLQ, SOURCE, 'allow'],
          [
            'sends to another queue',
            'sqs:SendMessage',
            `arn:aws:sqs:us-east-1:${SOURCE}:orders-events`,
            SOURCE,
            'deny',
          ],
          ['reads a table', 'dynamodb:Scan', table('orders'), SOURCE, 'deny'],
          ['restores a table', 'dynamodb:ImportTable', table('orders-restored'), SOURCE, 'deny'],
        ] as const,
        ([what, , , , expected]) => `simulated: the execution role ${what} → ${expected}`,
      ),
    )('%s', async (_title, [, action, resource, resourceAccount, expected]) => {
      expect(
        await simulate({
          principal: SCHEDULER_ROLE,
          identity: identityPolicies(source, 'ExportSchedulerRole'),
          action,
          resource,
          resourceAccount,
          resourcePolicy: resourceAccount === BACKUP ? bucketOpenTo(SOURCE) : undefined,
        }),
      ).toBe(expected);
    });
  });

  it('keeps a dead-letter queue per region, encrypted, to which only the execution role may send', async () => {
    expect(props(source, 'ExportDeadLetterQueue')).toMatchObject({
      QueueName: 'ddb-backup-export-dlq',
      SqsManagedSseEnabled: true,
    });
    const policy = props(source, 'ExportDeadLetterQueuePolicy');
    expect(policy.Queues).toEqual([`https://sqs.us-east-1.amazonaws.com/${SOURCE}/ddb-backup-export-dlq`]);
    const sendAs = (principal: string) =>
      simulate({
        principal,
        identity: [
          {
            name: 'admin',
            policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] },
          },
        ],
        action: 'sqs:SendMessage',
        resource: DLQ,
        resourceAccount: SOURCE,
        resourcePolicy: policy.PolicyDocument,
      });
    expect(await sendAs(SCHEDULER_ROLE)).toBe('allow');
    expect(await sendAs(`arn:aws:iam::${SOURCE}:role/Admin`)).toBe('deny');
    expect(props(source, 'ExportScheduleGroup')).toEqual({ Name: GROUP });
  });

  describe('simulated, what the function roles may do with schedules, exports and imports', () => {
    const schedule = (group: string, name = 'orders-5f3a') =>
      `arn:aws:scheduler:eu-central-1:${SOURCE}:schedule/${group}/${name}`;
    const FUNCTION_ROLES = {
      onboard: 'OnboardRole',
      backfill: 'BackfillRole',
      offboard: 'OffboardRole',
      healthCheck: 'HealthCheckRole',
      restore: 'RestoreRole',
    } as const;
    const toScheduler = { 'iam:PassedToService': 'scheduler.amazonaws.com' };
    it.each(
      titled(
        [
          [
            'onboard',
            'creates a schedule in the product’s group',
            'scheduler:CreateSchedule',
            schedule(GROUP),
            {},
            'allow',
          ],
          [
            'onboard',
            'creates a schedule in another group',
            'scheduler:CreateSchedule',
            schedule('default'),
            {},
            'deny',
          ],
          [
            'onboard',
            'updates a schedule in the product’s group',
            'scheduler:UpdateSchedule',
            schedule(GROUP),
            {},
            'allow',
          ],
          ['onboard', 'deletes a schedule', 'scheduler:DeleteSchedule', schedule(GROUP), {}, 'deny'],
          ['onboard', 'passes the execution role to Scheduler', 'iam:PassRole', SCHEDULER_ROLE, toScheduler, 'allow'],
          [
            'onboard',
            'passes the execution role to Lambda',
            'iam:PassRole',
            SCHEDULER_ROLE,
            { 'iam:PassedToService': 'lambda.amazonaws.com' },
            'deny',
          ],
          [
            'onboard',
            'passes an administrator role to Scheduler',
            'iam:PassRole',
            `arn:aws:iam::${SOURCE}:role/Admin`,
            toScheduler,
            'deny',
          ],
          [
            'onboard',
            'turns point-in-time recovery on',
            'dynamodb:UpdateContinuousBackups',
            table('orders'),
            {},
            'allow',
          ],
          [
            'onboard',
            'turns point-in-time recovery on in another account',
            'dynamodb:UpdateContinuousBackups',
            table('orders', OTHER_SOURCE),
            {},
            'deny',
          ],
          ['onboard', 'exports a table itself', 'dynamodb:ExportTableToPointInTime', table('orders'), {}, 'deny'],
          [
            'backfill',
            'creates a schedule in the product’s group',
            'scheduler:CreateSchedule',
            schedule(GROUP),
            {},
            'allow',
          ],
          [
            'backfill',
            'reads point-in-time recovery',
            'dynamodb:DescribeContinuousBackups',
            table('orders'),
            {},
            'allow',
          ],
          [
            'offboard',
            'deletes a schedule in the product’s group',
            'scheduler:DeleteSchedule',
            schedule(GROUP),
            {},
            'allow',
          ],
          ['offboard', 'deletes a schedule in another group', 'scheduler:DeleteSchedule', schedule('etl'), {}, 'deny'],
          [
            'offboard',
            'turns point-in-time recovery off',
            'dynamodb:UpdateContinuousBackups',
            table('orders'),
            {},
            'deny',
          ],
          ['healthCheck', 'lists schedules', 'scheduler:ListSchedules', '*', {}, 'allow'],
          ['healthCheck', 'reads a schedule of the group', 'scheduler:GetSchedule', schedule(GROUP), {}, 'allow'],
          ['healthCheck', 'deletes a schedule', 'scheduler:DeleteSchedule', schedule(GROUP), {}, 'deny'],
          ['healthCheck', 'lists a table’s exports', 'dynamodb:ListExports', table('orders'), {}, 'allow'],
          [
            'healthCheck',
            'describes an export',
            'dynamodb:DescribeExport',
            `${table('orders')}/export/01700000000000-abcdef12`,
            {},
            'allow',
          ],
          ['healthCheck', 'starts an export', 'dynamodb:ExportTableToPointInTime', table('orders'), {}, 'deny'],
          ['restore', 'imports into a new table', 'dynamodb:ImportTable', table('orders-restored'), {}, 'allow'],
          [
            'restore',
            'describes the import',
            'dynamodb:DescribeImport',
            `${table('orders-restored')}/import/01700000000000-abcdef12`,
            {},
            'allow',
          ],
          ['restore', 'writes an item', 'dynamodb:PutItem', table('orders'), {}, 'deny'],
          ['restore', 'deletes a table', 'dynamodb:DeleteTable', table('orders'), {}, 'deny'],
          [
            'restore',
            'creates the import’s log group',
            'logs:CreateLogGroup',
            `arn:aws:logs:eu-central-1:${SOURCE}:log-group:/aws-dynamodb/imports`,
            {},
            'allow',
          ],
          [
            'restore',
            'creates another log group',
            'logs:CreateLogGroup',
            `arn:aws:logs:eu-central-1:${SOURCE}:log-group:/aws/lambda/x`,
            {},
            'deny',
          ],
        ] as const,
        ([fn, what, , , , expected]) => `${fn} ${what} → ${expected}`,
      ),
    )('%s', async (_title, [fn, , action, resource, context, expected]) => {
      const id = FUNCTION_ROLES[fn];
      expect(
        await simulate({
          principal: roleArn(source, id, SOURCE),
          identity: identityPolicies(source, id),
          action,
          resource,
          resourceAccount: SOURCE,
          context: context as Record<string, string>,
        }),
      ).toBe(expected);
    });
  });
});

describe('Given the source account template’s roles for the report and the restore drill', () => {
  const table = (name: string, account = SOURCE) => `arn:aws:dynamodb:eu-central-1:${account}:table/${name}`;
  const arnOf = (id: string) => roleArn(source, id, SOURCE);

  it('gives the report only reads (List, Describe, Get), and the drill no write outside tables named ddb-backup-drill-*', () => {
    const allowed = (id: string) =>
      statementsOf(source, id)
        .filter((st) => st.Effect === 'Allow')
        .flatMap((st) => list(st.Action).map((action) => ({ action, resources: list(st.Resource) })));
    expect(allowed('ReportRole').filter(({ action }) => !/^[a-z]+:(List|Describe|Get)/.test(action))).toEqual([]);
    const drillTables = `arn:aws:dynamodb:*:${SOURCE}:table/ddb-backup-drill-*`;
    for (const { action, resources } of allowed('DrillRole').filter(({ action }) => action.startsWith('dynamodb:')))
      if (!/^dynamodb:(List|Describe)/.test(action) || action === 'dynamodb:DescribeTable')
        expect({ action, resources }).toEqual({ action, resources: [drillTables] });
  });

  it.each(
    titled(
      [
        ['report', 'lists the account’s tables', 'dynamodb:ListTables', '*', 'allow'],
        ['report', 'reads a table’s recovery settings', 'dynamodb:DescribeContinuousBackups', table('orders'), 'allow'],
        ['report', 'turns point-in-time recovery off', 'dynamodb:UpdateContinuousBackups', table('orders'), 'deny'],
        ['report', 'reads a table’s items', 'dynamodb:Scan', table('orders'), 'deny'],
        [
          'report',
          'reads the forwarding rule',
          'events:DescribeRule',
          `arn:aws:events:eu-central-1:${SOURCE}:rule/ddb-backup-forward-table-events`,
          'allow',
        ],
        [
          'report',
          'reads another rule',
          'events:DescribeRule',
          `arn:aws:events:eu-central-1:${SOURCE}:rule/payments`,
          'deny',
        ],
        [
          'report',
          'disables the forwarding rule',
          'events:DisableRule',
          `arn:aws:events:eu-central-1:${SOURCE}:rule/ddb-backup-forward-table-events`,
          'deny',
        ],
        [
          'report',
          'reads a schedule of the group',
          'scheduler:GetSchedule',
          `arn:aws:scheduler:eu-central-1:${SOURCE}:schedule/ddb-backup-orchestrator/orders`,
          'allow',
        ],
        [
          'report',
          'deletes a schedule',
          'scheduler:DeleteSchedule',
          `arn:aws:scheduler:eu-central-1:${SOURCE}:schedule/ddb-backup-orchestrator/orders`,
          'deny',
        ],
        [
          'report',
          'describes an export',
          'dynamodb:DescribeExport',
          `${table('orders')}/export/01700000000000-abcdef12`,
          'allow',
        ],
        [
          'drill',
          'imports into a scratch table',
          'dynamodb:ImportTable',
          table('ddb-backup-drill-orders-20261127'),
          'allow',
        ],
        ['drill', 'scans a scratch table', 'dynamodb:Scan', table('ddb-backup-drill-orders-20261127'), 'allow'],
        [
          'drill',
          'deletes a scratch table',
          'dynamodb:DeleteTable',
          table('ddb-backup-drill-orders-20261127'),
          'allow',
        ],
        ['drill', 'tags a scratch table', 'dynamodb:TagResource', table('ddb-backup-drill-orders-20261127'), 'allow'],
        ['drill', 'deletes the source table', 'dynamodb:DeleteTable', table('orders'), 'deny'],
        [
          'drill',
          'deletes a table named ddb-backup-drill (no suffix)',
          'dynamodb:DeleteTable',
          table('ddb-backup-drill'),
          'deny',
        ],
        [
          'drill',
          'deletes a table named like a drill’s with a prefix',
          'dynamodb:DeleteTable',
          table('x-ddb-backup-drill-1'),
          'deny',
        ],
        [
          'drill',
          'deletes a scratch table of another account',
          'dynamodb:DeleteTable',
          table('ddb-backup-drill-1', OTHER_SOURCE),
          'deny',
        ],
        ['drill', 'imports into another table', 'dynamodb:ImportTable', table('orders-restored'), 'deny'],
        ['drill', 'writes an item to the source table', 'dynamodb:PutItem', table('orders'), 'deny'],
        [
          'drill',
          'writes an item to a scratch table',
          'dynamodb:PutItem',
          table('ddb-backup-drill-orders-20261127'),
          'deny',
        ],
        ['drill', 'deletes an item of the source table', 'dynamodb:DeleteItem', table('orders'), 'deny'],
        ['drill', 'batch-writes the source table', 'dynamodb:BatchWriteItem', table('orders'), 'deny'],
        ['drill', 'updates the source table', 'dynamodb:UpdateTable', table('orders'), 'deny'],
        ['drill', 'tags the source table', 'dynamodb:TagResource', table('orders'), 'deny'],
        ['drill', 'reads the source table', 'dynamodb:Scan', table('orders'), 'deny'],
        ['drill', 'turns point-in-time recovery off', 'dynamodb:UpdateContinuousBackups', table('orders'), 'deny'],
        [
          'drill',
          'describes an export',
          'dynamodb:DescribeExport',
          `${table('orders')}/export/01700000000000-abcdef12`,
          'allow',
        ],
      ] as const,
      ([fn, what, , , expected]) => `simulated: the ${fn} role ${what} → ${expected}`,
    ),
  )('%s', async (_title, [fn, , action, resource, expected]) => {
    const id = fn === 'report' ? 'ReportRole' : 'DrillRole';
    expect(
      await simulate({
        principal: arnOf(id),
        identity: identityPolicies(source, id),
        action,
        resource,
        resourceAccount: SOURCE,
      }),
    ).toBe(expected);
  });

  it.each(
    titled(
      [
        [
          'reads an export of this account',
          's3:GetObject',
          `${SOURCE}/eu-central-1/orders/AWSDynamoDB/01/data/a.json.gz`,
          {},
          'allow',
        ],
        [
          'reads an export of another account',
          's3:GetObject',
          `${OTHER_SOURCE}/eu-central-1/orders/AWSDynamoDB/01/data/a.json.gz`,
          {},
          'deny',
        ],
        [
          'lists this account’s prefix',
          's3:ListBucket',
          '',
          { 's3:prefix': `${SOURCE}/eu-central-1/orders/` },
          'allow',
        ],
        ['lists the whole bucket', 's3:ListBucket', '', { 's3:prefix': '' }, 'deny'],
        [
          'overwrites an export',
          's3:PutObject',
          `${SOURCE}/eu-central-1/orders/AWSDynamoDB/01/manifest-summary.json`,
          {},
          'deny',
        ],
        [
          'deletes an export',
          's3:DeleteObject',
          `${SOURCE}/eu-central-1/orders/AWSDynamoDB/01/manifest-summary.json`,
          {},
          'deny',
        ],
      ] as const,
      ([what, , , , expected]) => `simulated: the drill role, in a bucket open to this account, ${what} → ${expected}`,
    ),
  )('%s', async (_title, [, action, key, context, expected]) => {
    expect(
      await simulate({
        principal: arnOf('DrillRole'),
        identity: identityPolicies(source, 'DrillRole'),
        action,
        resource: key === '' ? `arn:aws:s3:::${BUCKET}` : `arn:aws:s3:::${BUCKET}/${key}`,
        resourceAccount: BACKUP,
        context: context as Record<string, string>,
        resourcePolicy: bucketOpenTo(SOURCE),
      }),
    ).toBe(expected);
  });
});

describe('Given the source account template deployed as a service-managed StackSet (IamRegion)', () => {
  const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'] as const;
  const instance = (region: string, extra: Record<string, string> = {}) =>
    resolveTemplate(sourceRaw, {
      accountId: SOURCE,
      region,
      parameters: { ...sourceParams, IamRegion: 'us-east-1', ...extra },
    });
  const REGIONAL = [
    'ExportDeadLetterQueue',
    'ExportDeadLetterQueuePolicy',
    'ExportScheduleGroup',
    'ForwardTableEventsRole',
    'ForwardTableEventsRule',
  ];

  it('creates the roles, the forwarding and the native engine’s group and queue in the IAM region', () => {
    const home = instance('us-east-1');
    expect(Object.keys(home.Resources).sort()).toEqual(Object.keys(source.Resources).sort());
    expect(Object.keys(home.Resources)).toEqual(
      expect.arrayContaining([...REGIONAL, 'OnboardRole', 'ExportSchedulerRole']),
    );
  });

  it.each(REGIONS.filter((r) => r !== 'us-east-1').map((r) => [r]))(
    'creates in %s only the forwarding rule and its role, the schedule group and the dead-letter queue',
    (region) => {
      expect(Object.keys(instance(region).Resources).sort()).toEqual(REGIONAL);
    },
  );

  it('names no resource twice across the regions of one account: named IAM resources exist in one region, the rest are regional', () => {
    const seen = new Map<string, string[]>();
    for (const region of REGIONS) {
      for (const [id, r] of Object.entries(instance(region).Resources)) {
        const p = r.Properties as Record<string, unknown>;
        const name = p.RoleName ?? p.InstanceProfileName ?? p.QueueName ?? p.Name;
        if (name === undefined) continue; // CloudFormation generates a unique name
        const scope = r.Type.startsWith('AWS::IAM::') ? 'global' : region;
        const key = `${scope}/${r.Type}/${String(name)}`;
        seen.set(key, [...(seen.get(key) ?? []), `${region}:${id}`]);
      }
    }
    expect([...seen.entries()].filter(([, where]) => where.length > 1)).toEqual([]);
    expect([...seen.keys()].filter((k) => k.startsWith('global/')).length).toBeGreaterThan(8);
  });

  it('keeps Engines=native free of Data Pipeline in every region', () => {
    for (const region of REGIONS) {
      const types = Object.entries(instance(region, { Engines: 'native' }).Resources);
      expect(types.map(([id]) => id).filter((id) => /Pipeline|RestoreResource/.test(id))).toEqual([]);
    }
  });
});

/** An ARN's parts: arn:partition:service:region:account:resource. */
function parseArn(arn: string): {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
} {
  const [prefix, partition, service, region, account, ...resource] = arn.split(':');
  if (
    prefix !== 'arn' ||
    partition === undefined ||
    service === undefined ||
    region === undefined ||
    account === undefined
  )
    throw new Error(`not an ARN: ${arn}`);
  return { partition, service, region, account, resource: resource.join(':') };
}
