import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // End-to-end tests start servers and real clients; two cores can't run many at once.
    maxWorkers: 2,
    minWorkers: 1,
    poolOptions: {
      // s3rver encrypts ListObjectsV2 continuation tokens with DES, which
      // Node's OpenSSL 3 keeps in its legacy provider: without it, any
      // listing that does not fit one page fails inside s3rver.
      forks: { execArgv: ['--openssl-legacy-provider'] },
    },
  },
});
