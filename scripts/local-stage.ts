import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { CLOUDFORMATION_SCHEMA } from './cloudformation-yaml';

/**
 * The local stage's settings as the environment variables the functions read: each
 * `NAME: ${param:x}` entry of serverless.yml's `provider.environment`, with `x` taken from the
 * stage's `params` (else `params.default`). That is what `sls invoke local` hands a function, so
 * `npm start` and `npm run sandbox:provision` read them here instead of keeping a copy.
 * test/integration/sls-invoke-local.test.ts provisions from these and onboards through the
 * framework's own resolution: it fails if the two ever disagree.
 */
export function localStageEnv(stage = 'dev', file = join(__dirname, '..', 'serverless.yml')): Record<string, string> {
  const sls = yaml.load(readFileSync(file, 'utf8'), { schema: CLOUDFORMATION_SCHEMA }) as {
    provider: { environment: Record<string, unknown> };
    params: Record<string, Record<string, unknown> | undefined>;
  };
  const params = { ...sls.params.default, ...sls.params[stage] };
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(sls.provider.environment)) {
    const param = typeof value === 'string' ? /^\$\{param:(\w+)\}$/.exec(value)?.[1] : undefined;
    if (param === undefined) continue;
    const resolved = params[param];
    if (typeof resolved !== 'string' || resolved.includes('${')) {
      throw new Error(
        `serverless.yml: the ${stage} stage must give ${param} (for ${name}) as a plain string, found ${JSON.stringify(resolved)}`,
      );
    }
    env[name] = resolved;
  }
  return env;
}
