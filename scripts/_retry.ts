import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { startMoto } from './moto';
import { FaultProxy } from './fault-proxy';
(async () => {
  const m = await startMoto();
  const p = await new FaultProxy({ target: m.endpoint, rate: 0.5, seed: 3 }).start();
  process.env.AWS_ACCESS_KEY_ID='testing'; process.env.AWS_SECRET_ACCESS_KEY='testing';
  const c = new DynamoDBClient({ region: 'us-east-1', endpoint: p.endpoint, maxAttempts: 6 });
  let ok = 0, fail = 0;
  for (let i = 0; i < 30; i++) {
    try { const r = await c.send(new ListTablesCommand({})); ok++; if (r.$metadata.attempts! > 1) process.stdout.write(`ok after ${r.$metadata.attempts} `); }
    catch (e: any) { fail++; console.log('\nfail', e.name, e.$metadata?.attempts, e.$retryable, e.$fault); }
  }
  console.log('\n', ok, fail, p.stats);
  await p.stop(); await m.stop();
})();
