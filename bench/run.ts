/**
 * `npm run bench [-- --scale N] [--only path,backfill,cold,cost]`
 *
 * Prints figures measured side by side in one run, on this machine. Nothing here is a test and
 * nothing fails on timing. AWS is moto_server behind scripts/fault-proxy.ts, which adds a fixed
 * latency to every call (so that the real SDK clients, retries and adapters are all on the
 * path) and models Data Pipeline's rate limit; moto's own processing time is measured in the
 * same run (latency 0) and subtracted.
 *
 * --scale N runs the backfill model N times faster (latency/N, rate×N) and reports model
 * seconds; the SDK's own back-off is not scaled, which only penalises the unpaced variant.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BuildOptions, build } from 'esbuild';
import { parseConfig, sourceRoleArn } from '../lib/config';
import type { TableRef } from '../lib/domain/table-ref';
import { onboardTable } from '../lib/usecases/onboard';
import { createServices } from '../lib/wiring';
import { FaultProxy, longestChain } from '../scripts/fault-proxy';
import { startMoto } from '../scripts/moto';
import { provisionSandbox } from '../scripts/sandbox';
import { dataPipelineNight, M3_CLUSTER, M5_CLUSTER, nativeNight, type TableNight } from './cost';
import { coverageBench } from './coverage';
import { PRICES, PRICES_AS_STORED_ON, PRICES_REGION, type Prices } from './prices';
import { silent } from './silent';

const root = join(__dirname, '..');
const out = join(root, '.bench');
const REGION = 'us-east-1';
const LATENCY_MS = 50;

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    only: { type: 'string' },
    reps: { type: 'string', default: '5' },
  },
});
const scale = Number(values.scale);
const reps = Number(values.reps);
const only = new Set((values.only ?? 'path,backfill,cold,cost,coverage').split(','));
if (!(scale >= 1) || !(reps >= 1)) {
  console.error('usage: npm run bench -- [--scale N>=1] [--reps N>=1] [--only path,backfill,cold,cost,coverage]');
  process.exit(2);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
let nextAccount = 700000000000;
const account = () => String(nextAccount++);
const accounts = Array.from({ length: 400 }, (_, i) => String(700000000000 + i));
const ref = (accountId: string, tableName: string): TableRef => ({
  accountId,
  region: REGION,
  tableName,
  tableArn: `arn:aws:dynamodb:${REGION}:${accountId}:table/${tableName}`,
});
const env = (extra: Record<string, string>) => {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete e.NODE_EXTRA_CA_CERTS; // adds 70–150 ms to every Node start on this machine
  return e;
};
const baseEnv = {
  BACKUP_ROLE_ARN: 'arn:aws:iam::999999999999:role/ddb-backup-policy-writer',
  SOURCE_ROLE_NAME: 'ddb-backup-orchestrator',
  SOURCE_ACCOUNTS: accounts.join(','),
  REGISTRY_TABLE: 'ddb-backup-registry',
  AWS_REGION: REGION,
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};
const report: Record<string, unknown> = { date: new Date().toISOString(), scale };

async function main(): Promise<void> {
  if (only.has('cost')) costModel();
  if (!['path', 'cold', 'backfill', 'coverage'].some((s) => only.has(s))) return writeReport();
  Object.assign(process.env, baseEnv, { BACKUP_BUCKET: 'bench-path-0' });
  const moto = await startMoto();
  process.env.AWS_ENDPOINT_URL = moto.endpoint;
  if (process.env.BENCH_DEBUG) console.error(`moto at ${moto.endpoint}`);
  try {
    if (only.has('path')) await criticalPath(moto.endpoint);
    if (only.has('cold')) await coldStart(moto.endpoint);
    if (only.has('backfill')) await backfillThroughput(moto.endpoint);
    if (only.has('coverage')) report.coverage = await coverageBench(moto.endpoint, LATENCY_MS);
  } catch (e) {
    if (process.env.BENCH_DEBUG) {
      console.error(`bench: keeping moto at ${moto.endpoint} for 120 s to look at`);
      await new Promise((r) => setTimeout(r, 120_000));
    }
    throw e;
  } finally {
    await moto.stop();
  }
  writeReport();
}

function writeReport(): void {
  mkdirSync(join(root, 'reports'), { recursive: true });
  writeFileSync(join(root, 'reports', 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log('\n(figures also in reports/bench.json)');
}

/**
 * Onboarding's critical path, in sequential round trips: the slope of wall time against the
 * latency of one call, (time at 100 ms a call − time at 50 ms a call) / 50 ms — moto's own
 * processing time is in both and cancels out.
 */
async function criticalPath(motoEndpoint: string): Promise<void> {
  const L2 = 2 * LATENCY_MS;
  const variants = [
    { name: 'parallel@1', proxy: await new FaultProxy({ target: motoEndpoint, latencyMs: LATENCY_MS }).start() },
    { name: 'parallel@2', proxy: await new FaultProxy({ target: motoEndpoint, latencyMs: L2 }).start() },
    {
      name: 'serial@1',
      proxy: await new FaultProxy({ target: motoEndpoint, latencyMs: LATENCY_MS, serialize: true }).start(),
    },
    { name: 'serial@2', proxy: await new FaultProxy({ target: motoEndpoint, latencyMs: L2, serialize: true }).start() },
  ];
  const scenarios = [
    { name: 'table in a new account, cold credentials', newAccount: true, warm: false },
    { name: 'table in a new account, warm credentials', newAccount: true, warm: true },
    { name: 'table in a granted account, cold credentials', newAccount: false, warm: false },
    { name: 'table in a granted account, warm credentials', newAccount: false, warm: true },
  ];
  const times: Record<string, Record<string, number>> = {};
  const calls: Record<string, number> = {};
  const chains: Record<string, number[]> = {};
  for (const [v, variant] of variants.entries()) {
    process.env.AWS_ENDPOINT_URL = variant.proxy.endpoint;
    const bucket = `bench-path-${v}`;
    const config = { ...parseConfig(process.env), backupBucket: bucket };
    await provisionSandbox(config, []);
    for (const s of scenarios) {
      const samples: number[] = [];
      for (let r = 0; r < reps; r++) {
        const acct = account();
        if (!s.newAccount) await onboardTable({ ...createServices(config), telemetry: silent }, ref(acct, 'first')); // grant the account
        const services = createServices(config);
        if (s.warm)
          await Promise.all([
            services.roles.credentials(sourceRoleArn(config, acct, 'onboard')),
            services.roles.credentials(config.backupRoleArn),
          ]);
        variant.proxy.reset();
        const started = performance.now();
        const result = await onboardTable({ ...services, telemetry: silent }, ref(acct, `t${r}`));
        samples.push(performance.now() - started);
        if (result.outcome !== 'onboarded') throw new Error(`bench: expected onboarded, got ${result.outcome}`);
        calls[s.name] = variant.proxy.stats.calls;
        await new Promise((r) => setTimeout(r, 5)); // let the last response's 'finish' land
        if (variant.name === 'parallel@1') {
          const chain = chains[s.name] ?? [];
          chains[s.name] = chain;
          chain.push(longestChain(variant.proxy.calls));
        }
      }
      const byVariant = times[s.name] ?? {};
      times[s.name] = byVariant;
      byVariant[variant.name] = median(samples);
    }
  }
  await Promise.all(variants.map((v) => v.proxy.stop()));
  process.env.AWS_ENDPOINT_URL = motoEndpoint;

  console.log(
    `\n## Onboarding critical path (median of ${reps}; round trips = (time at ${L2} ms a call − time at ${LATENCY_MS} ms) / ${LATENCY_MS} ms)\n`,
  );
  console.log(
    `| scenario | AWS calls | ms at ${LATENCY_MS} ms a call | sequential round trips (timing) | longest chain of calls | the same flow one call at a time: ms | its round trips | speed-up |`,
  );
  console.log('|---|---|---|---|---|---|---|---|');
  const rows = scenarios.map((s) => {
    const t = times[s.name] as Record<string, number>;
    const roundTrips = ((t['parallel@2'] as number) - (t['parallel@1'] as number)) / LATENCY_MS;
    const serialTrips = ((t['serial@2'] as number) - (t['serial@1'] as number)) / LATENCY_MS;
    const chain = Math.max(...(chains[s.name] ?? [0]));
    const row = {
      scenario: s.name,
      calls: calls[s.name],
      ms: t['parallel@1'],
      roundTrips,
      longestChain: chain,
      msOneAtATime: t['serial@1'],
      roundTripsOneAtATime: serialTrips,
    };
    console.log(
      `| ${s.name} | ${row.calls} | ${(row.ms as number).toFixed(0)} | ${roundTrips.toFixed(1)} | **${chain}** | ${(row.msOneAtATime as number).toFixed(0)} | ${serialTrips.toFixed(1)} | ${((row.msOneAtATime as number) / (row.ms as number)).toFixed(1)}× |`,
    );
    return row;
  });
  report.criticalPath = rows;
}

const BASE: BuildOptions = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' };
/** The esbuild settings of serverless.yml's `custom.esbuild`: how every function is deployed. */
const AS_DEPLOYED: BuildOptions = { ...BASE, minify: true, keepNames: true, mainFields: ['module', 'main'] };
/** The same handler with node_modules left outside the bundle, loaded from there at run time. */
const UNBUNDLED: BuildOptions = { ...BASE, packages: 'external' };

/** Bundles as serverless-esbuild makes them, and the same handlers with node_modules left outside. */
async function bundles(): Promise<Array<{ name: string; bundled: string; unbundled: string }>> {
  const fns = ['onboard', 'offboard', 'backfill', 'health-check'];
  mkdirSync(out, { recursive: true });
  return Promise.all(
    fns.map(async (name) => {
      const entryPoints = [join(root, 'functions', `${name}.ts`)];
      const bundled = join(out, `${name}.js`);
      const unbundled = join(out, `${name}.unbundled.js`);
      await build({ ...AS_DEPLOYED, entryPoints, outfile: bundled });
      await build({ ...UNBUNDLED, entryPoints, outfile: unbundled });
      return { name, bundled, unbundled };
    }),
  );
}

/** The SDK-only handlers of bench/sdk-floor.ts, bundled like the functions. */
async function floorBundles(): Promise<Array<{ name: string; label: string; bundled: string }>> {
  const floors = [
    { name: 'oneCall', label: '*SDK alone: one DynamoDB call*' },
    { name: 'onboardCalls', label: "*SDK alone: onboard's 4 calls (2 DynamoDB, 2 STS)*" },
  ];
  mkdirSync(out, { recursive: true });
  return Promise.all(
    floors.map(async (f) => {
      const bundled = join(out, `sdk-floor-${f.name}.js`);
      await build({
        ...AS_DEPLOYED,
        stdin: { contents: `export { ${f.name} as handler } from './sdk-floor';`, resolveDir: __dirname, loader: 'ts' },
        outfile: bundled,
      });
      return { ...f, bundled };
    }),
  );
}

/**
 * A fresh node process, timed from spawn to exit. Asynchronous: the proxies the benchmark runs in
 * this process must keep serving while a child runs.
 */
function runNode(args: string[], extraEnv: Record<string, string>): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env: env(extraEnv), cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0)
        reject(new Error(`bench: node ${args.join(' ').slice(0, 80)} failed (exit ${code}): ${stderr.slice(0, 2000)}`));
      else resolve({ ms, stdout });
    });
  });
}

/** A node process that loads a handler, handles one event, and prints its result and peak RSS. */
const invokeScript = (path: string, event: unknown) =>
  `const h=require(${JSON.stringify(path)}).handler;` +
  `const ctx={functionName:'bench',awsRequestId:'bench',invokedFunctionArn:'arn:aws:lambda:us-east-1:123456789012:function:bench',memoryLimitInMB:'512',getRemainingTimeInMillis:()=>900000};` +
  `const t=performance.now();Promise.resolve(h(${JSON.stringify(event)},ctx)).then(r=>{process.stdout.write(JSON.stringify({ms:performance.now()-t,rssKb:process.resourceUsage().maxRSS,result:r}))},e=>{console.error(e);process.exit(1)})`;

async function coldStart(motoEndpoint: string): Promise<void> {
  const built = await bundles();
  const bucket = 'bench-cold';
  const registryTable = 'bench-cold-registry'; // its own: the health check and backfill read the whole registry
  const acct = accounts[399] as string;
  const config = {
    ...parseConfig({ ...process.env, AWS_ENDPOINT_URL: motoEndpoint, REGISTRY_TABLE: registryTable }),
    backupBucket: bucket,
  };
  await provisionSandbox(config, [{ accountId: acct, region: REGION, tableName: 'orders' }]);
  const createEvent = (table: string) => {
    const e = JSON.parse(JSON.stringify(require('../events/create-table.json')));
    Object.assign(e.detail, { recipientAccountId: acct });
    e.account = acct; // the envelope and its CloudTrail record must agree
    e.detail.requestParameters.tableName = table;
    e.detail.responseElements.tableDescription.tableArn = `arn:aws:dynamodb:${REGION}:${acct}:table/${table}`;
    return e;
  };
  const deleteEvent = JSON.parse(JSON.stringify(require('../events/delete-table.json')));
  deleteEvent.detail.recipientAccountId = acct;
  deleteEvent.account = acct;
  deleteEvent.detail.requestParameters.tableName = 'never-onboarded';
  deleteEvent.detail.responseElements.tableDescription.tableArn = `arn:aws:dynamodb:${REGION}:${acct}:table/never-onboarded`;
  const events: Record<string, unknown> = {
    onboard: createEvent('orders'), // after the first run: the already-onboarded path
    offboard: deleteEvent,
    backfill: { regions: [REGION], accounts: [acct], dryRun: true },
    'health-check': {},
  };
  const fnEnv = { ...baseEnv, AWS_ENDPOINT_URL: motoEndpoint, BACKUP_BUCKET: bucket, REGISTRY_TABLE: registryTable };
  await runNode(['-e', invokeScript(built[0]?.bundled as string, events.onboard)], fnEnv); // onboard it once, first

  const N = Number(process.env.BENCH_N ?? Math.max(20, reps * 4));
  const { statSync } = await import('node:fs');
  // Every variant once per round, round after round: a slow spell of this shared machine then
  // falls on all of them alike instead of on whichever was being measured. The SDK-only handlers
  // (bench/sdk-floor.ts) show what the stack costs before any of our code.
  const floors = await floorBundles();
  type Sample = { ms: number; handlingMs: number; rssKb: number };
  const variants: Array<{ key: string; args: string[] }> = [
    { key: 'bare', args: ['-e', '0'] },
    ...built.flatMap((b) => [
      { key: `${b.name}:bundled`, args: ['-e', invokeScript(b.bundled, events[b.name])] },
      { key: `${b.name}:unbundled`, args: ['-e', invokeScript(b.unbundled, events[b.name])] },
    ]),
    ...floors.map((f) => ({ key: `floor:${f.name}`, args: ['-e', invokeScript(f.bundled, {})] })),
  ];
  const samples = new Map<string, Sample[]>(variants.map((v) => [v.key, []]));
  for (let round = 0; round < N; round++) {
    // one child at a time: two would share the two cores
    for (const v of variants) {
      const r = await runNode(v.args, fnEnv);
      const inner = v.key === 'bare' ? { ms: 0, rssKb: 0 } : (JSON.parse(r.stdout) as { ms: number; rssKb: number });
      samples.get(v.key)?.push({ ms: r.ms, handlingMs: inner.ms, rssKb: inner.rssKb });
    }
  }
  const stat = (key: string, field: keyof Sample) => median((samples.get(key) ?? []).map((x) => x[field]));
  const bare = stat('bare', 'ms');
  console.log(
    `\n## Bundle size and cold start (median of ${N} rounds; each round starts every variant once as a fresh node process that loads a handler and handles one event against moto)\n`,
  );
  console.log(`node -e 0: ${bare.toFixed(0)} ms\n`);
  console.log(
    '| function | bundle (minified) | bundled: ms | × node -e 0 | of which handling the event | unbundled from node_modules: ms | × node -e 0 | peak RSS (bundled) |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  const rows = built.map((b) => {
    const key = `${b.name}:bundled`;
    const ms = stat(key, 'ms');
    const unbundledMs = stat(`${b.name}:unbundled`, 'ms');
    const row = {
      fn: b.name,
      bytes: statSync(b.bundled).size,
      ms,
      ratio: ms / bare,
      handlingMs: stat(key, 'handlingMs'),
      unbundledMs,
      unbundledRatio: unbundledMs / bare,
      rssKb: stat(key, 'rssKb'),
    };
    console.log(
      `| ${b.name} | ${(row.bytes / 1024).toFixed(0)} KB | ${ms.toFixed(0)} | **${row.ratio.toFixed(2)}** | ${row.handlingMs.toFixed(0)} | ${unbundledMs.toFixed(0)} | ${row.unbundledRatio.toFixed(2)} | ${(row.rssKb / 1024).toFixed(0)} MB |`,
    );
    return row;
  });
  const floorRows = floors.map((f) => {
    const key = `floor:${f.name}`;
    const ms = stat(key, 'ms');
    const row = {
      floor: f.name,
      bytes: statSync(f.bundled).size,
      ms,
      ratio: ms / bare,
      handlingMs: stat(key, 'handlingMs'),
      rssKb: stat(key, 'rssKb'),
    };
    console.log(
      `| ${f.label} | ${(row.bytes / 1024).toFixed(0)} KB | ${ms.toFixed(0)} | **${row.ratio.toFixed(2)}** | ${row.handlingMs.toFixed(0)} | - | - | ${(row.rssKb / 1024).toFixed(0)} MB |`,
    );
    return row;
  });
  report.coldStart = { nodeBareMs: bare, rounds: N, functions: rows, sdkFloors: floorRows };

  // Peak memory of one real onboarding (a new table in a new account), bundled, through the 50 ms proxy.
  const proxy = await new FaultProxy({ target: motoEndpoint, latencyMs: LATENCY_MS }).start();
  const fresh = account();
  const onboarding = JSON.parse(
    (
      await runNode(
        [
          '-e',
          invokeScript(built[0]?.bundled as string, {
            ...createEvent('fresh'),
            account: fresh,
            detail: {
              ...createEvent('fresh').detail,
              recipientAccountId: fresh,
              responseElements: { tableDescription: { tableArn: `arn:aws:dynamodb:${REGION}:${fresh}:table/fresh` } },
            },
          }),
        ],
        { ...fnEnv, AWS_ENDPOINT_URL: proxy.endpoint },
      )
    ).stdout,
  );
  await proxy.stop();
  console.log(
    `\nOne onboarding (new table, new account, bundled, 50 ms a call): ${onboarding.result.outcome}, ${onboarding.ms.toFixed(0)} ms, peak RSS ${(onboarding.rssKb / 1024).toFixed(0)} MB`,
  );
  report.onboardingRss = { outcome: onboarding.result.outcome, ms: onboarding.ms, rssKb: onboarding.rssKb };
}

/** 100 tables in one account, Data Pipeline's 1 call/s (burst 100) modelled, paced and unpaced. */
async function backfillThroughput(motoEndpoint: string): Promise<void> {
  const built = await bundles();
  const backfillBundle = built.find((b) => b.name === 'backfill')?.bundled as string;
  const TABLES = 100;
  const rate = 1 * scale;
  const burst = 100;
  console.log(
    `\n## Backfill throughput (${TABLES} tables in one account; ${LATENCY_MS / scale} ms a call; Data Pipeline ${rate} call/s, burst ${burst}; model time ×${scale})\n`,
  );
  console.log(
    '| variant | model s | Data Pipeline calls | lower bound s | × bound | throttled | onboarded | failed | peak RSS |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  const rows = [];
  for (const variant of [
    { name: 'paced (DATA_PIPELINE_RATE matches the limit)', dpRate: String(rate) },
    { name: 'unpaced (SDK retries only)', dpRate: '1000' },
  ]) {
    const acct = account();
    const bucket = `bench-backfill-${acct}`;
    const config = { ...parseConfig({ ...process.env, AWS_ENDPOINT_URL: motoEndpoint }), backupBucket: bucket };
    await provisionSandbox(
      config,
      Array.from({ length: TABLES }, (_, i) => ({
        accountId: acct,
        region: REGION,
        tableName: `table-${String(i).padStart(3, '0')}`,
      })),
    );
    const proxy = await new FaultProxy({
      target: motoEndpoint,
      latencyMs: LATENCY_MS / scale,
      rateLimit: { service: 'datapipeline', perSecond: rate, burst },
    }).start();
    const run = await runNode(['-e', invokeScript(backfillBundle, { regions: [REGION], accounts: [acct] })], {
      ...baseEnv,
      AWS_ENDPOINT_URL: proxy.endpoint,
      BACKUP_BUCKET: bucket,
      DATA_PIPELINE_RATE: variant.dpRate,
      DATA_PIPELINE_BURST: String(burst),
    });
    const result = JSON.parse(run.stdout);
    const dpCalls = Object.entries(proxy.stats.byOperation)
      .filter(([op]) => op.startsWith('DataPipeline.'))
      .reduce((n, [, c]) => n + c, 0);
    const accepted = dpCalls - proxy.stats.throttled;
    await proxy.stop();
    const bound = Math.max(0, accepted - burst) / rate;
    const modelSeconds = (result.ms / 1000) * scale;
    const row = {
      variant: variant.name,
      modelSeconds,
      dpCalls: accepted,
      bound: bound * scale,
      ratio: bound > 0 ? result.ms / 1000 / bound : undefined,
      throttled: proxy.stats.throttled,
      counts: result.result.counts,
      rssKb: result.rssKb,
    };
    rows.push(row);
    console.log(
      `| ${variant.name} | ${modelSeconds.toFixed(0)} | ${accepted} | ${(bound * scale).toFixed(0)} | **${row.ratio?.toFixed(2) ?? '-'}** | ${row.throttled} | ${result.result.counts.onboarded} | ${result.result.counts.failed} | ${(result.rssKb / 1024).toFixed(0)} MB |`,
    );
  }
  report.backfill = { tables: TABLES, rate, burst, scale, rows };
}

/** What a night of backing up one table costs with each engine (bench/cost.ts, prices from bench/prices.ts). */
function costModel(): void {
  const usd = (n: number) => (n === 0 ? '0' : n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`);
  const duration = (s: number) => (s < 3600 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(2)} h`);
  console.log(
    `\n## Cost per table-night (${PRICES_REGION}, on-demand prices as stored on ${PRICES_AS_STORED_ON}: bench/prices.ts; READ_THROUGHPUT_RATIO 0.25)\n`,
  );
  console.log(
    '| table | engine | cluster billed | fixed | cluster | reads | export | PITR | **per night** | per month |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  const rows = [];
  for (const sizeGb of [1, 100]) {
    for (const capacity of [{ mode: 'on-demand' }, { mode: 'provisioned', readCapacityUnits: 1000 }] as const) {
      const table: TableNight = { sizeGb, capacity, readThroughputRatio: 0.25 };
      const label = `${sizeGb} GB, ${capacity.mode === 'on-demand' ? 'on-demand' : '1,000 RCU provisioned'}`;
      for (const [engine, cluster] of [
        ['Data Pipeline, m5.xlarge', M5_CLUSTER],
        ['Data Pipeline, m3.xlarge (old default)', M3_CLUSTER],
      ] as const) {
        const n = dataPipelineNight(table, cluster);
        const billed = `${duration(n.billedSeconds)}${n.exceedsTerminateAfter ? ' ⚠ over terminateAfter (6 h): killed unfinished unless raised' : ''}`;
        console.log(
          `| ${label} | ${engine} | ${billed} (${n.limitedBy}) | ${usd(n.activity)} | ${usd(n.cluster)} | ${usd(n.reads)} | – | – | **${usd(n.total)}** | ${usd(n.total * 30)} |`,
        );
        rows.push({ table: label, engine, ...n });
      }
      for (const [engine, pitrAlreadyOn] of [
        ['native (PITR turned on for it)', false],
        ['native (PITR already on)', true],
      ] as const) {
        const n = nativeNight(table, { pitrAlreadyOn });
        console.log(
          `| ${label} | ${engine} | – | – | – | – | ${usd(n.export)} | ${usd(n.pointInTimeRecovery)} | **${usd(n.total)}** | ${usd(n.total * 30)} |`,
        );
        rows.push({ table: label, engine, ...n });
      }
    }
  }
  // From what size on the nightly cluster costs less than the export (point-in-time recovery counted for native).
  const breakEven = (capacity: TableNight['capacity']) => {
    for (let tenths = 1; tenths <= 10_000; tenths++) {
      const table: TableNight = { sizeGb: tenths / 10, capacity, readThroughputRatio: 0.25 };
      if (dataPipelineNight(table).total < nativeNight(table).total) return table.sizeGb;
    }
    return undefined;
  };
  const evenOnDemand = breakEven({ mode: 'on-demand' });
  const evenProvisioned = breakEven({ mode: 'provisioned', readCapacityUnits: 1000 });
  console.log(
    `\nData Pipeline (m5.xlarge) costs less a night than the native export from ${evenOnDemand ?? '> 1000'} GB on for an on-demand table, from ${evenProvisioned ?? '> 1000'} GB on for a 1,000 RCU provisioned one (0.1 GB steps).`,
  );
  report.costBreakEvenGb = { onDemand: evenOnDemand, provisioned1000: evenProvisioned };
  console.log('\nPrices not found in the stored pages (assumptions) or found only on third-party pages:');
  for (const [name, p] of Object.entries(PRICES as Prices))
    if (p.evidence !== 'aws-page') console.log(`- ${name}: $${p.usd} ${p.unit} — ${p.evidence} (${p.source})`);
  report.cost = { region: PRICES_REGION, pricesAsStoredOn: PRICES_AS_STORED_ON, rows };
}

main().catch((e: Error) => {
  console.error(`bench failed: ${e.stack ?? e.message}`);
  process.exit(1);
});
