/** Inclusive byte range, as HTTP writes it. */
export interface ByteRange {
  start: number;
  end: number;
}

export type ByteSource = AsyncIterable<Uint8Array>;

/**
 * One storage location's bytes: content-addressed blobs plus the staging area
 * of upload sessions. It knows nothing of repositories or metadata; the
 * registry decides what is visible. Every adapter runs the contract suite in
 * `test/contract/blob-store.contract.ts`.
 */
export interface BlobStore {
  /** Creates an empty staging area for an upload session. */
  startUpload(uploadId: string): Promise<void>;

  /**
   * Appends `data` to the upload, which must currently hold exactly `offset`
   * bytes (else `UploadOffsetError`). All or nothing: if `data` fails midway
   * the upload is left as it was. Returns the new size.
   */
  appendUpload(uploadId: string, offset: number, data: ByteSource): Promise<number>;

  /** The upload's size, or `null` if there is no such upload. */
  uploadSize(uploadId: string): Promise<number | null>;

  /** The upload's bytes so far; used to re-hash when no running digest survived. */
  readUpload(uploadId: string): ByteSource;

  /** Publishes the upload's bytes as the blob `digest` and removes the upload. */
  commitUpload(uploadId: string, digest: string): Promise<void>;

  /** Drops the upload and its bytes; a missing upload is not an error. */
  abortUpload(uploadId: string): Promise<void>;

  /** The blob's size, or `null` if this location does not hold it. */
  stat(digest: string): Promise<{ size: number } | null>;

  /** Streams the blob, or the inclusive `range` of it. */
  read(digest: string, range?: ByteRange): Promise<ReadableStream<Uint8Array>>;

  /** Removes the blob; a missing blob is not an error. */
  delete(digest: string): Promise<void>;

  /**
   * A URL a client may fetch the blob from directly, valid for a short time,
   * or `null` when this store can only be read through the registry.
   */
  redirectUrl(digest: string, expiresInSeconds: number): Promise<string | null>;
}
