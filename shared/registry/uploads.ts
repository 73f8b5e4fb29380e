import type { Hash } from 'node:crypto';
import { ociError } from '../errors/registry-error.js';
import { createDigester, finishDigest, parseDigest, type Digest } from '../oci/digest.js';
import type { ByteSource } from '../ports/blob-store.js';
import { UploadNotFoundError, UploadOffsetError } from '../ports/errors.js';
import type { UploadRecord } from '../ports/metadata-store.js';
import { KeyedLock } from './keyed-lock.js';
import type { RegistryDeps } from './registry-deps.js';
import { assertRepositoryName, repositoryForPush } from './repositories.js';

import { quotaDenied } from './quota-policy.js';
import { RunningDigests } from './running-digests.js';

/**
 * Blob upload sessions.
 *
 * Invariants:
 * - Bytes are staged in the upload's storage location and become a blob only
 *   in `finish`, after their digest has been computed from the stored bytes'
 *   stream and matched. Until the metadata row is written the blob is
 *   invisible; a crash in between leaves an unreferenced file, never a
 *   visible partial blob.
 * - Each append is all or nothing (the store rolls a failed append back), so
 *   the upload's size is always the end of the last accepted chunk, and the
 *   running digest is replaced only after the store accepted the chunk.
 * - A failed digest check, a cancel, or a rejected chunk that ends the session
 *   removes the staged bytes and the session row.
 * - Appends to one upload are serialized in this process; across processes
 *   the store's offset check turns a lost race into a 416.
 */

/** Parsed `Content-Range` of a chunk: inclusive start and end. */
export interface ChunkRange {
  start: number;
  end: number;
}

export type UploadStart =
  { kind: 'session'; uploadId: string; offset: number } | { kind: 'blob'; digest: string };

export function rangeHeader(size: number): string {
  return `0-${Math.max(size - 1, 0)}`;
}

/** `Content-Range` as the spec writes it (`0-1023`); tolerates the `bytes ` prefix. */
export function parseContentRange(value: string, currentSize: number): ChunkRange {
  const match = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(value.trim());
  if (!match || Number(match[2]) < Number(match[1])) {
    throw rangeError('Content-Range must be <start>-<end>', currentSize);
  }
  return { start: Number(match[1]), end: Number(match[2]) };
}

function rangeError(message: string, currentSize: number) {
  return ociError('RANGE_INVALID', {
    message,
    detail: { size: currentSize },
    headers: { Range: rangeHeader(currentSize) },
  });
}

async function* metered(
  source: ByteSource,
  hash: Hash | undefined,
  expectedLength: number | undefined,
): ByteSource {
  let length = 0;
  for await (const chunk of source) {
    length += chunk.byteLength;
    if (expectedLength !== undefined && length > expectedLength) {
      throw ociError('SIZE_INVALID', { message: 'chunk is longer than its Content-Range' });
    }
    hash?.update(chunk);
    yield chunk;
  }
  if (expectedLength !== undefined && length !== expectedLength) {
    throw ociError('SIZE_INVALID', { message: 'chunk is shorter than its Content-Range' });
  }
}

export class UploadService {
  private readonly running = new RunningDigests();
  private readonly locks = new KeyedLock();

  constructor(private readonly deps: RegistryDeps) {}

  /** `POST .../blobs/uploads/`, optionally as a cross-repository mount. */
  async start(name: string, mount?: { digest: string; from?: string }): Promise<UploadStart> {
    const repository = await repositoryForPush(this.deps, name);
    const overQuota = await this.deps.metadata.quotaRejection(repository.id);
    if (overQuota) throw quotaDenied(overQuota);
    if (mount?.from && parseDigest(mount.digest)) {
      const mounted = await this.tryMount(repository.id, mount.digest, mount.from);
      if (mounted) return { kind: 'blob', digest: mount.digest };
    }
    const uploadId = this.deps.newId();
    const location = this.deps.storage.preferred;
    await this.deps.storage.get(location).startUpload(uploadId);
    await this.deps.metadata.createUpload({
      id: uploadId,
      repositoryId: repository.id,
      location,
      size: 0,
      createdAtMs: this.deps.clock.now(),
    });
    this.running.start(uploadId);
    return { kind: 'session', uploadId, offset: 0 };
  }

  /** A mount that cannot happen (unknown source, blob not there) falls back to an upload. */
  private async tryMount(repositoryId: number, digest: string, from: string): Promise<boolean> {
    const source = await this.deps.metadata.findRepository(from);
    if (!source) return false;
    const blob = await this.deps.cache.repositoryBlob(source.id, digest, () =>
      this.deps.metadata.findRepositoryBlob(source.id, digest),
    );
    if (!blob) return false;
    return this.deps.metadata.linkBlob(repositoryId, digest, this.deps.clock.now());
  }

  /** `POST .../blobs/uploads/?digest=` with the whole blob as body. */
  async uploadMonolithic(name: string, digest: string, data: ByteSource): Promise<string> {
    const expected = this.requireDigest(digest);
    const started = await this.start(name);
    if (started.kind !== 'session') throw new Error('a plain upload start always opens a session');
    return this.finish(name, started.uploadId, expected.value, data);
  }

  private async session(name: string, uploadId: string): Promise<UploadRecord> {
    assertRepositoryName(name);
    // An unknown repository cannot hold the session: the session is what is unknown.
    const repository = await this.deps.metadata.findRepository(name);
    const upload = repository && (await this.deps.metadata.findUpload(repository.id, uploadId));

    if (!upload) throw ociError('BLOB_UPLOAD_UNKNOWN', { detail: { uploadId } });
    return upload;
  }

  private async sizeOf(upload: UploadRecord): Promise<number> {
    const size = await this.deps.storage.get(upload.location).uploadSize(upload.id);
    if (size === null) throw ociError('BLOB_UPLOAD_UNKNOWN', { detail: { uploadId: upload.id } });
    return size;
  }

  /** `GET` on an upload: bytes received so far. */
  async status(name: string, uploadId: string): Promise<number> {
    return this.sizeOf(await this.session(name, uploadId));
  }

  /** `PATCH`: a streamed chunk (no range) or a chunk at `range`. Returns the new size. */
  async append(
    name: string,
    uploadId: string,
    data: ByteSource,
    contentRange?: string,
  ): Promise<number> {
    const upload = await this.session(name, uploadId);
    return this.locks.run(uploadId, () => this.appendLocked(upload, data, contentRange));
  }

  private async appendLocked(
    upload: UploadRecord,
    data: ByteSource,
    contentRange: string | undefined,
  ): Promise<number> {
    const offset = await this.sizeOf(upload);
    let expectedLength: number | undefined;
    if (contentRange !== undefined) {
      const range = parseContentRange(contentRange, offset);
      if (range.start !== offset) {
        throw rangeError(`chunk starts at ${range.start}, upload is at ${offset}`, offset);
      }
      expectedLength = range.end - range.start + 1;
    }
    const running = this.running.at(upload.id, offset);
    // Hash into a copy: the running digest may only move once the store has the chunk.
    const hash = running?.hash.copy();
    let size: number;
    try {
      size = await this.deps.storage
        .get(upload.location)
        .appendUpload(upload.id, offset, metered(data, hash, expectedLength));
    } catch (error) {
      if (error instanceof UploadOffsetError) throw rangeError(error.message, error.actual);
      if (error instanceof UploadNotFoundError) {
        throw ociError('BLOB_UPLOAD_UNKNOWN', { detail: { uploadId: upload.id } });
      }
      throw error;
    }
    if (running && hash) {
      running.hash = hash;
      running.offset = size;
    } else {
      this.running.forget(upload.id);
    }
    await this.deps.metadata.setUploadSize(upload.id, size, this.deps.clock.now());
    return size;
  }

  private requireDigest(digest: string | undefined): Digest {
    if (!digest) {
      throw ociError('DIGEST_INVALID', { message: 'the digest query parameter is required' });
    }
    const parsed = parseDigest(digest);
    if (!parsed) {
      throw ociError('DIGEST_INVALID', {
        message: 'digest must be sha256 or sha512 in canonical form',
        detail: { digest },
      });
    }
    return parsed;
  }

  /**
   * `PUT ?digest=`: appends the last chunk if there is one, verifies the
   * digest of everything received, and publishes the blob.
   */
  async finish(
    name: string,
    uploadId: string,
    digest: string | undefined,
    data: ByteSource | null,
    contentRange?: string,
  ): Promise<string> {
    const upload = await this.session(name, uploadId);
    return this.locks.run(uploadId, async () => {
      const expected = this.requireDigest(digest);
      if (data) await this.appendLocked(upload, data, contentRange);
      const store = this.deps.storage.get(upload.location);
      const size = await this.sizeOf(upload);
      const actual = await this.digestOf(upload, expected, size);
      if (actual !== expected.value) {
        await this.discard(upload);
        throw ociError('DIGEST_INVALID', { detail: { expected: expected.value, actual } });
      }
      await this.deps.metadata.touchBlob(expected.value, this.deps.clock.now());
      if (await store.stat(expected.value)) {
        await store.abortUpload(upload.id);
      } else {
        await store.commitUpload(upload.id, expected.value);
      }
      await this.deps.metadata.recordBlob(
        upload.repositoryId,
        { digest: expected.value, size, location: upload.location },
        this.deps.clock.now(),
      );
      await this.deps.metadata.deleteUpload(upload.id);
      this.running.forget(upload.id);
      return expected.value;
    });
  }

  private async digestOf(upload: UploadRecord, expected: Digest, size: number): Promise<string> {
    const running = this.running.at(upload.id, size);
    if (running && expected.algorithm === 'sha256') return finishDigest('sha256', running.hash);
    const hash = createDigester(expected.algorithm);
    for await (const chunk of this.deps.storage.get(upload.location).readUpload(upload.id)) {
      hash.update(chunk);
    }
    return finishDigest(expected.algorithm, hash);
  }

  /** `DELETE` on an upload. */
  async cancel(name: string, uploadId: string): Promise<void> {
    const upload = await this.session(name, uploadId);
    await this.locks.run(uploadId, () => this.discard(upload));
  }

  private async discard(upload: UploadRecord): Promise<void> {
    await this.deps.storage.get(upload.location).abortUpload(upload.id);
    await this.deps.metadata.deleteUpload(upload.id);
    this.running.forget(upload.id);
  }
}
