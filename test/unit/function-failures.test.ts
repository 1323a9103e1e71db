import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { lambdaContext } from '../../scripts/lambda-context';
import { loadEvent } from '../support/fixtures';

/**
 * Every function's real handler (functions/*.ts), loaded afresh with its settings, its AWS clients
 * mocked (no network), its logs and EMF metrics read from stdout/stderr as CloudWatch would.
 */
type Handler = ((event: unknown, context: Context) => Promise<unknown>) & { after: (fn: () => void) => unknown };

const SETTINGS = {
  BACKUP_BUCKET: 'corp-ddb-backups',
  BACKUP_ROLE_ARN: 'arn:aws:iam::999999999999:role/ddb-backup-policy-writer',
  SNAPSHOT_READER_ROLE_ARN: 'arn:aws:iam::999999999999:role/ddb-backup-snapshot-reader',
  SOURCE_ROLE_NAME: 'ddb-backup-orchestrator',
  SOURCE_ACCOUNTS: '111111111111,222222222222',
  REGISTRY_TABLE: 'ddb-backup-registry',
  POLICY_LAYOUT: undefined,
  PIPELINE_REGION: undefined,
};
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  jest.restoreAllMocks();
});

/** Loads functions/<file>.ts as Lambda would, with these settings, and the SDK classes it will use. */
function load(file: string, settings: Record<string, string | undefined> = {}) {
  jest.resetModules();
  const env: Record<string, string | undefined> = {
    ...SETTINGS,
    POWERTOOLS_METRICS_DISABLED: 'false',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    ...settings,
  };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const { handler } = require(`../../functions/${file}`) as { handler: Handler };
  return {
    handler,
    registry: mockClient(
      (require('@aws-sdk/lib-dynamodb') as typeof import('@aws-sdk/lib-dynamodb')).DynamoDBDocumentClient,
    ),
    dynamodb: mockClient(
      (require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb')).DynamoDBClient,
    ),
    s3: mockClient((require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3')).S3Client),
    lib: {
      ScanCommand: (require('@aws-sdk/lib-dynamodb') as typeof import('@aws-sdk/lib-dynamodb')).ScanCommand,
      ListTablesCommand: (require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb'))
        .ListTablesCommand,
      ListObjectsV2Command: (require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3')).ListObjectsV2Command,
      GetCommand: (require('@aws-sdk/lib-dynamodb') as typeof import('@aws-sdk/lib-dynamodb')).GetCommand,
      UpdateCommand: (require('@aws-sdk/lib-dynamodb') as typeof import('@aws-sdk/lib-dynamodb')).UpdateCommand,
      GetBucketPolicyCommand: (require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3'))
        .GetBucketPolicyCommand,
    },
  };
}

/** What the invocation wrote: its error log lines, its EMF metric values, and any Powertools warning. */
function captureOutput() {
  const lines: string[] = [];
  const grab = (chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(grab as typeof process.stdout.write);
  jest.spyOn(process.stderr, 'write').mockImplementation(grab as typeof process.stderr.write);
  const json = () =>
    lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return {
    lines,
    errorLines: () => json().filter((j) => j.level === 'ERROR'),
    /** The total a metric reached over every EMF document written. */
    metric: (name: string) =>
      json()
        .filter((j) => j._aws !== undefined && name in j)
        .flatMap((j) => [j[name]].flat() as number[])
        .reduce((a, b) => a + b, 0),
  };
}

const serviceError = () => Object.assign(new Error('the registry is unavailable'), { name: 'InternalServerError' });

interface Scenario {
  file: string;
  name: string;
  failureMetric: string;
  /** An event or input the use case completes without failing. */
  ok: () => unknown;
  /** Mocks the AWS calls of that successful path. */
  okCalls: (l: ReturnType<typeof load>) => void;
  /** Makes the use case itself fail, and the error name it fails with. */
  failing: { how: string; event: () => unknown; arrange?: (l: ReturnType<typeof load>) => void; errorName: string };
}

const failedCall = () => loadEvent('create-table-failed');
const SCENARIOS: Scenario[] = [
  {
    file: 'onboard',
    name: 'onboard',
    failureMetric: 'OnboardFailed',
    ok: failedCall, // a failed CreateTable: ignored, nothing called
    okCalls: () => undefined,
    failing: { how: 'a malformed event', event: () => ({ source: 'aws.dynamodb' }), errorName: 'InvalidEventError' },
  },
  {
    file: 'offboard',
    name: 'offboard',
    failureMetric: 'OffboardFailed',
    ok: () => loadEvent('create-table'), // not a DeleteTable: ignored
    okCalls: () => undefined,
    failing: {
      how: 'the registry failing',
      event: () => loadEvent('delete-table'),
      arrange: (l) => l.registry.rejects(serviceError()),
      errorName: 'InternalServerError',
    },
  },
  {
    file: 'backfill',
    name: 'backfill',
    failureMetric: 'BackfillFailed',
    ok: () => ({ regions: ['us-east-1'], dryRun: true }),
    okCalls: (l) => {
      l.registry.on(l.lib.ScanCommand).resolves({ Items: [] });
      l.dynamodb.on(l.lib.ListTablesCommand).resolves({ TableNames: [] });
    },
    failing: {
      how: 'the registry failing',
      event: () => ({ regions: ['us-east-1'] }),
      arrange: (l) => l.registry.rejects(serviceError()),
      errorName: 'InternalServerError',
    },
  },
  {
    file: 'health-check',
    name: 'healthCheck',
    failureMetric: 'HealthCheckFailed',
    ok: () => ({}),
    okCalls: (l) => {
      l.registry.on(l.lib.ScanCommand).resolves({ Items: [] });
      l.registry.on(l.lib.GetCommand).resolves({}); // an empty grant catalog
      l.s3.on(l.lib.GetBucketPolicyCommand).resolves({}); // and no policy: nothing to repair
    },
    failing: {
      how: 'the registry failing',
      event: () => ({}),
      arrange: (l) => l.registry.rejects(serviceError()),
      errorName: 'InternalServerError',
    },
  },
  {
    file: 'revoke',
    name: 'revoke',
    failureMetric: 'RevokeFailed',
    ok: () => ({ account: '333333333333' }), // an account no table of which is under backup, the policy grants it nothing
    okCalls: (l) => {
      l.registry.on(l.lib.ScanCommand).resolves({ Items: [] });
      l.registry.on(l.lib.GetCommand).resolves({});
      l.registry.on(l.lib.UpdateCommand).resolves({ Attributes: {} });
      l.s3.on(l.lib.GetBucketPolicyCommand).resolves({});
    },
    failing: { how: 'a malformed request', event: () => ({ account: '12' }), errorName: 'InvalidEventError' },
  },
  {
    file: 'restore',
    name: 'restore',
    failureMetric: 'RestoreFailed',
    ok: () => ({ action: 'list', account: '111111111111', region: 'us-east-1', table: 'orders' }),
    okCalls: (l) => {
      l.registry.on(l.lib.GetCommand).resolves({}); // the table's record: which engine backed it up
      l.s3.on(l.lib.ListObjectsV2Command).resolves({ Contents: [] });
    },
    failing: {
      how: 'a malformed request',
      event: () => ({ action: 'list', account: '12' }),
      errorName: 'InvalidEventError',
    },
  },
  {
    file: 'report',
    name: 'report',
    failureMetric: 'ReportFailed',
    ok: () => ({ regions: ['us-east-1'] }),
    okCalls: (l) => {
      l.registry.on(l.lib.ScanCommand).resolves({ Items: [] });
      l.dynamodb.on(l.lib.ListTablesCommand).resolves({ TableNames: [] });
    },
    failing: { how: 'a malformed request', event: () => ({ regions: ['mars-1'] }), errorName: 'InvalidEventError' },
  },
];

describe.each(SCENARIOS)('Given the $name function', (s) => {
  const invoke = (handler: Handler, event: unknown) => handler(event, lambdaContext(s.name));

  it('counts a malformed setting (before the use case) in its failure metric and logs it once, as ConfigError', async () => {
    const l = load(s.file, { SOURCE_ACCOUNTS: '111111111111,22222222222' });
    const out = captureOutput();
    await expect(invoke(l.handler, s.ok())).rejects.toThrow(
      /SOURCE_ACCOUNTS holds values that are not 12-digit account ids: 22222222222/,
    );
    expect(out.metric(s.failureMetric)).toBe(1);
    expect(out.errorLines()).toEqual([
      expect.objectContaining({ message: `${s.name} failed`, errorName: 'ConfigError' }),
    ]);
  });

  it(`counts ${s.failing.how} (inside the use case) in its failure metric and logs it once, with its name`, async () => {
    const l = load(s.file);
    s.failing.arrange?.(l);
    const out = captureOutput();
    await expect(invoke(l.handler, s.failing.event())).rejects.toMatchObject({ name: s.failing.errorName });
    expect(out.metric(s.failureMetric)).toBe(1);
    expect(out.errorLines()).toEqual([
      expect.objectContaining({ message: `${s.name} failed`, errorName: s.failing.errorName }),
    ]);
  });

  it('counts an error thrown after the use case returned in its failure metric and logs it once', async () => {
    const l = load(s.file);
    s.okCalls(l);
    l.handler.after(() => {
      throw new RangeError('thrown after the use case');
    });
    const out = captureOutput();
    await expect(invoke(l.handler, s.ok())).rejects.toThrow('thrown after the use case');
    expect(out.metric(s.failureMetric)).toBe(1);
    expect(out.errorLines()).toEqual([
      expect.objectContaining({ message: `${s.name} failed`, errorName: 'RangeError' }),
    ]);
  });

  it('counts nothing and logs no error when it succeeds, and never warns of an empty metrics flush', async () => {
    const l = load(s.file);
    s.okCalls(l);
    const out = captureOutput();
    await expect(invoke(l.handler, s.ok())).resolves.toBeDefined();
    expect(out.metric(s.failureMetric)).toBe(0);
    expect(out.errorLines()).toEqual([]);
    expect(out.lines.join('\n')).not.toContain('No application metrics to publish');
  });
});

describe('Given a setting that stays wrong', () => {
  it('fails every invocation with the same error, counting and logging each', async () => {
    const l = load('onboard', { POLICY_LAYOUT: 'organization' });
    const out = captureOutput();
    for (let i = 0; i < 2; i++)
      await expect(l.handler(failedCall(), lambdaContext('onboard'))).rejects.toThrow(
        /POLICY_LAYOUT=organization needs ORGANIZATION_ID/,
      );
    expect(out.metric('OnboardFailed')).toBe(2);
    expect(out.errorLines()).toHaveLength(2);
  });
});

describe('Given a CreateTable in a region without Data Pipeline and no PIPELINE_REGION', () => {
  it('fails onboarding with OnboardFailed and one error line naming the region', async () => {
    const event = loadEvent('create-table');
    event.region = event.detail.awsRegion = 'eu-central-1';
    event.detail.responseElements.tableDescription.tableArn = 'arn:aws:dynamodb:eu-central-1:111111111111:table/orders';
    const l = load('onboard');
    const out = captureOutput();
    await expect(l.handler(event, lambdaContext('onboard'))).rejects.toThrow(
      'region eu-central-1 has no Data Pipeline endpoint and PIPELINE_REGION is not set',
    );
    expect(out.metric('OnboardFailed')).toBe(1);
    expect(out.errorLines()).toEqual([
      expect.objectContaining({
        message: 'onboard failed',
        errorName: 'ConfigError',
        region: 'eu-central-1',
        table: 'orders',
      }),
    ]);
  });
});

describe('Given a malformed event', () => {
  it('counts it as EventRejected and as OnboardFailed, with a single error line', async () => {
    const l = load('onboard');
    const out = captureOutput();
    await expect(l.handler({ source: 'aws.dynamodb' }, lambdaContext('onboard'))).rejects.toMatchObject({
      name: 'InvalidEventError',
    });
    expect([out.metric('EventRejected'), out.metric('OnboardFailed')]).toEqual([1, 1]);
    expect(out.errorLines()).toHaveLength(1);
  });
});

describe('Given an invocation about to run out of time', () => {
  it('ends it just before Lambda would, counting and logging it as a TimeoutError', async () => {
    const l = load('health-check');
    l.registry.callsFake(() => new Promise(() => undefined)); // a registry call that never answers
    const out = captureOutput();
    const context = { ...lambdaContext('healthCheck'), getRemainingTimeInMillis: () => 100 };
    await expect(l.handler({}, context)).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(out.metric('HealthCheckFailed')).toBe(1);
    expect(out.errorLines()).toEqual([
      expect.objectContaining({ message: 'healthCheck failed', errorName: 'TimeoutError' }),
    ]);
  });
});
