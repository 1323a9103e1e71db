/**
 * `npm start`: the main job, end to end, on a local AWS. Starts moto_server on a free loopback
 * port, provisions it (registry, backup bucket with one statement of "yours" in its policy, a
 * sample table), sends events/create-table.json through the real `onboard` handler, prints what
 * came of it, and stops the server.
 *
 * `npm start -- --engine native`: the same with the native engine (BACKUP_ENGINE=native), then the
 * data round trip: items of every attribute type written first, the table's schedule fired as
 * Scheduler would, the export's files and manifest, `list` and `restore` through the real `restore`
 * handler, and the restored table compared with the source (exit 1 if they differ).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GetBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import type { BackupEngineName } from '../lib/ports/backup-engine';
import { localStageEnv } from './local-stage';
import { MOTO_INSTALL_HINT, motoAvailable, startMoto } from './moto';

const USAGE = 'usage: npm start [-- --engine datapipeline|native]';

/** The engine asked for on the command line (default datapipeline), or a message saying what is wrong. */
function parseEngineOption(argv: string[]): BackupEngineName | string {
  let engine: string | undefined;
  try {
    engine = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { engine: { type: 'string' } } })
      .values.engine;
  } catch (e) {
    return (e as Error).message;
  }
  if (engine === undefined || engine === 'datapipeline' || engine === 'native') return engine ?? 'datapipeline';
  return `--engine must be datapipeline or native, got "${engine}"`;
}

async function main(): Promise<number> {
  const engine = parseEngineOption(process.argv.slice(2));
  if (engine !== 'datapipeline' && engine !== 'native') {
    console.error(`npm start: ${engine}\n${USAGE}`);
    return 2;
  }
  if (!motoAvailable()) {
    console.error(MOTO_INSTALL_HINT);
    return 1;
  }
  const moto = await startMoto();
  try {
    // Local only: the dev stage's settings (as `sls invoke local` has them), fake credentials, the local endpoint, quiet logs.
    Object.assign(process.env, localStageEnv(), {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      // The native demo's deployment backs every account up with the native export.
      ...(engine === 'native' ? { BACKUP_ENGINE: 'native' } : {}),
    });
    console.log(`moto_server on ${moto.endpoint}`);

    const event = JSON.parse(readFileSync(join(__dirname, '..', 'events', 'create-table.json'), 'utf8'));
    const { parseConfig } = await import('../lib/config');
    const { provisionSandbox } = await import('./sandbox');
    const { createServices } = await import('../lib/wiring');
    const { RoleAssumer } = await import('../lib/adapters/credentials');
    const { STSClient } = await import('@aws-sdk/client-sts');
    const { S3Client } = await import('@aws-sdk/client-s3');
    const config = parseConfig(process.env);
    const table = {
      accountId: event.detail.recipientAccountId,
      region: event.detail.awsRegion,
      tableName: event.detail.requestParameters.tableName,
    };
    await provisionSandbox(config, [table]);
    const services = createServices(config);
    const roles = new RoleAssumer(new STSClient({}));
    const s3 = new S3Client({ forcePathStyle: true, credentials: roles.provider(config.backupRoleArn) });
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: config.backupBucket,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'YourExistingStatement',
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::444444444444:role/security-audit' },
              Action: 's3:GetObject',
              Resource: `arn:aws:s3:::${config.backupBucket}/*`,
            },
          ],
        }),
      }),
    );
    console.log(
      `provisioned: registry ${config.registryTable}, bucket ${config.backupBucket} (account ${config.backupAccountId}), table ${table.tableName} (account ${table.accountId})`,
    );
    if (engine === 'native') {
      const { nativeDemo } = await import('./start-native');
      const code = await nativeDemo({ endpoint: moto.endpoint, config, services, event, table, s3 });
      if (code === 0) await showReport();
      return code;
    }

    const { handler } = await import('../functions/onboard');
    const { lambdaContext } = await import('./lambda-context');
    const result = await handler(event, lambdaContext('onboard'));
    if (result.outcome === 'ignored') {
      console.log(`event ignored: ${result.message}`);
      return 1;
    }
    const described = await services.pipelines(table.accountId, result.pipelineRegion).describe([result.pipelineId]);
    const policy = (await s3.send(new GetBucketPolicyCommand({ Bucket: config.backupBucket }))).Policy ?? '';
    console.log('');
    console.log(`outcome          ${result.outcome}`);
    console.log(`table            ${result.table.tableArn}`);
    console.log(`pipeline id      ${result.pipelineId} (${result.pipelineRegion}, account ${table.accountId})`);
    console.log(`pipeline state   ${described[0]?.state ?? 'unknown'}`);
    console.log(`output location  ${result.outputLocation}<YYYY-MM-dd-HH-mm-ss>/`);
    console.log(
      `policy           ${result.grant.policyWritten ? 'updated' : 'unchanged'}, ${Buffer.byteLength(policy)} of 20480 bytes`,
    );
    console.log('');
    console.log(JSON.stringify(JSON.parse(policy), null, 2));
    await showReport();
    return 0;
  } finally {
    await moto.stop();
  }
}

/** The operator's view at the end of the demo: the real `report` handler (coverage, newest backup, drills), as `npm run report` renders it. */
async function showReport(): Promise<void> {
  const { handler } = await import('../functions/report');
  const { lambdaContext } = await import('./lambda-context');
  const { render } = await import('../lib/domain/report');
  const report = await handler({}, lambdaContext('report'));
  console.log('');
  console.log('report (the report function: is every table protected, and how old is its newest complete backup?)');
  console.log(render(report, 'table'));
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`npm start failed: ${e.message}`);
    process.exit(1);
  },
);
