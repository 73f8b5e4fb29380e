import { createReadStream, createWriteStream, open as openCallback } from 'node:fs';
import { mkdir, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type {
  BlobRef,
  BlobStore,
  ByteRange,
  ByteSource,
  StagedUpload,
  StoredArea,
  StoredObject,
  UploadState,
} from '../../ports/blob-store.js';
import { BlobNotFoundError, UploadNotFoundError } from '../../ports/errors.js';
import { fileReadStream } from './file-read-stream.js';
import { listFiles } from './fs-listing.js';
import { blobKey, uploadKey } from '../../ports/storage-layout.js';

const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;

/** A plain descriptor, not a FileHandle: the write stream owns it and closes it. */
const openFile = promisify(openCallback);

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException)?.code === 'ENOENT';

/**
 * Runs `write`, which makes `path`; only if its directory is missing (the
 * first blob under a prefix, a fresh data directory) is it made and `write`
 * tried again, so the common case costs no mkdir.
 */
async function inDirectory<T>(path: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!isMissing(error)) throw error;
    await mkdir(dirname(path), { recursive: true });
    return write();
  }
}

/**
 * Blobs as files under a directory, laid out as `storage-layout.ts` says.
 * An upload is one staging file, made by its first append; bytes past the
 * committed size are an append that never committed and are cut off
 * before the next one.
 */
export class FsBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  private path(key: string) {
    return join(this.root, key);
  }

  /** Blobs always live under their canonical key here: a rename publishes them. */
  private blobPath(blob: BlobRef) {
    return this.path(blobKey(blob.digest));
  }

  private async sizeOf(path: string): Promise<number | null> {
    try {
      return (await stat(path)).size;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /** Nothing to make yet: an upload's staging file is made by its first append. */
  async startUpload(): Promise<UploadState> {
    return null;
  }

  async appendUpload(
    upload: StagedUpload,
    data: ByteSource,
  ): Promise<{ size: number; state: UploadState }> {
    const path = this.path(uploadKey(upload.id));
    let fd: number;
    if (upload.size === 0) {
      // Nothing committed yet: the file is made, or emptied of an append that never committed.
      fd = await inDirectory(path, () => openFile(path, 'w'));
    } else {
      const size = await this.sizeOf(path);
      if (size === null || size < upload.size) throw new UploadNotFoundError(upload.id);
      if (size > upload.size) await truncate(path, upload.size);
      // 'r+' rather than 'a': a cancel that removed the file ends the append.
      fd = await openFile(path, 'r+').catch((error: unknown) => {
        throw isMissing(error) ? new UploadNotFoundError(upload.id) : error;
      });
    }
    // A deep write buffer lets the socket keep reading while the disk
    // writes, and lets Node coalesce queued chunks into one writev(). The
    // stream owns the descriptor and closes it when done or destroyed.
    const file = createWriteStream(path, {
      fd,
      start: upload.size,
      highWaterMark: WRITE_BUFFER_BYTES,
    });
    try {
      await pipeline(Readable.from(data, { objectMode: false }), file);
    } catch (error) {
      await truncate(path, upload.size).catch(() => undefined);
      if (isMissing(error)) throw new UploadNotFoundError(upload.id);
      throw error;
    }
    // The session's claim keeps other writers out: the file is what this append made it.
    return { size: upload.size + file.bytesWritten, state: null };
  }

  async *readUpload(upload: StagedUpload): ByteSource {
    if (upload.size === 0) return;
    const path = this.path(uploadKey(upload.id));
    try {
      yield* createReadStream(path, { start: 0, end: upload.size - 1 });
    } catch (error) {
      if (isMissing(error)) throw new UploadNotFoundError(upload.id);
      throw error;
    }
  }

  async commitUpload(upload: StagedUpload, digest: string): Promise<BlobRef> {
    const from = this.path(uploadKey(upload.id));
    const to = this.path(blobKey(digest));
    try {
      // Bytes past the committed size are an append that never committed.
      const size = await this.sizeOf(from);
      // An empty blob whose upload never appended a byte has no staging file.
      if (size === null && upload.size === 0 && (await this.sizeOf(to)) === null) {
        await inDirectory(to, () => writeFile(to, new Uint8Array()));
        return { digest, key: null };
      }
      if (size === null) throw Object.assign(new Error(`${from} is gone`), { code: 'ENOENT' });
      if (size > upload.size) await truncate(from, upload.size);
      // rename() is atomic: readers see no blob or the whole blob.
      await inDirectory(to, () => rename(from, to));
    } catch (error) {
      // A repeat after a crash: the first attempt already moved the file.
      if (!isMissing(error) || (await this.sizeOf(to)) !== upload.size) {
        throw isMissing(error) ? new UploadNotFoundError(upload.id) : error;
      }
    }
    return { digest, key: null };
  }

  async abortUpload(uploadId: string): Promise<void> {
    await rm(this.path(uploadKey(uploadId)), { force: true });
  }

  async writeBlob(digest: string, bytes: Uint8Array): Promise<void> {
    const to = this.path(blobKey(digest));
    // Staged like an upload and renamed, so nothing under blobs/ is ever half written.
    const aside = this.path(uploadKey(randomUUID()));
    await mkdir(dirname(aside), { recursive: true });
    await mkdir(dirname(to), { recursive: true });
    await writeFile(aside, bytes);
    await rename(aside, to);
  }

  async stat(blob: BlobRef): Promise<{ size: number } | null> {
    const size = await this.sizeOf(this.blobPath(blob));
    return size === null ? null : { size };
  }

  async read(blob: BlobRef, range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
    const path = this.blobPath(blob);
    const size = await this.sizeOf(path);
    if (size === null) throw new BlobNotFoundError(blob.digest);
    return fileReadStream(path, size, range);
  }

  async delete(blob: BlobRef): Promise<void> {
    await rm(this.blobPath(blob), { force: true });
  }

  async redirectUrl(): Promise<string | null> {
    return null;
  }

  listStored(
    area: StoredArea,
    after: string | null,
    limit: number,
  ): Promise<{ objects: StoredObject[]; next: string | null }> {
    return listFiles(this.root, area, after, limit);
  }
}
