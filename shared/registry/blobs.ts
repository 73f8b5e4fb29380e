import { ociError } from '../errors/registry-error.js';
import { parseDigest } from '../oci/digest.js';
import type { ByteRange } from '../ports/blob-store.js';
import type { BlobRecord } from '../ports/metadata-store.js';
import type { RegistryDeps } from './registry-deps.js';
import { assertDeletionEnabled, existingRepository } from './repositories.js';

export type BlobContent =
  | { kind: 'redirect'; url: string; blob: BlobRecord }
  | { kind: 'stream'; stream: ReadableStream<Uint8Array>; blob: BlobRecord; range?: ByteRange };

export class BlobService {
  constructor(private readonly deps: RegistryDeps) {}

  /** The blob as seen through `name`: it must be linked into that repository. */
  async stat(name: string, digest: string): Promise<BlobRecord> {
    const repository = await existingRepository(this.deps, name);
    if (!parseDigest(digest)) throw ociError('DIGEST_INVALID', { detail: { digest } });
    const blob = await this.deps.cache.repositoryBlob(repository.id, digest, () =>
      this.deps.metadata.findRepositoryBlob(repository.id, digest),
    );
    if (!blob) throw ociError('BLOB_UNKNOWN', { detail: { digest } });
    return blob;
  }

  /**
   * Opens the blob for reading: a redirect when the chosen location can hand
   * out URLs, else a stream of the bytes (of the `Range` header's range, if
   * it names one). An unsatisfiable range is refused here either way.
   */
  async open(name: string, digest: string, rangeHeader?: string): Promise<BlobContent> {
    const blob = await this.stat(name, digest);
    const range = parseByteRange(rangeHeader, blob.size);
    if (range === null) {
      throw ociError('RANGE_INVALID', {
        message: `range ${rangeHeader} is not satisfiable`,
        headers: { 'Content-Range': `bytes */${blob.size}` },
      });
    }
    const storage = this.deps.storage;
    const first = await storage.chooseConfirmed(blob);
    if (!first)
      throw ociError('BLOB_UNKNOWN', { detail: { digest, reason: 'no storage holds it' } });
    // A presigned GET honours the client's own Range header, so ranged reads
    // (resumed pulls, lazy-pulling snapshotters) redirect too.
    const url = await first.store.redirectUrl(first.ref, this.deps.options.redirectExpirySeconds);
    if (url) return { kind: 'redirect', url, blob };
    // Read through the registry: a location that fails hands over to the next that holds it.
    const others = storage.candidates(blob).filter((c) => c.name !== first.name);
    let failure: unknown;
    for (const location of [first, ...others]) {
      try {
        const stream = await location.store.read(location.ref, range);
        storage.health.reportSuccess(location.name);
        return range ? { kind: 'stream', stream, blob, range } : { kind: 'stream', stream, blob };
      } catch (error) {
        storage.health.reportFailure(location.name, error);
        failure = error;
      }
    }
    throw failure;
  }

  /**
   * Unlinks the blob from the repository. The bytes stay until garbage
   * collection finds no repository and no manifest using them.
   */
  async delete(name: string, digest: string): Promise<void> {
    assertDeletionEnabled(this.deps);
    const repository = await existingRepository(this.deps, name);
    if (!parseDigest(digest)) throw ociError('DIGEST_INVALID', { detail: { digest } });
    const unlinked = await this.deps.metadata.unlinkBlob(repository.id, digest);
    await this.deps.cache.forgetRepositoryBlob(repository.id, digest);
    if (!unlinked) throw ociError('BLOB_UNKNOWN', { detail: { digest } });
  }
}

/**
 * A single `Range: bytes=a-b` / `a-` / `-n` against a blob of `size` bytes.
 * `undefined` means "no usable range header" (serve everything); `null`
 * means unsatisfiable (answer 416).
 */
export function parseByteRange(
  header: string | undefined,
  size: number,
): ByteRange | undefined | null {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return null;
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return null;
  return { start, end };
}
