/** Three tiers: `unit` (no network) and `integration` (a moto_server each file starts on a free loopback port) and `stack` (templates). */
const common = {
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  // middy ≥ 5 is ESM-only: let swc turn it into CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/support/env.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      slowTestThreshold: 30,
      // Runs after jest's summary: the last lines say when the suites needing moto_server were skipped.
      globalTeardown: '<rootDir>/test/support/moto-notice.ts',
    },
    // sls package + cfn-lint on every template we ship (offline, no AWS credentials).
    { ...common, displayName: 'stack', testMatch: ['<rootDir>/test/stack/**/*.test.ts'], slowTestThreshold: 30 },
  ],
};
