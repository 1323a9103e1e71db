import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseConfig } from '../../lib/config';
import { localStageEnv } from '../../scripts/local-stage';
import { provisionSandbox } from '../../scripts/sandbox';
import { describeWithMoto, SOURCE_A, SOURCE_B, useMoto } from '../support/integration';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

describeWithMoto('npx sls invoke local -f onboard (against moto_server)', () => {
  const moto = useMoto();

  /** The README's local recipe: the settings come from the dev stage, or from `--env`, never from the shell. */
  async function invokeOnboard(args: string[], shell: Record<string, string>): Promise<Record<string, unknown>> {
    const { stdout } = await run(
      'npx',
      ['sls', 'invoke', 'local', '-f', 'onboard', '--path', 'events/create-table.json', ...args],
      {
        cwd: root,
        env: { ...process.env, ...shell, AWS_ENDPOINT_URL: moto.endpoint, POWERTOOLS_LOG_LEVEL: 'WARN' },
        timeout: 120_000,
      },
    );
    return JSON.parse(stdout.slice(stdout.indexOf('{\n')));
  }

  beforeAll(async () => {
    // What `npm run sandbox:provision` provisions: the registry and bucket the dev stage names.
    await provisionSandbox(parseConfig(localStageEnv()), [
      { accountId: SOURCE_A, region: 'us-east-1', tableName: 'orders' },
    ]);
  }, 60_000);

  it('onboards events/create-table.json with the dev stage’s settings, ignoring settings exported in the shell', async () => {
    const result = await invokeOnboard([], {
      REGISTRY_TABLE: 'not-the-dev-stage-registry',
      BACKUP_BUCKET: 'not-the-dev-stage-bucket',
      SOURCE_ACCOUNTS: SOURCE_B,
    });
    expect(result).toMatchObject({
      outcome: 'onboarded',
      pipelineCreated: true,
      table: { accountId: SOURCE_A, tableName: 'orders' },
    });
    expect(result.pipelineId).toMatch(/^df-/);
  }, 120_000);

  it('takes a setting given with --env over the stage’s', async () => {
    const result = await invokeOnboard(['--env', `SOURCE_ACCOUNTS=${SOURCE_B}`], {});
    expect(result).toMatchObject({ outcome: 'ignored', reason: 'AccountNotAllowed' });
  }, 120_000);
});
