import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Starts and stops a local moto_server (the AWS emulator used by the integration tests,
 * `npm start` and the benchmarks). Always binds to 127.0.0.1 on a free port.
 */
export const MOTO_INSTALL_HINT = 'moto_server is not on PATH. Install it with: pip install "moto[server]"';

const LAUNCHER = join(__dirname, 'moto_server.py');

/** moto_server on PATH, and the Python it runs with able to import moto's server. */
export function motoAvailable(): boolean {
  return (
    spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0 &&
    spawnSync(python(), ['-c', 'import moto.moto_server.werkzeug_app, werkzeug'], { stdio: 'ignore' }).status === 0
  );
}

function python(): string {
  return process.env.PYTHON ?? 'python3';
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startMoto(timeoutMs = 30_000): Promise<Moto> {
  if (!motoAvailable()) throw new Error(MOTO_INSTALL_HINT);
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    // Our launcher rather than `moto_server` itself: same server, but each request is atomic, and DynamoDB
    // export / import follow AWS's documentation where moto departs from it (see moto_server.py).
    // Its log (a line per request) goes to a file, not a pipe: a pipe nobody drains while this
    // process is blocked (spawnSync in the benchmarks) fills up and stalls the server.
    const dir = mkdtempSync(join(tmpdir(), 'moto-'));
    const logFd = openSync(join(dir, 'server.log'), 'w');
    const child = spawn(python(), [LAUNCHER, '127.0.0.1', String(port)], { stdio: ['ignore', 'ignore', logFd] });
    closeSync(logFd);
    const cleanup = () => rmSync(dir, { recursive: true, force: true });
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await waitUntilUp(endpoint, child, timeoutMs);
      return {
        endpoint,
        stop: async () => {
          await stop(child);
          cleanup();
        },
      };
    } catch (e) {
      await stop(child);
      const stderr = readFileSync(join(dir, 'server.log'), 'utf8').slice(-4000);
      cleanup();
      // Another process may have taken the port between our probe and moto's bind.
      if (tries < 2 && /address already in use/i.test(stderr)) continue;
      throw new Error(`moto_server did not start on ${endpoint}: ${(e as Error).message}\n${stderr}`);
    }
  }
}

async function waitUntilUp(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not up after ${timeoutMs} ms`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}
