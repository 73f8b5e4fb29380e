import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // End-to-end tests start servers and real clients; two cores can't run many at once.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
