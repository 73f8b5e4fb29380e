/** Inclusive byte range, as HTTP writes it. */
export interface ByteRange {
  start: number;
  end: number;
}

export type ByteSource = AsyncIterable<Uint8Array>;

/**
 * Where a blob's bytes are in one location: under the canonical key of its
 * digest (`key: null`), or under the key its upload was published at
 * (`commitUpload` decides; S3 cannot rename a multipart upload). The
 * metadata store keeps the key with the placement.
 */
export interface BlobRef {
  digest: string;
  key: string | null;
}

/**
 * What a store keeps about an upload session between requests: small and
 * JSON-serializable, opaque to the core, saved in the session's metadata
 * row. `null` for stores that need nothing beyond the size.
 */
export type UploadState = Readonly<Record<string, unknown>> | null;

/** The two trees of a location (`storage-layout.ts`): verified blobs, and upload scratch. */
export type StoredArea = 'blobs' | 'uploads';

/** An object as the store holds it, named by its key under the location's root. */
export interface StoredObject {
  key: string;
  size: number;
  /** Whole milliseconds since the epoch. */
  modifiedMs: number;
}

/** An upload session as the metadata row last committed it. */
export interface StagedUpload {
  id: string;
  /** Bytes committed so far; anything a store holds beyond this is an append that never committed. */
  size: number;
  state: UploadState;
}

/**
 * One storage location's bytes: content-addressed blobs plus the staging area
 * of upload sessions. It knows nothing of repositories; the registry decides
 * what is visible. The session's size and state live in the metadata row,
 * the one commit point: an append only becomes part of the upload when the
 * caller saves what `appendUpload` returned. Every adapter runs the contract
 * suite in `test/contract/blob-store.contract.ts`.
 */
export interface BlobStore {
  /** Creates an empty staging area for an upload session and returns its first state. */
  startUpload(uploadId: string): Promise<UploadState>;

  /**
   * Writes `data` after the upload's committed bytes. Leaves what `upload`
   * describes untouched, so a failed append, or one whose result is never
   * saved, loses nothing. The caller holds the session exclusively.
   */
  appendUpload(
    upload: StagedUpload,
    data: ByteSource,
  ): Promise<{ size: number; state: UploadState }>;

  /** The upload's committed bytes; used to hash them when no running digest survived. */
  readUpload(upload: StagedUpload): ByteSource;

  /**
   * Publishes the upload's bytes as the blob `digest` (already verified,
   * unless a caller hashes `readUpload` first) and returns where they are now.
   * Repeating it after a crash is harmless.
   */
  commitUpload(upload: StagedUpload, digest: string): Promise<BlobRef>;

  /**
   * Drops the session's staged bytes, and what `commitUpload` may have
   * published for it, so only for a session whose blob was never recorded.
   * A missing upload is not an error; `state` may be null when unknown.
   */
  abortUpload(uploadId: string, state: UploadState): Promise<void>;

  /** Stores small bytes (a large manifest) under the canonical key of `digest`, verified by the caller. */
  writeBlob(digest: string, bytes: Uint8Array): Promise<void>;

  /** The blob's size, or `null` if this location does not hold it. */
  stat(blob: BlobRef): Promise<{ size: number } | null>;

  /** Streams the blob, or the inclusive `range` of it. */
  read(blob: BlobRef, range?: ByteRange): Promise<ReadableStream<Uint8Array>>;

  /** Removes the blob; a missing blob is not an error. */
  delete(blob: BlobRef): Promise<void>;

  /**
   * A URL a client may fetch the blob (or the inclusive `range` of it, which
   * the client asks for itself) from directly, valid for a short time, or
   * `null` when this store can only be read through the registry.
   */
  redirectUrl(blob: BlobRef, expiresInSeconds: number): Promise<string | null>;

  /**
   * What the store holds under `area`, whether or not the metadata knows
   * of it, in the store's own key order after the cursor `after`: so
   * garbage collection can find bytes no row points at. `next` continues
   * the listing; null at its end.
   */
  listStored(
    area: StoredArea,
    after: string | null,
    limit: number,
  ): Promise<{ objects: StoredObject[]; next: string | null }>;

  /**
   * Copies the blob from `source` inside the storage service, without the
   * bytes passing through this process, to this store's canonical key; null
   * when the two cannot (another service, or too large for one copy). The
   * digest S3 computed of the copy comes back when it reports one.
   */
  copyWithin?(
    source: BlobStore,
    blob: BlobRef,
    size: number,
  ): Promise<{ ref: BlobRef; sha256Base64: string | null } | null>;
}
