import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleServer, bundleServerIfStale } from '../../functions/local/bundle-server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the local server bundle', () => {
  it('is made again by npm start only when the sources it is made from changed', async () => {
    // Prepare: a bundle made from the sources as they are.
    await bundleServer();
    expect(await bundleServerIfStale()).toBeNull();
    const extra = join(root, 'functions', 'local', `.stale-check-${process.pid}.ts`);

    // Act and assess: a new source file makes it stale once; so does its removal.
    writeFileSync(extra, '// a change to the sources\n');
    try {
      expect(await bundleServerIfStale()).toBeGreaterThan(0);
      expect(await bundleServerIfStale()).toBeNull();
    } finally {
      rmSync(extra, { force: true });
    }
    expect(await bundleServerIfStale()).toBeGreaterThan(0);
    expect(await bundleServerIfStale()).toBeNull();
  });
});
