/**
 * Asks `probe` again every `intervalMs` until `done` holds, and resolves what it last answered; throws, naming
 * `what` and the last answer, after `timeoutMs`. For what the emulator finishes shortly after a call returns (an
 * export, an import).
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T>,
  done: (t: T) => boolean,
  { timeoutMs = 20_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not done after ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
