import { TokenBucket } from '../../lib/adapters/rate-limiter';

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
