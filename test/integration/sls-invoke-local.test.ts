import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseConfig } from '../../lib/config';
import { provisionSandbox } from '../../scripts/sandbox';
import { describeWithMoto, SOURCE_A, useMoto } from '../support/integration';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

describeWithMoto('npx sls invoke local -f onboard (against moto_server)', () => {
  const moto = useMoto();

  it('onboards events/create-table.json through the bundled handler, as the README shows', async () => {
    await provisionSandbox(parseConfig(process.env), [{ accountId: SOURCE_A, region: 'us-east-1', tableName: 'orders' }]);
    const { stdout } = await run('npx', ['sls', 'invoke', 'local', '-f', 'onboard', '--path', 'events/create-table.json'], {
      cwd: root,
      env: { ...process.env, AWS_ENDPOINT_URL: moto.endpoint, POWERTOOLS_LOG_LEVEL: 'WARN' },
      timeout: 120_000,
    });
    const result = JSON.parse(stdout.slice(stdout.indexOf('{\n')));
    expect(result).toMatchObject({ outcome: 'onboarded', pipelineCreated: true, table: { accountId: SOURCE_A, tableName: 'orders' } });
    expect(result.pipelineId).toMatch(/^df-/);
  }, 120_000);
});
