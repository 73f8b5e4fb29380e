import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import { FsBlobStore } from '../../shared/adapters/blob/fs-blob-store.js';
import { MemoryBlobStore } from '../../shared/adapters/blob/memory-blob-store.js';
import { blobStoreContract } from './blob-store.contract.js';

describe('FsBlobStore', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  blobStoreContract(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-fs-contract-'));
    dirs.push(dir);
    return new FsBlobStore(dir);
  });
});

describe('MemoryBlobStore', () => {
  blobStoreContract(async () => new MemoryBlobStore());
});
