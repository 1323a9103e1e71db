import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseConfig } from '../../lib/config';
import { METRICS_NAMESPACE, MetricName, SERVICE_NAME } from '../../lib/observability';
import { loadTemplate, resolveTemplate, type Template } from '../support/cfn';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const ACCOUNT_TEMPLATES = ['templates/source-account.yml', 'templates/backup-account.yml'];

/** cfn-lint's exit code is a bit field: 1 fatal, 2 error, 4 warning, 8 informational. */
async function cfnLint(file: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run('cfn-lint', [file], { cwd: root });
    return { code: 0, output: stdout };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number')
      throw new Error(`cfn-lint could not run (${String(err.code)}): install it with pip install cfn-lint`);
    return { code: err.code, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every identity-policy statement of every role and policy in a template. */
function iamStatements(t: Template): Array<{ resource: string; statement: Statement }> {
  return Object.entries(t.Resources).flatMap(([name, r]) => {
    const docs =
      r.Type === 'AWS::IAM::Role'
        ? list(r.Properties?.Policies as Array<Record<string, unknown>>)
            // A policy under Fn::If (the source template's per-engine policies): both branches, minus AWS::NoValue.
            .flatMap((p) => ('Fn::If' in p ? (p['Fn::If'] as unknown[]).slice(1) : [p]))
            .filter(
              (p): p is { PolicyDocument: { Statement: Statement[] } } =>
                typeof p === 'object' && p !== null && 'PolicyDocument' in p,
            )
            .map((p) => p.PolicyDocument)
        : r.Type === 'AWS::IAM::Policy'
          ? [r.Properties?.PolicyDocument as { Statement: Statement[] }]
          : [];
    // A statement under Fn::If (the report role's backfill invocation): its statement branch, minus AWS::NoValue.
    const unwrap = (st: Statement | { 'Fn::If': unknown[] }): Statement[] =>
      'Fn::If' in st
        ? (st['Fn::If'].slice(1) as Array<Statement | { Ref: string }>).filter((b): b is Statement => 'Effect' in b)
        : [st];
    return docs.flatMap((d) =>
      list(d.Statement)
        .flatMap(unwrap)
        .map((statement) => ({ resource: name, statement })),
    );
  });
}

/** Fn::Split / Fn::Join / Fn::Select over literal values worked out as CloudFormation would; every other intrinsic left as it is. */
function literal(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(literal);
  if (node === null || typeof node !== 'object') return node;
  const entries = Object.entries(node as Record<string, unknown>);
  const resolved = Object.fromEntries(entries.map(([k, v]) => [k, literal(v)]));
  const [key, arg] = (entries.length === 1 ? [entries[0]![0], resolved[entries[0]![0]]] : []) as [string?, unknown?];
  const args = arg as unknown[];
  if (key === 'Fn::Split' && typeof args[1] === 'string') return args[1].split(args[0] as string);
  if (key === 'Fn::Join' && Array.isArray(args[1]) && args[1].every((v) => typeof v === 'string'))
    return args[1].join(args[0] as string);
  if (key === 'Fn::Select' && Array.isArray(args[1]) && typeof args[1][Number(args[0])] === 'string')
    return args[1][Number(args[0])];
  return resolved;
}

/** The README's own-moto recipe, as a shell that followed it would still have it exported. */
const README_SANDBOX_SHELL = {
  AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  BACKUP_BUCKET: 'corp-ddb-backups',
  BACKUP_ROLE_ARN: 'arn:aws:iam::999999999999:role/ddb-backup-policy-writer',
  SOURCE_ROLE_NAME: 'ddb-backup-orchestrator',
  SOURCE_ACCOUNTS: '111111111111,222222222222',
  REGISTRY_TABLE: 'ddb-backup-registry',
};

const packageStack = (dir: string, env: NodeJS.ProcessEnv = process.env) =>
  run('npx', ['sls', 'package', '--stage', 'example', '--package', dir], { cwd: root, env, timeout: 120_000 });
const readTemplate = (dir: string) => readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8');
/** A template, but for the one thing that differs between two packagings: the artifact folder, named after the time. */
const withoutPackagingTime = (template: string): unknown =>
  JSON.parse(template.replace(/\/\d{13}-[\dTZ:.-]+\//g, '/<packaged at>/'));

describe('Given the orchestrator stack packaged for the example stage', () => {
  const out = mkdtempSync(join(tmpdir(), 'sls-package-'));
  const outFromSandboxShell = mkdtempSync(join(tmpdir(), 'sls-package-shell-'));
  let template: Template;
  let functionSettings: string[];

  beforeAll(async () => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in README_SANDBOX_SHELL)));
    await packageStack(out, clean);
    template = JSON.parse(readTemplate(out));
    // Every setting a function is given, exported in the shell with a value of its own, over the README's.
    functionSettings = Object.keys(
      (Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function')!.Properties as any).Environment
        .Variables,
    );
    const shell = {
      ...Object.fromEntries(functionSettings.map((k) => [k, `from-the-shell-${k}`])),
      ...README_SANDBOX_SHELL,
    };
    await packageStack(outFromSandboxShell, { ...clean, ...shell });
  }, 240_000);
  afterAll(() => {
    for (const dir of [out, outFromSandboxShell]) rmSync(dir, { recursive: true, force: true });
  });

  const resources = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

  it('passes cfn-lint with no errors', async () => {
    const { code, output } = await cfnLint(join(out, 'cloudformation-template-update-stack.json'));
    expect({ errors: code & 3, output: code & 3 ? output : '' }).toEqual({ errors: 0, output: '' });
  }, 60_000);

  it('renders the same template when the README’s sandbox settings are exported in the shell: a deploy takes the stage’s settings only', () => {
    expect(functionSettings).toEqual(
      expect.arrayContaining(Object.keys(README_SANDBOX_SHELL).filter((k) => !k.startsWith('AWS_'))),
    );
    expect(withoutPackagingTime(readTemplate(outFromSandboxShell))).toEqual(withoutPackagingTime(readTemplate(out)));
  });

  it('gives every function the registry table and bucket the example stage names', () => {
    const registry = template.Resources.RegistryTable?.Properties?.TableName;
    expect(registry).toBe('ddb-backup-orchestrator-example-registry');
    for (const [, fn] of resources('AWS::Lambda::Function')) {
      expect((fn.Properties as any).Environment.Variables).toMatchObject({
        REGISTRY_TABLE: registry,
        BACKUP_BUCKET: 'example-corp-ddb-backups',
      });
    }
  });

  it('renders the alarms exactly as the snapshot recorded from the hand-written ones', () => {
    expect(Object.fromEntries(resources('AWS::CloudWatch::Alarm'))).toMatchSnapshot();
  });

  describe('When the packaged onboard bundle fails', () => {
    let bundle: string;
    beforeAll(async () => {
      await run('python3', ['-m', 'zipfile', '-e', join(out, 'ddb-backup-orchestrator.zip'), join(out, 'code')]);
      bundle = join(out, 'code', 'functions', 'onboard.js');
    });

    /** A fresh node loads the bundle with these settings (and a dead local endpoint), hands it `event`, and reports the error's name. */
    async function errorOf(
      settings: Record<string, string>,
      event: unknown,
    ): Promise<{ name: string; constructor: string; message: string }> {
      const script =
        `const report=(e)=>console.log(JSON.stringify({name:e.name,constructor:e.constructor.name,message:e.message}));` +
        `let h;try{h=require(${JSON.stringify(bundle)}).handler}catch(e){report(e);process.exit(0)}` +
        `h(${JSON.stringify(event)},{functionName:'onboard',awsRequestId:'r',invokedFunctionArn:'arn:aws:lambda:us-east-1:123456789012:function:onboard',getRemainingTimeInMillis:()=>60000}).then(()=>console.log('{}'),report)`;
      const env = {
        PATH: process.env.PATH,
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
        ...settings,
      };
      const { stdout } = await run(process.execPath, ['-e', script], { env, timeout: 30_000 });
      return JSON.parse(stdout.trim().split('\n').pop() as string);
    }
    const stageSettings = () =>
      (resources('AWS::Lambda::Function')[0]![1].Properties as any).Environment.Variables as Record<string, string>;

    it('names a missing setting’s error ConfigError, as the code names it', async () => {
      const { BACKUP_BUCKET: _, ...settings } = stageSettings();
      expect(await errorOf(settings, {})).toMatchObject({
        name: 'ConfigError',
        constructor: 'ConfigError',
        message: expect.stringContaining('BACKUP_BUCKET'),
      });
    });

    it('names a malformed event’s error InvalidEventError, as the code names it', async () => {
      expect(await errorOf(stageSettings(), { 'detail-type': 'not a CloudTrail event' })).toMatchObject({
        name: 'InvalidEventError',
        constructor: 'InvalidEventError',
      });
    });
  });

  it.each([
    [['CreateTable', 'ImportTable', 'RestoreTableToPointInTime', 'RestoreTableFromBackup'], 'OnboardLambdaFunction'],
    [['DeleteTable'], 'OffboardLambdaFunction'],
  ])('routes %j API calls from the central bus to %s, with retries and a dead-letter queue', (eventNames, target) => {
    const rules = resources('AWS::Events::Rule').map(([, r]) => r.Properties as Record<string, any>);
    const rule = rules.find((r) => JSON.stringify(r.Targets).includes(`"${target}"`));
    expect(rule?.EventPattern).toEqual({
      source: ['aws.dynamodb'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['dynamodb.amazonaws.com'], eventName: eventNames },
    });
    expect(rule?.EventBusName).toEqual({ 'Fn::GetAtt': ['CentralEventBus', 'Name'] });
    expect(rule?.Targets[0]).toMatchObject({
      RetryPolicy: { MaximumRetryAttempts: 20 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['EventDeadLetterQueue', 'Arn'] } },
    });
  });

  it('runs the health check on a schedule', () => {
    const rules = resources('AWS::Events::Rule').map(([, r]) => r.Properties as Record<string, any>);
    expect(rules.find((r) => JSON.stringify(r.Targets).includes('HealthCheckLambdaFunction'))?.ScheduleExpression).toBe(
      'rate(1 hour)',
    );
  });

  it('runs every function on nodejs24.x, arm64, with an environment the config accepts', () => {
    const fns = resources('AWS::Lambda::Function');
    expect(fns.length).toBeGreaterThan(0);
    for (const [, fn] of fns) {
      const p = fn.Properties as Record<string, any>;
      expect(p.Runtime).toBe('nodejs24.x');
      expect(p.Architectures).toEqual(['arm64']);
      expect(() => parseConfig(p.Environment.Variables)).not.toThrow();
    }
  });

  it('alarms on metric names the code emits, in its namespace and with its dimensions, all to the topic', () => {
    const alarms = resources('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties as Record<string, any>);
    const own = alarms.filter((a) => a.Namespace === METRICS_NAMESPACE);
    expect(own.map((a) => a.MetricName)).toEqual(
      expect.arrayContaining([
        MetricName.ActivationFailed,
        MetricName.PipelinesInError,
        MetricName.PipelinesNotScheduled,
        MetricName.PipelinesVanished,
      ]),
    );
    for (const a of own) {
      expect(Object.values(MetricName)).toContain(a.MetricName);
      expect(a.Dimensions).toEqual([{ Name: 'service', Value: SERVICE_NAME }]);
    }
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
    const fnErrors = alarms
      .filter((a) => a.Namespace === 'AWS/Lambda' && a.MetricName === 'Errors')
      .map((a) => a.Dimensions[0].Value.Ref);
    expect(fnErrors.sort()).toEqual(
      resources('AWS::Lambda::Function')
        .map(([name]) => name)
        .sort(),
    );
    const dlqAlarms = alarms
      .filter((a) => a.Namespace === 'AWS/SQS')
      .map((a) => a.Dimensions[0].Value['Fn::GetAtt'][0]);
    expect(dlqAlarms.sort()).toEqual(
      resources('AWS::SQS::Queue')
        .map(([name]) => name)
        .sort(),
    );
  });

  it('grants no IAM statement a wildcard action, and scopes sts:AssumeRole to the configured roles', () => {
    const statements = iamStatements(template);
    expect(statements.length).toBeGreaterThan(0);
    for (const { statement } of statements) {
      for (const action of list(statement.Action)) expect(action).not.toMatch(/(^\*$|:\*$)/);
      expect(statement.Resource).not.toBe('*');
    }
    const assume = statements.filter(({ statement }) => list(statement.Action).includes('sts:AssumeRole'));
    expect(assume.length).toBeGreaterThan(0);
    for (const { statement } of assume) expect(JSON.stringify(statement.Resource)).not.toContain('*');
    const sourceRoles = assume.find(({ statement }) => statement.Sid === 'AssumeOwnSourceRoles')?.statement.Resource;
    expect(JSON.stringify(sourceRoles)).toContain(':role/ddb-backup-orchestrator');
  });

  describe('the roles each function assumes', () => {
    const ORCHESTRATOR = '123456789012';
    const ACCOUNTS = ['111111111111', '222222222222'];
    const FUNCTION_ROLES = {
      onboard: 'OnboardRole',
      offboard: 'OffboardRole',
      backfill: 'BackfillRole',
      restore: 'RestoreRole',
      healthCheck: 'HealthCheckRole',
    } as const;
    const assumed = (roleId: string) =>
      list(
        (template.Resources[roleId]!.Properties as any).Policies as Array<{
          PolicyDocument: { Statement: Statement[] };
        }>,
      )
        .flatMap((p) => p.PolicyDocument.Statement)
        .filter((st) => list(st.Action).includes('sts:AssumeRole'))
        .flatMap((st) => list(literal(st.Resource) as string | string[]))
        .sort();
    const source = resolveTemplate(loadTemplate(join(root, 'templates/source-account.yml')), {
      accountId: '111111111111',
      region: 'us-east-1',
      parameters: {
        OrchestratorAccountId: ORCHESTRATOR,
        OrchestratorStage: 'example',
        CentralEventBusArn: `arn:aws:events:us-east-1:${ORCHESTRATOR}:event-bus/b`,
        BackupBucketName: 'example-corp-ddb-backups',
      },
    });
    const backup = resolveTemplate(loadTemplate(join(root, 'templates/backup-account.yml')), {
      accountId: '999999999999',
      region: 'us-east-1',
      parameters: {
        BucketName: 'example-corp-ddb-backups',
        OrchestratorAccountId: ORCHESTRATOR,
        OrchestratorStage: 'example',
      },
    });
    const sourceRole = (fn: string) =>
      Object.values(source.Resources).find(
        (r) => r.Type === 'AWS::IAM::Role' && r.Properties?.RoleName === `ddb-backup-orchestrator-${fn}`,
      );
    const env = () =>
      (resources('AWS::Lambda::Function')[0]![1].Properties as any).Environment.Variables as Record<string, string>;

    it.each(Object.entries(FUNCTION_ROLES))(
      'lets %s assume in the source accounts exactly its own role, in each of them',
      (fn, roleId) => {
        const own = ACCOUNTS.map((a) => `arn:aws:iam::${a}:role/ddb-backup-orchestrator-${fn}`);
        const backupRoles = {
          onboard: [env().BACKUP_ROLE_ARN],
          backfill: [env().BACKUP_ROLE_ARN],
          healthCheck: [env().BACKUP_ROLE_ARN],
          restore: [env().SNAPSHOT_READER_ROLE_ARN],
          report: [env().SNAPSHOT_READER_ROLE_ARN],
        } as Record<string, string[]>;
        expect(assumed(roleId)).toEqual([...own, ...(backupRoles[fn] ?? [])].sort());
      },
    );

    it.each(Object.entries(FUNCTION_ROLES))(
      'names for %s the role the source account template creates for it, trusting exactly this function’s role',
      (fn, roleId) => {
        const name = (template.Resources[roleId]!.Properties as any).RoleName as string;
        expect(name).toBe(`ddb-backup-orchestrator-example-${fn}`);
        const role = sourceRole(fn)?.Properties as any;
        expect(role).toBeDefined();
        expect(assumed(roleId)).toContain(`arn:aws:iam::111111111111:role/${role.RoleName}`);
        const trust = role.AssumeRolePolicyDocument.Statement[0];
        expect(trust.Condition.ArnEquals['aws:PrincipalArn']).toBe(`arn:aws:iam::${ORCHESTRATOR}:role/${name}`);
      },
    );

    it('lists snapshots through the role the backup account template creates for restore and report alone, and never gives restore or offboard the policy writer', () => {
      const reader = backup.Resources.SnapshotReaderRole?.Properties as any;
      expect(env().SNAPSHOT_READER_ROLE_ARN).toBe(`arn:aws:iam::999999999999:role/${reader.RoleName}`);
      expect(reader.AssumeRolePolicyDocument.Statement[0].Condition.ArnEquals['aws:PrincipalArn']).toEqual([
        `arn:aws:iam::${ORCHESTRATOR}:role/ddb-backup-orchestrator-example-restore`,
        `arn:aws:iam::${ORCHESTRATOR}:role/ddb-backup-orchestrator-example-report`,
      ]);
      for (const roleId of ['RestoreRole', 'OffboardRole'])
        expect(assumed(roleId)).not.toContain(env().BACKUP_ROLE_ARN);
    });

    it('runs the pipelines as the roles the source account template creates, and grants no registry DeleteItem', () => {
      expect([env().PIPELINE_ROLE, env().PIPELINE_RESOURCE_ROLE, env().RESTORE_RESOURCE_ROLE]).toEqual([
        source.Resources.PipelineRole?.Properties?.RoleName,
        source.Resources.PipelineResourceInstanceProfile?.Properties?.InstanceProfileName,
        source.Resources.RestoreResourceInstanceProfile?.Properties?.InstanceProfileName,
      ]);
      expect(JSON.stringify(iamStatements(template))).not.toContain('dynamodb:DeleteItem');
    });
  });

  it('lets the report function invoke backfill only when AUTO_REPAIR_COVERAGE is true (else its role starts no write anywhere)', () => {
    const policies = template.Resources.ReportRole?.Properties?.Policies as Array<{
      PolicyDocument: { Statement: unknown[] };
    }>;
    const invoke = policies
      .flatMap((p) => p.PolicyDocument.Statement)
      .find((st) => JSON.stringify(st).includes('lambda:InvokeFunction')) as { 'Fn::If'?: unknown[] } | undefined;
    expect(invoke?.['Fn::If']?.[0]).toBe('AutoRepairsCoverage');
    expect(invoke?.['Fn::If']?.[2]).toEqual({ Ref: 'AWS::NoValue' });
    expect((template as unknown as { Conditions: Record<string, unknown> }).Conditions.AutoRepairsCoverage).toEqual({
      'Fn::Equals': ['false', 'true'],
    });
  });

  describe('the alarm topic', () => {
    const props = (id: string) => template.Resources[id]?.Properties as Record<string, any>;
    const pipelineRoles = [
      'arn:aws:iam::111111111111:role/ddb-backup-pipeline',
      'arn:aws:iam::222222222222:role/ddb-backup-pipeline',
    ];
    const roots = ['arn:aws:iam::111111111111:root', 'arn:aws:iam::222222222222:root'];

    it('is encrypted with a customer-managed key that rotates, not alias/aws/sns', () => {
      expect(props('AlarmTopic').KmsMasterKeyId).toEqual({ Ref: 'AlarmTopicKey' });
      expect(template.Resources.AlarmTopicKey?.Type).toBe('AWS::KMS::Key');
      expect(props('AlarmTopicKey').EnableKeyRotation).toBe(true);
    });

    it('has a key policy admitting the account to administer it, CloudWatch and EventBridge to publish, and only the source accounts’ pipeline role, only through SNS for this topic', () => {
      const statements = literal(props('AlarmTopicKey').KeyPolicy.Statement) as Array<Record<string, any>>;
      expect(statements.map((st) => [st.Principal, st.Action])).toEqual([
        [{ AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } }, 'kms:*'],
        [{ Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] }, ['kms:Decrypt', 'kms:GenerateDataKey*']],
        [{ AWS: roots }, ['kms:Decrypt', 'kms:GenerateDataKey*']],
      ]);
      expect(statements[2]!.Condition.ArnEquals).toEqual({ 'aws:PrincipalArn': pipelineRoles });
      expect(statements[2]!.Condition.StringEquals).toMatchObject({
        'kms:ViaService': { 'Fn::Sub': 'sns.${AWS::Region}.amazonaws.com' },
      });
    });

    it('admits as publishers only this stack’s alarms, its bucket-change rule and the source accounts’ pipeline role', () => {
      const statements = literal(props('AlarmTopicPolicy').PolicyDocument.Statement) as Array<Record<string, any>>;
      for (const st of statements) expect([st.Effect, st.Action]).toEqual(['Allow', 'sns:Publish']);
      expect(statements.map((st) => [st.Principal, st.Condition])).toEqual([
        [
          { Service: 'cloudwatch.amazonaws.com' },
          {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnLike: {
              'aws:SourceArn': {
                'Fn::Sub':
                  'arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:ddb-backup-orchestrator-example-*',
              },
            },
          },
        ],
        [
          { Service: 'events.amazonaws.com' },
          { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['BackupBucketChangedRule', 'Arn'] } } },
        ],
        [{ AWS: roots }, { ArnEquals: { 'aws:PrincipalArn': pipelineRoles } }],
      ]);
      const alarmNames = resources('AWS::CloudWatch::Alarm').map(([, r]) => (r.Properties as any).AlarmName as string);
      for (const name of alarmNames) expect(name.startsWith('ddb-backup-orchestrator-example-')).toBe(true);
    });

    it('receives the backup bucket’s changes: the backup account may put CloudTrail S3 events on the central bus, and a rule there sends those of the bucket to the topic', () => {
      const busPolicy = literal(props('BackupAccountBusPolicy')) as Record<string, any>;
      expect(busPolicy.Statement).toMatchObject({
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Principal: {
          AWS: { 'Fn::Sub': ['arn:${AWS::Partition}:iam::${BackupAccount}:root', { BackupAccount: '999999999999' }] },
        },
        Condition: { StringEquals: { 'events:source': 'aws.s3', 'events:detail-type': 'AWS API Call via CloudTrail' } },
      });
      const rule = literal(props('BackupBucketChangedRule')) as Record<string, any>;
      expect(rule.EventBusName).toEqual({ Ref: 'CentralEventBus' });
      expect(rule.EventPattern).toEqual({
        source: ['aws.s3'],
        'detail-type': ['AWS API Call via CloudTrail'],
        account: ['999999999999'],
        detail: { eventSource: ['s3.amazonaws.com'], requestParameters: { bucketName: ['example-corp-ddb-backups'] } },
      });
      expect(rule.Targets).toEqual([
        expect.objectContaining({
          Arn: { Ref: 'AlarmTopic' },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['EventDeadLetterQueue', 'Arn'] } },
        }),
      ]);
    });

    it('is where the restore and health-check failures alarm', () => {
      const alarms = resources('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties as Record<string, any>);
      for (const metric of [MetricName.RestoreFailed, MetricName.HealthCheckFailed]) {
        expect(alarms.find((a) => a.MetricName === metric && a.Namespace === METRICS_NAMESPACE)?.AlarmActions).toEqual([
          { Ref: 'AlarmTopic' },
        ]);
      }
    });
  });

  it('keeps the registry on demand, with point-in-time recovery and TTL on the lease attribute', () => {
    const tables = resources('AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    expect(tables[0]![1].Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    });
  });

  it('lets only the source accounts (or the organization) put events on the central bus, and the backup account its bucket’s changes', () => {
    const policies = resources('AWS::Events::EventBusPolicy');
    expect(policies.map(([name]) => name).sort()).toEqual(['BackupAccountBusPolicy', 'CentralEventBusPolicy']);
    const policy = template.Resources.CentralEventBusPolicy as { Properties: Record<string, any> };
    expect(policy.Properties.Statement.Action).toBe('events:PutEvents');
    expect(JSON.stringify(policy.Properties.Statement.Principal)).toContain('111111111111,222222222222');
    expect(policy.Properties.Statement.Condition['Fn::If'][1]).toEqual({ StringEquals: { 'aws:PrincipalOrgID': '' } });
  });
});

describe.each(ACCOUNT_TEMPLATES)('Given the account template %s', (file) => {
  const template = loadTemplate(join(root, file));

  it('passes cfn-lint with no errors', async () => {
    const { code, output } = await cfnLint(file);
    expect({ errors: code & 3, output: code & 3 ? output : '' }).toEqual({ errors: 0, output: '' });
  }, 60_000);

  // Trust, '*' resources and each role's actions: test/stack/account-templates.test.ts.
  it('grants no IAM statement a wildcard action', () => {
    for (const { statement } of iamStatements(template)) {
      for (const action of list(statement.Action)) expect(action).not.toMatch(/(^\*$|:\*$)/);
    }
  });
});

describe('Given the backup account template', () => {
  const t = loadTemplate(join(root, 'templates/backup-account.yml'));
  it('makes a locked-down bucket and leaves its policy to the orchestrator', () => {
    const bucket = t.Resources.BackupBucket?.Properties as Record<string, any>;
    expect(bucket.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.BucketEncryption).toBeDefined();
    expect(JSON.stringify(bucket.LifecycleConfiguration)).toContain('RetentionDays');
    expect(Object.values(t.Resources).map((r) => r.Type)).not.toContain('AWS::S3::BucketPolicy');
  });
  it('allows the policy writer only Get/PutBucketPolicy on that bucket', () => {
    const [statement] = iamStatements(t).map((s) => s.statement);
    expect(statement).toMatchObject({
      Action: ['s3:GetBucketPolicy', 's3:PutBucketPolicy'],
      Resource: { 'Fn::GetAtt': ['BackupBucket', 'Arn'] },
    });
  });
});
