import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore, ByteRange, ByteSource } from '../../ports/blob-store.js';
import { BlobNotFoundError, UploadNotFoundError, UploadOffsetError } from '../../ports/errors.js';
import { fileReadStream } from './file-read-stream.js';
import { blobKey, uploadKey } from './storage-layout.js';

const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException)?.code === 'ENOENT';

/** Blobs as files under a directory, laid out as `storage-layout.ts` says. */
export class FsBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  private path(key: string) {
    return join(this.root, key);
  }

  private async sizeOf(path: string): Promise<number | null> {
    try {
      return (await stat(path)).size;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async startUpload(uploadId: string): Promise<void> {
    const path = this.path(uploadKey(uploadId));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, new Uint8Array());
  }

  async appendUpload(uploadId: string, offset: number, data: ByteSource): Promise<number> {
    const path = this.path(uploadKey(uploadId));
    const size = await this.sizeOf(path);
    if (size === null) throw new UploadNotFoundError(uploadId);
    if (size !== offset) throw new UploadOffsetError(uploadId, offset, size);
    try {
      // A deep write buffer lets the socket keep reading while the disk
      // writes, and lets Node coalesce queued chunks into one writev().
      await pipeline(
        Readable.from(data, { objectMode: false }),
        createWriteStream(path, { flags: 'a', highWaterMark: WRITE_BUFFER_BYTES }),
      );
    } catch (error) {
      // All or nothing: an interrupted append leaves the upload as it was.
      await truncate(path, offset).catch(() => undefined);
      throw error;
    }
    return (await this.sizeOf(path)) ?? offset;
  }

  async uploadSize(uploadId: string): Promise<number | null> {
    return this.sizeOf(this.path(uploadKey(uploadId)));
  }

  async *readUpload(uploadId: string): ByteSource {
    const path = this.path(uploadKey(uploadId));
    try {
      yield* createReadStream(path);
    } catch (error) {
      if (isMissing(error)) throw new UploadNotFoundError(uploadId);
      throw error;
    }
  }

  async commitUpload(uploadId: string, digest: string): Promise<void> {
    const from = this.path(uploadKey(uploadId));
    const to = this.path(blobKey(digest));
    await mkdir(dirname(to), { recursive: true });
    try {
      // rename() is atomic: readers see no blob or the whole blob.
      await rename(from, to);
    } catch (error) {
      if (isMissing(error)) throw new UploadNotFoundError(uploadId);
      throw error;
    }
  }

  async abortUpload(uploadId: string): Promise<void> {
    await rm(this.path(uploadKey(uploadId)), { force: true });
  }

  async stat(digest: string): Promise<{ size: number } | null> {
    const size = await this.sizeOf(this.path(blobKey(digest)));
    return size === null ? null : { size };
  }

  async read(digest: string, range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
    const path = this.path(blobKey(digest));
    const size = await this.sizeOf(path);
    if (size === null) throw new BlobNotFoundError(digest);
    return fileReadStream(path, size, range);
  }

  async delete(digest: string): Promise<void> {
    await rm(this.path(blobKey(digest)), { force: true });
  }

  async redirectUrl(): Promise<string | null> {
    return null;
  }
}
