import { execFile } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
/** Generous for this shared 2-core machine (a run takes 5-20 s here); a command that hangs never ends at all. */
const BOUND_MS = 45_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  ms: number;
}

/** `npx sls invoke local -f onboard` with one setting overridden, killed if it outlives twice the bound. */
function invokeLocal(setting: string): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['sls', 'invoke', 'local', '-f', 'onboard', '--path', 'events/create-table.json', '--env', setting],
      // Nothing leaves the machine: a setting that passed would meet a closed loopback port, never AWS.
      {
        cwd: root,
        env: { ...process.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', POWERTOOLS_LOG_LEVEL: 'ERROR' },
        timeout: 2 * BOUND_MS,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: number; signal?: NodeJS.Signals }) | null;
        resolve({
          code: e === null ? 0 : typeof e.code === 'number' ? e.code : null,
          signal: e?.signal ?? null,
          output: `${stdout}${stderr}`,
          ms: Date.now() - started,
        });
      },
    );
  });
}

describe('sls invoke local with a missing or malformed setting', () => {
  // One at a time: every run builds into the same .esbuild/ folder.
  it.each([
    [
      'SOURCE_ACCOUNTS=111111111111,22222222222',
      /SOURCE_ACCOUNTS holds values that are not 12-digit account ids: 22222222222/,
    ],
    // osls cannot pass an empty value through --env ("BACKUP_BUCKET=" sets a variable named "BACKUP_BUCKET="): blank it with a space.
    ['BACKUP_BUCKET= ', /BACKUP_BUCKET environment variable is empty/],
    ['POLICY_LAYOUT=organization', /POLICY_LAYOUT=organization needs ORGANIZATION_ID/],
  ])(
    '--env "%s" ends within seconds, non-zero, with the message naming the variable',
    async (setting, message) => {
      const run = await invokeLocal(setting);
      expect({ signal: run.signal, failed: run.code !== 0 && run.code !== null }).toEqual({
        signal: null,
        failed: true,
      });
      expect(run.output).toMatch(message);
      expect(run.output).toMatch(/"errorName":"[^"]+","errorMessage":"Invalid configuration/); // the error log line
      expect(run.ms).toBeLessThan(BOUND_MS);
    },
    3 * BOUND_MS,
  );
});
