import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { BlobStore, ByteRange, ByteSource } from '../../ports/blob-store.js';
import { BlobNotFoundError, UploadNotFoundError, UploadOffsetError } from '../../ports/errors.js';
import {
  uploadDataKey,
  uploadedSize,
  uploadStateKey,
  uploadTailKey,
  type S3UploadState,
} from './s3-upload-state.js';
import { blobKey } from './storage-layout.js';

const MiB = 1024 * 1024;

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix for everything this location stores (Quay's `storage_path`). */
  prefix?: string;
  /** Size of multipart parts; S3 requires at least 5 MiB for all but the last. */
  partSize?: number;
  /**
   * Largest object copied with one CopyObject (S3's limit is 5 GiB); larger
   * uploads are published by streaming them into a new multipart upload.
   */
  copyObjectLimit?: number;
  /** Whether blob reads may answer with presigned URLs (false: storage proxy mode). */
  redirects: boolean;
}

const isMissing = (error: unknown) => error instanceof NoSuchKey || error instanceof NotFound;

/** Takes exactly `size` bytes off the front of `chunks`, leaving the rest. */
function takeBytes(chunks: Uint8Array[], size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let filled = 0;
  while (filled < size) {
    const head = chunks[0]!;
    const n = Math.min(head.byteLength, size - filled);
    out.set(head.subarray(0, n), filled);
    filled += n;
    if (n === head.byteLength) chunks.shift();
    else chunks[0] = head.subarray(n);
  }
  return out;
}

/**
 * Blobs in one S3 bucket (one per region), laid out as `storage-layout.ts`
 * says. Upload sessions are S3 multipart uploads whose progress is recorded
 * in a small state object (see `s3-upload-state.ts`); an append holds at
 * most one part in memory.
 */
export class S3BlobStore implements BlobStore {
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly copyObjectLimit: number;
  private readonly redirects: boolean;

  constructor(options: S3BlobStoreOptions) {
    this.s3 = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ? `${options.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
    this.partSize = options.partSize ?? 8 * MiB;
    this.copyObjectLimit = options.copyObjectLimit ?? 5 * 1024 * MiB;
    this.redirects = options.redirects;
  }

  private key(relative: string) {
    return `${this.prefix}${relative}`;
  }

  private async getBytes(key: string): Promise<Buffer> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  }

  private async putBytes(key: string, body: Uint8Array | string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body }));
  }

  private async loadState(uploadId: string): Promise<S3UploadState> {
    try {
      return JSON.parse((await this.getBytes(this.key(uploadStateKey(uploadId)))).toString('utf8'));
    } catch (error) {
      if (isMissing(error)) throw new UploadNotFoundError(uploadId);
      throw error;
    }
  }

  private async saveState(uploadId: string, state: S3UploadState): Promise<void> {
    await this.putBytes(this.key(uploadStateKey(uploadId)), JSON.stringify(state));
  }

  private async uploadPart(uploadId: string, state: S3UploadState, number: number, body: Buffer) {
    const { ETag } = await this.s3.send(
      new UploadPartCommand({
        Bucket: this.bucket,
        Key: this.key(uploadDataKey(uploadId)),
        UploadId: state.multipartId,
        PartNumber: number,
        Body: body,
      }),
    );
    return { number, etag: ETag!, size: body.byteLength };
  }

  async startUpload(uploadId: string): Promise<void> {
    const { UploadId } = await this.s3.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key(uploadDataKey(uploadId)),
      }),
    );
    await this.saveState(uploadId, {
      multipartId: UploadId!,
      parts: [],
      tail: null,
      generation: 0,
      completed: null,
    });
  }

  async appendUpload(uploadId: string, offset: number, data: ByteSource): Promise<number> {
    const state = await this.loadState(uploadId);
    const size = uploadedSize(state);
    if (state.completed) throw new Error(`upload ${uploadId} is already complete`);
    if (size !== offset) throw new UploadOffsetError(uploadId, offset, size);

    const pending: Uint8Array[] = state.tail ? [await this.getBytes(state.tail.key)] : [];
    let pendingSize = state.tail?.size ?? 0;
    const parts = [...state.parts];
    for await (const chunk of data) {
      pending.push(chunk);
      pendingSize += chunk.byteLength;
      while (pendingSize >= this.partSize) {
        parts.push(
          await this.uploadPart(
            uploadId,
            state,
            parts.length + 1,
            takeBytes(pending, this.partSize),
          ),
        );
        pendingSize -= this.partSize;
      }
    }
    const generation = state.generation + 1;
    let tail: S3UploadState['tail'] = null;
    if (pendingSize > 0) {
      tail = { key: this.key(uploadTailKey(uploadId, generation)), size: pendingSize };
      await this.putBytes(tail.key, takeBytes(pending, pendingSize));
    }
    await this.saveState(uploadId, { ...state, parts, tail, generation });
    if (state.tail) await this.deleteKeys([state.tail.key]);
    return uploadedSize({ ...state, parts, tail });
  }

  async uploadSize(uploadId: string): Promise<number | null> {
    try {
      return uploadedSize(await this.loadState(uploadId));
    } catch (error) {
      if (error instanceof UploadNotFoundError) return null;
      throw error;
    }
  }

  /**
   * Completes the multipart upload so its bytes can be read (S3 cannot read
   * parts in progress). Only done when the upload is being finished.
   */
  private async complete(uploadId: string): Promise<S3UploadState> {
    const state = await this.loadState(uploadId);
    if (state.completed) return state;
    const dataKey = this.key(uploadDataKey(uploadId));
    let completed: S3UploadState['completed'];
    if (state.parts.length === 0) {
      await this.abortMultipart(uploadId, state);
      completed = { key: state.tail?.key ?? null };
    } else {
      const parts = [...state.parts];
      if (state.tail)
        parts.push(
          await this.uploadPart(
            uploadId,
            state,
            parts.length + 1,
            await this.getBytes(state.tail.key),
          ),
        );
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: dataKey,
          UploadId: state.multipartId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.number, ETag: p.etag })) },
        }),
      );
      completed = { key: dataKey };
    }
    const next = { ...state, completed };
    await this.saveState(uploadId, next);
    return next;
  }

  async *readUpload(uploadId: string): ByteSource {
    const { completed } = await this.complete(uploadId);
    if (!completed?.key) return;
    const object = await this.s3.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: completed.key }),
    );
    yield* object.Body!.transformToWebStream() as unknown as AsyncIterable<Uint8Array>;
  }

  async commitUpload(uploadId: string, digest: string): Promise<void> {
    const state = await this.complete(uploadId);
    const target = this.key(blobKey(digest));
    const source = state.completed!.key;
    const size = uploadedSize(state);
    if (source === null) {
      await this.putBytes(target, new Uint8Array());
    } else if (size <= this.copyObjectLimit) {
      await this.s3.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: target,
          CopySource: `${this.bucket}/${encodeURI(source)}`,
        }),
      );
    } else {
      await this.streamCopy(source, target);
    }
    await this.abortUpload(uploadId);
  }

  /** Publishes an object too large for CopyObject by streaming it into a new multipart upload. */
  private async streamCopy(source: string, target: string): Promise<void> {
    const { UploadId } = await this.s3.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: target }),
    );
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: source }));
      const pending: Uint8Array[] = [];
      let pendingSize = 0;
      const parts: { PartNumber: number; ETag: string }[] = [];
      const flush = async (size: number) => {
        const { ETag } = await this.s3.send(
          new UploadPartCommand({
            Bucket: this.bucket,
            Key: target,
            UploadId,
            PartNumber: parts.length + 1,
            Body: takeBytes(pending, size),
          }),
        );
        parts.push({ PartNumber: parts.length + 1, ETag: ETag! });
        pendingSize -= size;
      };
      for await (const chunk of object.Body!.transformToWebStream() as unknown as AsyncIterable<Uint8Array>) {
        pending.push(chunk);
        pendingSize += chunk.byteLength;
        while (pendingSize >= this.partSize) await flush(this.partSize);
      }
      if (pendingSize > 0 || parts.length === 0) await flush(pendingSize);
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: target,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (error) {
      await this.s3
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: target, UploadId }))
        .catch(() => undefined);
      throw error;
    }
  }

  private async abortMultipart(uploadId: string, state: S3UploadState) {
    await this.s3
      .send(
        new AbortMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.key(uploadDataKey(uploadId)),
          UploadId: state.multipartId,
        }),
      )
      .catch(() => undefined);
  }

  private async deleteKeys(keys: string[]) {
    if (keys.length === 0) return;
    await this.s3.send(
      new DeleteObjectsCommand({
        Bucket: this.bucket,
        Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
      }),
    );
  }

  async abortUpload(uploadId: string): Promise<void> {
    let state: S3UploadState;
    try {
      state = await this.loadState(uploadId);
    } catch (error) {
      if (error instanceof UploadNotFoundError) return;
      throw error;
    }
    if (!state.completed) await this.abortMultipart(uploadId, state);
    const keys = [this.key(uploadDataKey(uploadId)), this.key(uploadStateKey(uploadId))];
    if (state.tail) keys.push(state.tail.key);
    await this.deleteKeys(keys);
  }

  async stat(digest: string): Promise<{ size: number } | null> {
    try {
      const head = await this.s3.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(blobKey(digest)) }),
      );
      return { size: head.ContentLength ?? 0 };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async read(digest: string, range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
    try {
      const object = await this.s3.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.key(blobKey(digest)),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return object.Body!.transformToWebStream() as ReadableStream<Uint8Array>;
    } catch (error) {
      if (isMissing(error)) throw new BlobNotFoundError(digest);
      throw error;
    }
  }

  async delete(digest: string): Promise<void> {
    await this.deleteKeys([this.key(blobKey(digest))]);
  }

  async redirectUrl(digest: string, expiresInSeconds: number): Promise<string | null> {
    if (!this.redirects) return null;
    return getSignedUrl(
      this.s3,
      new GetObjectCommand({ Bucket: this.bucket, Key: this.key(blobKey(digest)) }),
      { expiresIn: expiresInSeconds },
    );
  }
}
