/**
 * Settings every SDK client of the product is made with: up to 6 attempts a call (the SDK's
 * standard retry mode: exponential backoff with jitter), and a call that hangs is abandoned and
 * retried rather than holding the function until its timeout. Kept apart from services.ts so that
 * the benchmark's SDK-only handlers (bench/sdk-floor.ts) use the same settings without bundling
 * the product's code.
 */
export const CLIENT_SETTINGS = { maxAttempts: 6, requestHandler: { connectionTimeout: 3_000, requestTimeout: 15_000 } };
