import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { RoleAssumer } from '../../lib/adapters/credentials';
import {
  type Config,
  FUNCTIONS,
  parseConfig,
  roleSessionName,
  SOURCE_ROLE_FUNCTIONS,
  sourceRoleArn,
} from '../../lib/config';
import { createServices } from '../../lib/wiring';

const sts = mockClient(STSClient);
beforeEach(() => sts.reset());
const ROLE = 'arn:aws:iam::111111111111:role/ddb-backup-orchestrator-onboard';
const credentials = () => ({
  Credentials: {
    AccessKeyId: 'AKIA',
    SecretAccessKey: 's',
    SessionToken: 't',
    Expiration: new Date(Date.now() + 3600_000),
  },
});
const sessions = () => sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.RoleSessionName);

describe('roleSessionName', () => {
  it.each(FUNCTIONS)(
    'names the %s function and a Lambda request id within STS’s 64 characters of [\\w+=,.@-]',
    (fn) => {
      const name = roleSessionName(fn, 'c0a8f6f2-3b1e-4b8e-9d0a-1f2e3d4c5b6a');
      expect(name).toBe(`ddb-backup-${fn}-c0a8f6f2-3b1e-4b8e-9d0a-1f2e3d4c5b6a`);
      expect(name).toMatch(/^[\w+=,.@-]{2,64}$/);
    },
  );

  it('replaces characters STS does not allow and cuts the name at 64', () => {
    expect(roleSessionName('restore', 'a b/c:d')).toBe('ddb-backup-restore-a-b-c-d');
    expect(roleSessionName('healthCheck', 'x'.repeat(100))).toHaveLength(64);
  });

  it('is the function name alone outside an invocation', () => {
    expect(roleSessionName('offboard')).toBe('ddb-backup-offboard');
  });
});

describe('sourceRoleArn', () => {
  it.each(SOURCE_ROLE_FUNCTIONS)(
    'gives %s the role <SOURCE_ROLE_NAME>-<function> of the account, as the source template names it',
    (fn) => {
      expect(sourceRoleArn({ sourceRoleName: 'ddb-backup-orchestrator' }, '222222222222', fn)).toBe(
        `arn:aws:iam::222222222222:role/ddb-backup-orchestrator-${fn}`,
      );
    },
  );
});

describe('RoleAssumer sessions', () => {
  it('assumes a role once per invocation, in a session named after it, and once for the container outside invocations', async () => {
    sts.on(AssumeRoleCommand).resolves(credentials());
    const roles = new RoleAssumer(new STSClient({}), { sessionName: 'ddb-backup-onboard' });
    await roles.credentials(ROLE);
    await roles.credentials(ROLE);
    await roles.inInvocation('ddb-backup-onboard-req-1', async () => {
      await roles.credentials(ROLE);
      await roles.credentials(ROLE);
    });
    await roles.inInvocation('ddb-backup-onboard-req-2', () => roles.credentials(ROLE));
    expect(sessions()).toEqual(['ddb-backup-onboard', 'ddb-backup-onboard-req-1', 'ddb-backup-onboard-req-2']);
  });

  it('keeps concurrent invocations apart: each call carries its own invocation’s session', async () => {
    sts.on(AssumeRoleCommand).callsFake((input: { RoleSessionName: string }) => ({
      ...credentials(),
      Credentials: { ...credentials().Credentials, AccessKeyId: input.RoleSessionName },
    }));
    const roles = new RoleAssumer(new STSClient({}));
    const provider = roles.provider(ROLE);
    const [a, b] = await Promise.all([
      roles.inInvocation('s-a', async () => (await provider()).accessKeyId),
      roles.inInvocation('s-b', async () => (await provider()).accessKeyId),
    ]);
    expect([a, b]).toEqual(['s-a', 's-b']);
  });
});

describe('createServices', () => {
  const config: Config = parseConfig({
    BACKUP_BUCKET: 'corp-ddb-backups',
    BACKUP_ROLE_ARN: 'arn:aws:iam::999999999999:role/ddb-backup-policy-writer',
    SOURCE_ROLE_NAME: 'ddb-backup-orchestrator',
    SOURCE_ACCOUNTS: '111111111111',
    REGISTRY_TABLE: 'ddb-backup-registry',
  });

  it.each(SOURCE_ROLE_FUNCTIONS)('lets the %s function assume only its own role in a source account', async (fn) => {
    sts.on(AssumeRoleCommand).resolves(credentials());
    const s = createServices(config, fn);
    await s.inInvocation('req-9', () => s.pipelines('111111111111', 'us-east-1').warm());
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws:iam::111111111111:role/ddb-backup-orchestrator-${fn}`,
      RoleSessionName: `ddb-backup-${fn}-req-9`,
    });
  });

  it('gives revoke no role in source accounts', () => {
    expect(() => createServices(config, 'revoke').sourceTables('111111111111', 'us-east-1')).toThrow(
      'the revoke function has no role in source accounts',
    );
  });

  it('lists snapshots only through SNAPSHOT_READER_ROLE_ARN, and says so when it is not set', async () => {
    await expect(
      createServices(config, 'restore').snapshots.listKeys('111111111111/us-east-1/orders/'),
    ).rejects.toThrow('SNAPSHOT_READER_ROLE_ARN is not set');
  });
});
