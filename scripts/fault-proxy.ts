import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP proxy in front of moto_server that injects the faults AWS serves under load —
 * throttling and 5xx — and counts every call. For the benchmarks it also adds a fixed latency
 * to each call, models a per-account rate limit, and can handle calls strictly one at a time. Point AWS_ENDPOINT_URL at it. Listens on
 * 127.0.0.1 only.
 *
 * A fault is injected either before the request reaches moto (nothing happened) or after
 * (it happened, but the caller sees an error and retries) — the second is what makes
 * idempotency matter. Because AWS makes CreatePipeline idempotent on (name, uniqueId) and moto
 * does not, the proxy answers a repeated CreatePipeline with the first one's response, as AWS
 * would: without that, an injected fault after a CreatePipeline would make moto create a
 * pipeline AWS never would.
 */

export interface Call {
  service: string;
  /** e.g. DataPipeline.CreatePipeline, DynamoDB_20120810.UpdateItem, s3:PUT ?policy, sts:AssumeRole */
  operation: string;
  account?: string;
  body: string;
  /** performance.now() when the request arrived and when its response was sent. */
  startedAt?: number;
  endedAt?: number;
}

export type Fault = 'throttle' | 'server-error';

export interface FaultProxyOptions {
  target: string;
  /** Probability of a fault on each call, 0..1. */
  rate?: number;
  /** Seed of the pseudo-random choices, for a reproducible run. */
  seed?: number;
  /** Which calls may receive faults (default: all). */
  eligible?: (call: Call) => boolean;
  /** Called before a call is forwarded (after any fault decision); may delay it or act on moto. */
  beforeForward?: (call: Call) => Promise<void> | void;
  /** Added to every call: a fixed network + service latency. */
  latencyMs?: number;
  /** A service's per-account rate limit, modelled: calls beyond it are throttled as AWS would. */
  rateLimit?: { service: string; perSecond: number; burst: number };
  /** Handle calls strictly one after another (the whole flow done with no overlap). */
  serialize?: boolean;
}

export interface FaultStats {
  calls: number;
  /** Calls refused by the modelled rate limit. */
  throttled: number;
  faults: number;
  faultsBefore: number;
  faultsAfter: number;
  byOperation: Record<string, number>;
  faultsByOperation: Record<string, number>;
}

/** Operations that change state. */
const WRITE_OPERATIONS =
  /(CreatePipeline|PutPipelineDefinition|ActivatePipeline|DeactivatePipeline|DeletePipeline|AddTags|RemoveTags|UpdateItem|PutItem|DeleteItem|BatchWriteItem|TransactWriteItems|CreateTable|DeleteTable|TagResource|UntagResource|UpdateTable|UpdateTimeToLive|s3:PUT|s3:POST|s3:DELETE)/;
export const isWrite = (operation: string) => WRITE_OPERATIONS.test(operation);

export class FaultProxy {
  readonly stats: FaultStats = {
    calls: 0,
    throttled: 0,
    faults: 0,
    faultsBefore: 0,
    faultsAfter: 0,
    byOperation: {},
    faultsByOperation: {},
  };
  private readonly buckets = new Map<string, { tokens: number; last: number }>();
  private serial: Promise<void> = Promise.resolve();
  readonly calls: Call[] = [];
  private server?: Server;
  private random: () => number;
  private readonly createPipelineResponses = new Map<
    string,
    { status: number; headers: Record<string, string>; body: Buffer }
  >();
  rate: number;

  constructor(private readonly options: FaultProxyOptions) {
    this.rate = options.rate ?? 0;
    this.random = mulberry32(options.seed ?? 1);
  }

  get endpoint(): string {
    const addr = this.server?.address() as AddressInfo | undefined;
    if (addr === undefined) throw new Error('the fault proxy is not listening');
    return `http://127.0.0.1:${addr.port}`;
  }

  /** Calls of an operation so far (matched by substring, e.g. "PutBucketPolicy" or "s3:PUT ?policy"). */
  count(operation: string): number {
    return this.calls.filter((c) => c.operation.includes(operation)).length;
  }

  writes(): Call[] {
    return this.calls.filter((c) => isWrite(c.operation));
  }

  reset(): void {
    this.calls.length = 0;
    Object.assign(this.stats, {
      calls: 0,
      throttled: 0,
      faults: 0,
      faultsBefore: 0,
      faultsAfter: 0,
      byOperation: {},
      faultsByOperation: {},
    });
    this.buckets.clear();
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: Error) => {
        res.writeHead(502).end(e.message);
      });
    });
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.options.serialize) return this.handleOne(req, res);
    const turn = this.serial.then(() => this.handleOne(req, res));
    this.serial = turn.catch(() => undefined);
    return turn;
  }

  /** Whether the modelled rate limit lets this call through (token bucket per account). */
  private admit(call: Call): boolean {
    const limit = this.options.rateLimit;
    if (limit === undefined || call.service !== limit.service) return true;
    const key = call.account ?? '';
    const now = Date.now();
    const b = this.buckets.get(key) ?? { tokens: limit.burst, last: now };
    b.tokens = Math.min(limit.burst, b.tokens + ((now - b.last) / 1000) * limit.perSecond);
    b.last = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private async handleOne(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const call = describe(req, body);
    call.startedAt = performance.now();
    res.on('finish', () => {
      call.endedAt = performance.now();
    });
    this.calls.push(call);
    this.stats.calls++;
    this.stats.byOperation[call.operation] = (this.stats.byOperation[call.operation] ?? 0) + 1;

    if (this.options.latencyMs) await new Promise((r) => setTimeout(r, this.options.latencyMs));
    if (!this.admit(call)) {
      this.stats.throttled++;
      return sendFault(res, call, 'throttle');
    }
    const eligible = this.options.eligible?.(call) ?? true;
    const fault: Fault | undefined =
      eligible && this.random() < this.rate ? (this.random() < 0.5 ? 'throttle' : 'server-error') : undefined;
    const after = fault !== undefined && this.random() < 0.5;
    if (fault !== undefined && !after) {
      this.note(call, 'before');
      return sendFault(res, call, fault);
    }
    await this.options.beforeForward?.(call);

    const cacheKey = call.operation === 'DataPipeline.CreatePipeline' ? createPipelineKey(call) : undefined;
    const cached = cacheKey !== undefined ? this.createPipelineResponses.get(cacheKey) : undefined;
    const upstream = cached ?? (await forward(this.options.target, req, body));
    if (cacheKey !== undefined && cached === undefined && upstream.status === 200)
      this.createPipelineResponses.set(cacheKey, upstream);
    if (fault !== undefined) {
      this.note(call, 'after');
      return sendFault(res, call, fault);
    }
    res.writeHead(upstream.status, upstream.headers).end(upstream.body);
  }

  private note(call: Call, when: 'before' | 'after'): void {
    this.stats.faults++;
    if (when === 'before') this.stats.faultsBefore++;
    else this.stats.faultsAfter++;
    this.stats.faultsByOperation[call.operation] = (this.stats.faultsByOperation[call.operation] ?? 0) + 1;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function describe(req: IncomingMessage, body: Buffer): Call {
  const auth = String(req.headers.authorization ?? '');
  const service = /Credential=[^/]+\/\d+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'unknown';
  const accessKey = /Credential=([^/]+)\//.exec(auth)?.[1];
  const text = body.toString('utf8');
  let operation: string;
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') operation = target;
  else if (service === 's3') {
    const query = (req.url ?? '').split('?')[1] ?? '';
    const sub = query
      .split('&')
      .map((q) => q.split('=')[0] ?? '')
      .filter((q) => q !== '' && !q.startsWith('x-id') && !q.startsWith('X-Amz'))
      .join('&');
    operation = `s3:${req.method} ${sub ? `?${sub}` : 'object'}`;
  } else {
    operation = `${service}:${new URLSearchParams(text).get('Action') ?? req.method}`;
  }
  return { service, operation, account: accessKey, body: text };
}

function createPipelineKey(call: Call): string {
  const parsed = JSON.parse(call.body) as { name?: string; uniqueId?: string };
  return createHash('sha256').update(`${call.account}\n${parsed.name}\n${parsed.uniqueId}`).digest('hex');
}

function forward(
  target: string,
  req: IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const url = new URL(req.url ?? '/', target);
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: url.host };
    const r = request(url, { method: req.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined && k !== 'transfer-encoding' && k !== 'connection')
            out[k] = Array.isArray(v) ? v.join(', ') : v;
        const b = Buffer.concat(chunks);
        out['content-length'] = String(b.length);
        resolve({ status: res.statusCode ?? 500, headers: out, body: b });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(body);
  });
}

/** The error AWS returns for throttling or an internal error, in the protocol of each service. */
function sendFault(res: ServerResponse, call: Call, fault: Fault): void {
  if (call.service === 's3') {
    const [status, code] = fault === 'throttle' ? [503, 'SlowDown'] : [500, 'InternalError'];
    const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected ${fault}</Message><RequestId>fault</RequestId></Error>`;
    res.writeHead(status, { 'content-type': 'application/xml' }).end(xml);
    return;
  }
  if (call.service === 'sts') {
    const [status, code] = fault === 'throttle' ? [400, 'Throttling'] : [500, 'InternalFailure'];
    const xml = `<ErrorResponse><Error><Type>Receiver</Type><Code>${code}</Code><Message>injected ${fault}</Message></Error><RequestId>fault</RequestId></ErrorResponse>`;
    res.writeHead(status, { 'content-type': 'text/xml' }).end(xml);
    return;
  }
  const [status, type] =
    fault === 'throttle'
      ? [
          400,
          call.service === 'dynamodb' ? 'com.amazonaws.dynamodb.v20120810#ThrottlingException' : 'ThrottlingException',
        ]
      : [
          500,
          call.service === 'dynamodb' ? 'com.amazonaws.dynamodb.v20120810#InternalServerError' : 'InternalServiceError',
        ];
  res
    .writeHead(status, { 'content-type': 'application/x-amz-json-1.1' })
    .end(JSON.stringify({ __type: type, message: `injected ${fault}` }));
}

/** A small seeded PRNG, so that a run can be repeated. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The longest chain of calls each of which started after the previous one ended: the number of
 * sequential round trips the calls took, whatever their latency.
 */
export function longestChain(calls: readonly Call[]): number {
  const done = calls
    .filter((c) => c.startedAt !== undefined && c.endedAt !== undefined)
    .sort((a, b) => (a.startedAt as number) - (b.startedAt as number));
  const depth: number[] = [];
  done.forEach((c, j) => {
    let best = 0;
    for (let i = 0; i < j; i++)
      if ((done[i]?.endedAt as number) <= (c.startedAt as number)) best = Math.max(best, depth[i] as number);
    depth[j] = best + 1;
  });
  return Math.max(0, ...depth);
}
