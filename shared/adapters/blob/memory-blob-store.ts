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
import { blobKey, uploadKey } from '../../ports/storage-layout.js';

/** Blobs in memory, for unit tests only: it holds whole blobs by design. */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Uint8Array>();
  private readonly uploads = new Map<string, Uint8Array>();
  /** When each key was last written, as a real store would report it. */
  private readonly written = new Map<string, number>();

  private stage(uploadId: string, bytes: Uint8Array) {
    this.uploads.set(uploadId, bytes);
    this.written.set(uploadKey(uploadId), Date.now());
  }

  private keep(digest: string, bytes: Uint8Array) {
    this.blobs.set(digest, bytes);
    this.written.set(blobKey(digest), Date.now());
  }

  /** The sessions with staged bytes, so tests can see that nothing is left behind. */
  stagedUploads(): string[] {
    return [...this.uploads.keys()];
  }

  async startUpload(uploadId: string): Promise<UploadState> {
    this.stage(uploadId, new Uint8Array());
    return null;
  }

  private staged(upload: StagedUpload): Uint8Array {
    const bytes = this.uploads.get(upload.id);
    if (!bytes || bytes.byteLength < upload.size) throw new UploadNotFoundError(upload.id);
    return bytes.subarray(0, upload.size);
  }

  async appendUpload(
    upload: StagedUpload,
    data: ByteSource,
  ): Promise<{ size: number; state: UploadState }> {
    const parts: Uint8Array[] = [this.staged(upload)];
    for await (const chunk of data) parts.push(chunk);
    const next = Buffer.concat(parts);
    if (!this.uploads.has(upload.id)) throw new UploadNotFoundError(upload.id);
    this.stage(upload.id, next);
    return { size: next.byteLength, state: null };
  }

  async *readUpload(upload: StagedUpload): ByteSource {
    yield this.staged(upload);
  }

  async commitUpload(upload: StagedUpload, digest: string): Promise<BlobRef> {
    if (this.uploads.has(upload.id)) {
      this.keep(digest, this.staged(upload));
      this.uploads.delete(upload.id);
    } else if (this.blobs.get(digest)?.byteLength !== upload.size) {
      throw new UploadNotFoundError(upload.id);
    }
    return { digest, key: null };
  }

  async abortUpload(uploadId: string): Promise<void> {
    this.uploads.delete(uploadId);
  }

  async writeBlob(digest: string, bytes: Uint8Array): Promise<void> {
    this.keep(digest, bytes.slice());
  }

  async stat(blob: BlobRef): Promise<{ size: number } | null> {
    const bytes = this.blobs.get(blob.digest);
    return bytes ? { size: bytes.byteLength } : null;
  }

  async read(blob: BlobRef, range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
    const bytes = this.blobs.get(blob.digest);
    if (!bytes) throw new BlobNotFoundError(blob.digest);
    const slice = range ? bytes.subarray(range.start, range.end + 1) : bytes;
    return new ReadableStream({
      start(controller) {
        controller.enqueue(slice);
        controller.close();
      },
    });
  }

  async delete(blob: BlobRef): Promise<void> {
    this.blobs.delete(blob.digest);
  }

  async redirectUrl(): Promise<string | null> {
    return null;
  }

  async listStored(
    area: StoredArea,
    after: string | null,
    limit: number,
  ): Promise<{ objects: StoredObject[]; next: string | null }> {
    const entries: [string, Uint8Array][] =
      area === 'blobs'
        ? [...this.blobs].map(([digest, bytes]) => [blobKey(digest), bytes])
        : [...this.uploads].map(([id, bytes]) => [uploadKey(id), bytes]);
    const all = entries
      .filter(([key]) => after === null || key > after)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    const objects = all.slice(0, limit).map(([key, bytes]) => ({
      key,
      size: bytes.byteLength,
      modifiedMs: this.written.get(key) ?? 0,
    }));
    return { objects, next: all.length > limit ? objects[objects.length - 1]!.key : null };
  }
}
