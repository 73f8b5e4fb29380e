import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NoSuchUpload,
  NotFound,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
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
import {
  currentStagingKeys,
  newUploadState,
  parseUploadState,
  partSizeOf,
  uploadPartsKey,
  uploadTailKey,
  type S3UploadState,
} from './s3-upload-state.js';
import { blobKey, uploadedBlobKey, uploadKey } from '../../ports/storage-layout.js';
import type { PartCopy } from './s3-part-copy.js';

const MiB = 1024 * 1024;

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix for everything this location stores (Quay's `storage_path`). */
  prefix?: string;
  /** Size of multipart parts; S3 requires at least 5 MiB for all but the last. */
  partSize?: number;
  /** Whether blob reads may answer with presigned URLs (false: storage proxy mode). */
  redirects: boolean;
  /** Parts an append uploads at once; each holds one part in memory (default 4). */
  partsInFlight?: number;
  /**
   * Stores with the same value are reached through one S3 service (the same
   * endpoint, or AWS itself across regions) and copy between each other
   * with CopyObject; unset, a store never copies server-side.
   */
  copyDomain?: string;
  /** Blobs up to this size are copied with one CopyObject, larger ones in parts (default 5 GiB, CopyObject's most). */
  maxCopyObjectBytes?: number;
  /** The size of each part of a copy in parts (default 512 MiB; raised to fit 10,000 parts). */
  copyPartBytes?: number;
  /**
   * How blobs over `maxCopyObjectBytes` are copied inside S3 (`copyInParts`,
   * UploadPartCopy); without it they stream. Given only where replication
   * runs, so the functions that never copy do not carry it.
   */
  partCopy?: (s3: S3Client, copy: PartCopy) => Promise<void>;
}

/** The most CopyObject copies in one request; larger objects are copied in parts. */
export const MAX_COPY_OBJECT_BYTES = 5 * 1024 * MiB;
/** Parts of a copy in parts copied at once. */
const COPY_PARTS_IN_FLIGHT = 8;

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
 * CopyObject's source: `bucket/key`, or through an access point its
 * object ARN (`<access point ARN>/object/<key>`), URL-encoded either way.
 */
export function copySource(bucket: string, key: string): string {
  return bucket.startsWith('arn:')
    ? `${bucket}/object/${encodeURI(key)}`
    : `${bucket}/${encodeURI(key)}`;
}

/**
 * Blobs in one S3 bucket (one per region), laid out as `storage-layout.ts`
 * says. An upload session streams into an S3 multipart upload created at
 * the key the blob will keep, so finishing even a multi-gigabyte layer is
 * one CompleteMultipartUpload (plus the tail as its last part), never a copy.
 * An append holds at most `partsInFlight` parts in memory while they upload.
 */
export class S3BlobStore implements BlobStore {
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly redirects: boolean;
  private readonly partsInFlight: number;
  private readonly copyDomain: string | undefined;
  private readonly maxCopyObjectBytes: number;
  private readonly copyPartBytes: number;
  private readonly partCopy: S3BlobStoreOptions['partCopy'];

  constructor(options: S3BlobStoreOptions) {
    this.s3 = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ? `${options.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
    this.partSize = options.partSize ?? 8 * MiB;
    this.redirects = options.redirects;
    this.partsInFlight = options.partsInFlight ?? 4;
    this.copyDomain = options.copyDomain;
    this.maxCopyObjectBytes = Math.min(
      options.maxCopyObjectBytes ?? MAX_COPY_OBJECT_BYTES,
      MAX_COPY_OBJECT_BYTES,
    );
    this.copyPartBytes = options.copyPartBytes ?? 512 * MiB;
    this.partCopy = options.partCopy;
  }

  async copyWithin(
    source: BlobStore,
    blob: BlobRef,
    size: number,
  ): Promise<{ ref: BlobRef; sha256Base64: string | null } | null> {
    if (!(source instanceof S3BlobStore) || this.copyDomain === undefined) return null;
    if (source.copyDomain !== this.copyDomain) return null;
    const key = this.key(blobKey(blob.digest));
    const from = copySource(source.bucket, source.objectKey(blob));
    if (size > this.maxCopyObjectBytes) {
      if (!this.partCopy) return null;
      // S3 reports no SHA-256 of a whole multipart object: the caller reads it back.
      await this.partCopy(this.s3, {
        bucket: this.bucket,
        key,
        copySource: from,
        size,
        partBytes: this.copyPartBytes,
        concurrency: COPY_PARTS_IN_FLIGHT,
      });
      return { ref: { digest: blob.digest, key: null }, sha256Base64: null };
    }
    const copied = await this.s3.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: key,
        CopySource: from,
        // S3 computes the copy's SHA-256, which the caller checks against the digest.
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    return {
      ref: { digest: blob.digest, key: null },
      sha256Base64: copied.CopyObjectResult?.ChecksumSHA256 ?? null,
    };
  }

  private key(relative: string) {
    return `${this.prefix}${relative}`;
  }

  private objectKey(blob: BlobRef) {
    return this.key(blob.key ?? blobKey(blob.digest));
  }

  private async getBytes(key: string): Promise<Buffer> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  }

  private async putBytes(key: string, body: Uint8Array | string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body }));
  }

  private async staging(key: string, uploadId: string): Promise<Buffer> {
    try {
      return await this.getBytes(this.key(key));
    } catch (error) {
      if (isMissing(error)) throw new UploadNotFoundError(uploadId);
      throw error;
    }
  }

  private async etags(uploadId: string, state: S3UploadState): Promise<string[]> {
    if (state.parts === 0) return [];
    const list = JSON.parse(
      (await this.staging(uploadPartsKey(uploadId, state.partsGeneration), uploadId)).toString(),
    ) as string[];
    return list.slice(0, state.parts);
  }

  async startUpload(): Promise<UploadState> {
    return { ...newUploadState(this.partSize) };
  }

  async appendUpload(
    upload: StagedUpload,
    data: ByteSource,
  ): Promise<{ size: number; state: UploadState }> {
    const state = parseUploadState(upload.state, upload.id);
    // The state given is committed, so what it superseded is garbage now.
    const cleanup = this.deleteKeys(state.obsolete.map((k) => this.key(k))).catch(() => undefined);
    const generation = state.generation + 1;
    const pending: Uint8Array[] =
      state.tail > 0
        ? [await this.staging(uploadTailKey(upload.id, state.tailGeneration), upload.id)]
        : [];
    let pendingSize = state.tail;
    let multipartId = state.multipartId;
    let parts = state.parts;
    let received = 0;
    const added: string[] = [];
    // A few parts in flight at once: one S3 PUT stream is slower than a socket.
    const inFlight = new Set<Promise<void>>();
    const failures: unknown[] = [];
    try {
      for await (const chunk of data) {
        pending.push(chunk);
        pendingSize += chunk.byteLength;
        received += chunk.byteLength;
        for (
          let next = partSizeOf(state, parts + 1);
          pendingSize >= next;
          next = partSizeOf(state, parts + 1)
        ) {
          multipartId ??= await this.createMultipart(upload.id);
          const index = parts - state.parts;
          const sending = this.uploadPart(
            upload.id,
            multipartId,
            parts + 1,
            takeBytes(pending, next),
          )
            .then(
              (etag) => void (added[index] = etag),
              (error: unknown) => void failures.push(error),
            )
            .finally(() => inFlight.delete(sending));
          inFlight.add(sending);
          pendingSize -= next;
          parts += 1;
          if (failures.length > 0) throw failures[0];
          // Backpressure: the stream waits while the parts in flight fill memory.
          while (inFlight.size >= this.partsInFlight) await Promise.race(inFlight);
        }
      }
    } finally {
      await Promise.all(inFlight);
    }
    if (failures.length > 0) throw failures[0];
    if (received === 0) {
      await cleanup;
      return { size: upload.size, state: { ...state, obsolete: [] } };
    }
    const writes: Promise<void>[] = [];
    const next: S3UploadState = {
      ...state,
      multipartId,
      generation,
      parts,
      tail: pendingSize,
      obsolete: [],
    };
    if (added.length > 0) {
      const etags = [...(await this.etags(upload.id, state)), ...added];
      writes.push(
        this.putBytes(this.key(uploadPartsKey(upload.id, generation)), JSON.stringify(etags)),
      );
      next.partsGeneration = generation;
    }
    if (pendingSize > 0) {
      writes.push(
        this.putBytes(
          this.key(uploadTailKey(upload.id, generation)),
          takeBytes(pending, pendingSize),
        ),
      );
      next.tailGeneration = generation;
    }
    await Promise.all(writes);
    next.obsolete = currentStagingKeys(upload.id, state).filter(
      (k) => !currentStagingKeys(upload.id, next).includes(k),
    );
    await cleanup;
    return { size: upload.size + received, state: { ...next } };
  }

  private async createMultipart(uploadId: string): Promise<string> {
    const { UploadId } = await this.s3.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key(uploadedBlobKey(uploadId)),
      }),
    );
    return UploadId!;
  }

  private async uploadPart(uploadId: string, multipartId: string, number: number, body: Buffer) {
    const { ETag } = await this.s3.send(
      new UploadPartCommand({
        Bucket: this.bucket,
        Key: this.key(uploadedBlobKey(uploadId)),
        UploadId: multipartId,
        PartNumber: number,
        Body: body,
      }),
    );
    return ETag!;
  }

  /**
   * Completes the multipart upload, the tail as its last part. Repeating it
   * (a finish retried after a crash) finds the upload gone and the object
   * in place, which is success too.
   */
  private async complete(upload: StagedUpload, state: S3UploadState): Promise<void> {
    const key = this.key(uploadedBlobKey(upload.id));
    const etags = await this.etags(upload.id, state);
    try {
      if (state.tail > 0) {
        const tail = await this.staging(uploadTailKey(upload.id, state.tailGeneration), upload.id);
        etags.push(await this.uploadPart(upload.id, state.multipartId!, state.parts + 1, tail));
      }
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: state.multipartId!,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) },
        }),
      );
    } catch (error) {
      // S3 answers NoSuchUpload to a repeat; S3-compatible servers vary.
      if ((await this.headSize(key)) === upload.size) return;
      throw error instanceof NoSuchUpload ? new UploadNotFoundError(upload.id) : error;
    }
  }

  private async headSize(key: string): Promise<number | null> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async *readUpload(upload: StagedUpload): ByteSource {
    const state = parseUploadState(upload.state, upload.id);
    let key: string;
    if (state.parts === 0) {
      if (state.tail === 0) return;
      key = this.key(uploadTailKey(upload.id, state.tailGeneration));
    } else {
      // S3 cannot read parts in progress: complete first (finishing repeats it harmlessly).
      await this.complete(upload, state);
      key = this.key(uploadedBlobKey(upload.id));
    }
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    yield* object.Body!.transformToWebStream() as unknown as AsyncIterable<Uint8Array>;
  }

  async commitUpload(upload: StagedUpload, digest: string): Promise<BlobRef> {
    const state = parseUploadState(upload.state, upload.id);
    let ref: BlobRef;
    if (state.parts === 0) {
      // Smaller than one part: the tail becomes the blob, copied inside S3.
      const target = this.key(blobKey(digest));
      if (state.tail === 0) await this.putBytes(target, new Uint8Array());
      else {
        const tail = this.key(uploadTailKey(upload.id, state.tailGeneration));
        try {
          await this.s3.send(
            new CopyObjectCommand({
              Bucket: this.bucket,
              Key: target,
              CopySource: copySource(this.bucket, tail),
            }),
          );
        } catch (error) {
          // A repeat: the first attempt copied the tail and removed it.
          if ((await this.headSize(target)) !== upload.size) throw error;
        }
      }
      ref = { digest, key: null };
    } else {
      await this.complete(upload, state);
      ref = { digest, key: uploadedBlobKey(upload.id) };
    }
    await this.deleteKeys(
      [...currentStagingKeys(upload.id, state), ...state.obsolete].map((k) => this.key(k)),
    ).catch(() => undefined);
    return ref;
  }

  private async deleteKeys(keys: string[]) {
    for (let i = 0; i < keys.length; i += 1000) {
      await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
        }),
      );
    }
  }

  async abortUpload(uploadId: string, state: UploadState): Promise<void> {
    const multipartId = (state as Partial<S3UploadState> | null)?.multipartId;
    if (multipartId) {
      await this.s3
        .send(
          new AbortMultipartUploadCommand({
            Bucket: this.bucket,
            Key: this.key(uploadedBlobKey(uploadId)),
            UploadId: multipartId,
          }),
        )
        .catch(() => undefined);
    }
    // Everything staged, including appends that never committed, and a
    // blob published for a session that was never recorded.
    const keys = [this.key(uploadedBlobKey(uploadId))];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: `${this.key(uploadKey(uploadId))}/`,
          ContinuationToken: token,
        }),
      );
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    await this.deleteKeys(keys);
  }

  async writeBlob(digest: string, bytes: Uint8Array): Promise<void> {
    await this.putBytes(this.key(blobKey(digest)), bytes);
  }

  async stat(blob: BlobRef): Promise<{ size: number } | null> {
    const size = await this.headSize(this.objectKey(blob));
    return size === null ? null : { size };
  }

  async read(blob: BlobRef, range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
    try {
      const object = await this.s3.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(blob),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return object.Body!.transformToWebStream() as ReadableStream<Uint8Array>;
    } catch (error) {
      if (isMissing(error)) throw new BlobNotFoundError(blob.digest);
      throw error;
    }
  }

  async delete(blob: BlobRef): Promise<void> {
    await this.deleteKeys([this.objectKey(blob)]);
  }

  async redirectUrl(blob: BlobRef, expiresInSeconds: number): Promise<string | null> {
    if (!this.redirects) return null;
    return getSignedUrl(
      this.s3,
      new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(blob) }),
      { expiresIn: expiresInSeconds },
    );
  }

  async listStored(
    area: StoredArea,
    after: string | null,
    limit: number,
  ): Promise<{ objects: StoredObject[]; next: string | null }> {
    const page = await this.s3.send(
      new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: this.key(`${area}/`),
        ...(after === null ? {} : { StartAfter: this.key(after) }),
        MaxKeys: limit,
      }),
    );
    const objects = (page.Contents ?? []).map((o) => ({
      key: o.Key!.slice(this.prefix.length),
      size: o.Size ?? 0,
      modifiedMs: o.LastModified?.getTime() ?? 0,
    }));
    const last = objects[objects.length - 1];
    return { objects, next: page.IsTruncated && last ? last.key : null };
  }
}
