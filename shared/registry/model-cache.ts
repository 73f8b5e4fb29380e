import type { Cache } from '../ports/cache.js';
import type { BlobPlacement, BlobRecord } from '../ports/metadata-store.js';

export interface ModelCacheOptions {
  /** How long a blob found in a repository is remembered (Quay's `repository_blob_cache_ttl`). */
  repositoryBlobTtlMs: number;
}

export const DEFAULT_MODEL_CACHE_OPTIONS: ModelCacheOptions = { repositoryBlobTtlMs: 60_000 };

/**
 * What the registry remembers between requests to spare the database, as
 * Quay's model cache does: the blob lookups every layer pull makes.
 *
 * Only positive answers are kept (a blob pushed a moment ago must be found at
 * once). A found blob is two entries, one per fact: `repository-blob:<id>:<digest>`
 * (it is linked into the repository) and `blob:<digest>` (its size and where
 * its bytes are); a hit needs both. Unlinking from one repository forgets the
 * first; garbage collection forgets the second, which undoes every
 * repository's entry at once. Repository ids are never reused, so a deleted
 * repository's entries are unreachable. A reader that loaded a row just
 * before a collector removed it may still write it back afterwards; such an
 * entry lives at most one TTL, and a process-local cache on another machine
 * keeps its entries that long too.
 */
export class ModelCache {
  constructor(
    private readonly cache: Cache,
    private readonly options: ModelCacheOptions = DEFAULT_MODEL_CACHE_OPTIONS,
  ) {}

  async repositoryBlob(
    repositoryId: number,
    digest: string,
    load: () => Promise<BlobRecord | null>,
  ): Promise<BlobRecord | null> {
    const keys = [linkKey(repositoryId, digest), blobKey(digest)];
    const [linked, blob] = await this.cache.getMany(keys);
    if (linked != null && blob != null) {
      const cached = parseBlob(digest, blob);
      if (cached) return cached;
    }
    const loaded = await load();
    if (loaded) {
      const ttl = this.options.repositoryBlobTtlMs;
      const value = JSON.stringify({ size: loaded.size, placements: loaded.placements });
      await Promise.all([this.cache.set(keys[0]!, '1', ttl), this.cache.set(keys[1]!, value, ttl)]);
    }
    return loaded;
  }

  async forgetRepositoryBlob(repositoryId: number, digest: string): Promise<void> {
    await this.cache.delete([linkKey(repositoryId, digest)]);
  }

  async forgetBlobs(digests: string[]): Promise<void> {
    await this.cache.delete(digests.map(blobKey));
  }
}

function linkKey(repositoryId: number, digest: string): string {
  return `repository-blob:${repositoryId}:${digest}`;
}

function blobKey(digest: string): string {
  return `blob:${digest}`;
}

function isPlacement(value: unknown): value is BlobPlacement {
  const p = value as Partial<BlobPlacement> | null;
  return typeof p?.location === 'string' && (p.key === null || typeof p.key === 'string');
}

/** A cached record, or null for one this version cannot read (it is then loaded afresh). */
function parseBlob(digest: string, value: string): BlobRecord | null {
  try {
    const { size, placements } = JSON.parse(value) as { size: unknown; placements: unknown };
    if (typeof size !== 'number' || !Array.isArray(placements)) return null;
    if (!placements.every(isPlacement)) return null;
    return { digest, size, placements };
  } catch {
    return null;
  }
}
