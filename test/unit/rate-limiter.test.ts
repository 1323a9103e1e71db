import { Readable } from 'node:stream';
import { DataPipelineClient } from '@aws-sdk/client-data-pipeline';
import { HttpResponse } from '@smithy/protocol-http';
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import { TokenBucket } from '../../lib/adapters/rate-limiter';
import { PipelineApi } from '../../lib/backup-engines/datapipeline/api';

describe('TokenBucket', () => {
  /** A clock that only moves when the bucket sleeps. */
  function virtual() {
    let now = 0;
    const sleeps: number[] = [];
    return {
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
      sleeps,
      get time() {
        return now;
      },
    };
  }

  it('lets the burst through at once, then one call per 1/rate seconds', async () => {
    const clock = virtual();
    const bucket = new TokenBucket(1, 3, clock.now, clock.sleep);
    for (let i = 0; i < 3; i++) await bucket.take();
    expect(clock.time).toBe(0);
    for (let i = 0; i < 4; i++) await bucket.take();
    expect(clock.time).toBe(4000);
  });

  it('serves concurrent callers in order without over-spending', async () => {
    const clock = virtual();
    const bucket = new TokenBucket(10, 2, clock.now, clock.sleep);
    const order: number[] = [];
    await Promise.all(Array.from({ length: 6 }, (_, i) => bucket.take().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(clock.time).toBe(400); // 4 calls beyond the burst of 2, at 10 a second
  });

  it('refills while idle, up to the burst only', async () => {
    const clock = virtual();
    const bucket = new TokenBucket(1, 2, clock.now, clock.sleep);
    await bucket.take();
    await bucket.take();
    await clock.sleep(60_000); // a minute idle: the bucket is full again, but holds no more than 2
    const before = clock.time;
    for (let i = 0; i < 3; i++) await bucket.take();
    expect(clock.time - before).toBe(1000);
  });
});

describe('PipelineApi pacing', () => {
  /** A real client whose HTTP layer answers from a script: throttled `throttles` times, then success. */
  function scripted(throttles: number) {
    const sent: Array<{ at: number; authorization?: string }> = [];
    let order = 0;
    const client = new DataPipelineClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      retryStrategy: new ConfiguredRetryStrategy(4, () => 1),
      requestHandler: {
        handle: async (request: { headers: Record<string, string> }) => {
          sent.push({ at: order++, authorization: request.headers.authorization });
          const throttled = sent.length <= throttles;
          const body = throttled ? { __type: 'ThrottlingException', message: 'Rate exceeded' } : { pipelineId: 'df-1' };
          return {
            response: new HttpResponse({
              statusCode: throttled ? 400 : 200,
              headers: { 'content-type': 'application/x-amz-json-1.1' },
              body: Readable.from([Buffer.from(JSON.stringify(body))]),
            }),
          };
        },
      },
    });
    return { client, sent, next: () => order++ };
  }

  it('paces every attempt, retries of throttled calls included', async () => {
    const { client, sent, next } = scripted(2);
    const paced: number[] = [];
    const api = new PipelineApi(client, undefined, async () => void paced.push(next()));
    await expect(api.create({ name: 'n', uniqueId: 'u', description: 'd', tags: {} })).resolves.toBe('df-1');
    expect(sent).toHaveLength(3);
    expect(paced).toHaveLength(3);
    // each attempt waited for its turn just before it went out
    expect(sent.map((s) => s.at)).toEqual(paced.map((p) => p + 1));
  });

  it('waits before signing, so that a long wait never sends a stale signature', () => {
    const { client } = scripted(0);
    new PipelineApi(client, undefined, async () => undefined);
    const stack = client.middlewareStack.identify().map((m) => m.split(' ')[0]);
    const at = (name: string) => stack.indexOf(name);
    expect(at('dataPipelinePace')).toBeGreaterThan(at('retryMiddleware'));
    expect(at('dataPipelinePace')).toBeLessThan(at('httpSigningMiddleware'));
    expect(at('retryMiddleware')).toBeGreaterThanOrEqual(0);
  });

  it('without a pacer, the client is left as it is', () => {
    const { client } = scripted(0);
    new PipelineApi(client);
    expect(client.middlewareStack.identify().some((m) => m.startsWith('dataPipelinePace'))).toBe(false);
  });
});
