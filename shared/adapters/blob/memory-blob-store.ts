import type { BlobStore, ByteRange, ByteSource } from '../../ports/blob-store.js';
import { BlobNotFoundError, UploadNotFoundError, UploadOffsetError } from '../../ports/errors.js';

const concat = (parts: Uint8Array[]) => Buffer.concat(parts);

/** Blobs in memory, for unit tests only: it holds whole blobs by design. */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Uint8Array>();
  private readonly uploads = new Map<string, Uint8Array>();

  async startUpload(uploadId: string): Promise<void> {
    this.uploads.set(uploadId, new Uint8Array());
  }

  async appendUpload(uploadId: string, offset: number, data: ByteSource): Promise<number> {
    const current = this.uploads.get(uploadId);
    if (!current) throw new UploadNotFoundError(uploadId);
    if (current.byteLength !== offset) {
      throw new UploadOffsetError(uploadId, offset, current.byteLength);
    }
    const parts: Uint8Array[] = [current];
    for await (const chunk of data) parts.push(chunk);
    const next = concat(parts);
    this.uploads.set(uploadId, next);
    return next.byteLength;
  }

  async uploadSize(uploadId: string): Promise<number | null> {
    return this.uploads.get(uploadId)?.byteLength ?? null;
  }

  async *readUpload(uploadId: string): ByteSource {
    const bytes = this.uploads.get(uploadId);
    if (!bytes) throw new UploadNotFoundError(uploadId);
    yield bytes;
  }

  async commitUpload(uploadId: string, digest: string): Promise<void> {
    const bytes = this.uploads.get(uploadId);
    if (!bytes) throw new UploadNotFoundError(uploadId);
    this.blobs.set(digest, bytes);
    this.uploads.delete(uploadId);
  }

  async abortUpload(uploadId: string): Promise<void> {
    this.uploads.delete(uploadId);
  }

  async stat(digest: string): Promise<{ size: number } | null> {
    const bytes = this.blobs.get(digest);
    return bytes ? { size: bytes.byteLength } : null;
  }

  async read(digest: string, range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
    const bytes = this.blobs.get(digest);
    if (!bytes) throw new BlobNotFoundError(digest);
    const slice = range ? bytes.subarray(range.start, range.end + 1) : bytes;
    return new ReadableStream({
      start(controller) {
        controller.enqueue(slice);
        controller.close();
      },
    });
  }

  async delete(digest: string): Promise<void> {
    this.blobs.delete(digest);
  }

  async redirectUrl(): Promise<string | null> {
    return null;
  }
}
