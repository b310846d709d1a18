/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  setupFiles: ['<rootDir>/test/setup/quietFunctionsTestMode.ts'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/setup/PlainSummaryReporter.js'],
  // Each integration file starts its own Azurite and Graph simulator; two cores run two at a time.
  maxWorkers: 2,
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};
