import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { parseConfig } from '../lib/config';
import { REPORT_FORMATS, type Report, type ReportFormat, render } from '../lib/domain/report';
import type { Telemetry } from '../lib/observability';
import { backfillRepair } from '../lib/usecases/coverage';
import { buildReport } from '../lib/usecases/report';
import { createServices } from '../lib/wiring';
import { localStageEnv } from './local-stage';

/**
 * `npm run report [-- --format table|markdown|json] [--regions us-east-1,eu-west-1] [--stage prod]`
 *
 * Without --stage: the report use case run here, against the local sandbox at AWS_ENDPOINT_URL (never
 * anything else), with the `dev` stage's settings, as `sls invoke local` would. With --stage: the deployed
 * stage's report function, through `sls invoke -f report --stage …` (your AWS credentials).
 */
const USAGE = 'usage: npm run report -- [--format table|markdown|json] [--regions r1,r2] [--stage NAME]';

const quiet: Telemetry = {
  appendKeys: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message, extra) => console.error(message, extra ?? ''),
  count: () => undefined,
  gauge: () => undefined,
};

export function parseReportArgs(
  argv: string[],
): { format: ReportFormat; stage?: string; regions?: string[] } | { error: string } {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { format: { type: 'string', default: 'table' }, stage: { type: 'string' }, regions: { type: 'string' } },
    });
    if (!(REPORT_FORMATS as readonly string[]).includes(values.format))
      return { error: `--format must be one of ${REPORT_FORMATS.join(', ')}, got "${values.format}"` };
    return {
      format: values.format as ReportFormat,
      ...(values.stage !== undefined ? { stage: values.stage } : {}),
      ...(values.regions !== undefined ? { regions: values.regions.split(',').map((r) => r.trim()) } : {}),
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

async function local(input: unknown): Promise<Report> {
  if (!process.env.AWS_ENDPOINT_URL)
    throw new Error(
      'AWS_ENDPOINT_URL is not set: without --stage the report reads the local sandbox only (e.g. a moto_server at http://127.0.0.1:5000)',
    );
  const config = parseConfig({ ...process.env, ...localStageEnv() });
  const s = createServices(config, 'report');
  const repair = config.autoRepairCoverage
    ? backfillRepair({ ...createServices(config, 'backfill'), telemetry: quiet })
    : undefined;
  return buildReport({ ...s, repair, telemetry: quiet }, input);
}

async function deployed(stage: string, input: unknown): Promise<Report> {
  const { stdout } = await promisify(execFile)(
    'npx',
    ['sls', 'invoke', '-f', 'report', '--stage', stage, '--data', JSON.stringify(input ?? {})],
    { cwd: join(__dirname, '..'), maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout.slice(stdout.indexOf('{'))) as Report;
}

async function main(): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const args = parseReportArgs(process.argv.slice(2));
  if ('error' in args) {
    console.error(`report: ${args.error}\n${USAGE}`);
    return 2;
  }
  const input = args.regions !== undefined ? { regions: args.regions } : undefined;
  const report = args.stage !== undefined ? await deployed(args.stage, input) : await local(input);
  console.log(render(report, args.format));
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: Error) => {
      console.error(`report failed: ${e.message}`);
      process.exit(1);
    },
  );
}
