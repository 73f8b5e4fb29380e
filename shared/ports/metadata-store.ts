/**
 * What the registry keeps about its content, apart from the bytes. Every
 * adapter runs the contract suite in `test/contract/metadata-store.contract.ts`.
 */

export interface RepositoryRecord {
  id: number;
  name: string;
}

export interface BlobRecord {
  digest: string;
  size: number;
  /** Names of the storage locations that hold the bytes. */
  locations: string[];
}

export interface UploadRecord {
  id: string;
  repositoryId: number;
  /** The storage location the bytes are staged in. */
  location: string;
  size: number;
  createdAtMs: number;
}

export interface ManifestRecord {
  id: number;
  digest: string;
  mediaType: string;
  size: number;
  /** The bytes, or null when they are in blob storage under the manifest's digest. */
  content: Uint8Array | null;
  subjectDigest: string | null;
}

export interface ReferrerRecord {
  digest: string;
  mediaType: string;
  size: number;
  artifactType: string | null;
  annotations: Record<string, string> | null;
}

export interface NewManifest {
  repositoryId: number;
  digest: string;
  mediaType: string;
  size: number;
  /** The bytes, or null when they were stored as a blob (listed in `blobDigests`). */
  content: Uint8Array | null;
  artifactType: string | null;
  subjectDigest: string | null;
  annotations: Record<string, string> | null;
  /** Blobs the manifest needs in the repository (config and layers). */
  blobDigests: string[];
  /** Manifests an index needs in the repository. */
  childDigests: string[];
  /** Tag to point at the manifest, if pushed by tag. */
  tag: string | null;
  nowMs: number;
}

/** A push refused because it would take its namespace past a Reject limit. */
export interface QuotaExceeded {
  namespace: string;
  /** The namespace's size before the push, and what the push would add to it. */
  sizeBytes: number;
  addedBytes: number;
  /** The Reject threshold in bytes, and the quota it is a percentage of. */
  thresholdBytes: number;
  limitBytes: number;
}

export type PutManifestResult =
  | { stored: true }
  | { stored: false; missingBlobs: string[]; missingManifests: string[] }
  | { stored: false; quotaExceeded: QuotaExceeded };

export interface TagHistoryEntry {
  name: string;
  manifestDigest: string;
  startMs: number;
  endMs: number | null;
}

/** One lifetime of a tag, with what it pointed at: the REST API's tag listing. */
export interface TagEntry {
  name: string;
  manifestDigest: string;
  mediaType: string;
  size: number;
  startMs: number;
  /** When the tag ended, or will end (an expiry); null while it lives on. */
  endMs: number | null;
}

export interface TagQuery {
  /** Only tags alive at `nowMs`; otherwise their whole history too. */
  onlyActive: boolean;
  name?: string;
  nowMs: number;
  offset: number;
  limit: number;
}

export type SetTagResult = 'created' | 'moved' | 'unchanged' | 'no-manifest';

export interface LabelRecord {
  id: string;
  key: string;
  value: string;
  mediaType: string;
  sourceType: string;
}

export interface Page {
  /** Only entries strictly after this one, in byte order. */
  after?: string;
  limit: number;
}

export interface MetadataStore {
  findRepository(name: string): Promise<RepositoryRecord | null>;
  /** Finds the repository, creating it first if it does not exist. */
  ensureRepository(name: string, nowMs: number): Promise<RepositoryRecord>;
  listRepositories(page: Page): Promise<string[]>;

  /** The blob, wherever it is stored, if the registry has it at all. */
  findBlob(digest: string): Promise<BlobRecord | null>;
  /** The blob, only if it is linked into this repository. */
  findRepositoryBlob(repositoryId: number, digest: string): Promise<BlobRecord | null>;
  /**
   * Records that `location` holds the verified blob and links it into the
   * repository, in one transaction; repeating it is harmless.
   */
  recordBlob(
    repositoryId: number,
    blob: { digest: string; size: number; location: string },
    nowMs: number,
  ): Promise<void>;
  /** Links an existing blob into another repository (a cross-repository mount). */
  linkBlob(repositoryId: number, digest: string, nowMs: number): Promise<boolean>;
  /**
   * Marks the blob as being pushed now, before its bytes are checked or
   * written: garbage collection spares it for its grace period, and waits
   * for a collection of it already under way to finish.
   */
  touchBlob(digest: string, nowMs: number): Promise<void>;
  /** Unlinks the blob from the repository; `false` if it was not linked. */
  unlinkBlob(repositoryId: number, digest: string): Promise<boolean>;

  /** Whether the repository's namespace has reached a Reject limit, which refuses new uploads. */
  quotaRejection(repositoryId: number): Promise<QuotaExceeded | null>;

  createUpload(upload: UploadRecord): Promise<void>;
  findUpload(repositoryId: number, id: string): Promise<UploadRecord | null>;
  setUploadSize(id: string, size: number, nowMs: number): Promise<void>;
  deleteUpload(id: string): Promise<void>;
  /** Upload sessions staged in `location` that nobody has touched since `beforeMs`, oldest first. */
  listStaleUploads(location: string, beforeMs: number, limit: number): Promise<UploadRecord[]>;

  /**
   * Stores the manifest and moves its tag, in one transaction, but only if
   * every blob and child manifest it needs is present in the repository.
   */
  putManifest(manifest: NewManifest): Promise<PutManifestResult>;
  findManifest(repositoryId: number, digest: string): Promise<ManifestRecord | null>;
  /** The manifest a tag points at, if the tag is alive at `nowMs` (not ended, not expired). */
  resolveTag(repositoryId: number, tag: string, nowMs: number): Promise<ManifestRecord | null>;
  /** Deletes the manifest and ends every tag pointing at it; `false` if absent. */
  deleteManifest(repositoryId: number, digest: string, nowMs: number): Promise<boolean>;
  /** Ends the tag, keeping its history; `false` if the tag is not live. */
  deleteTag(repositoryId: number, tag: string, nowMs: number): Promise<boolean>;
  listTags(repositoryId: number, page: Page, nowMs: number): Promise<string[]>;
  tagHistory(repositoryId: number, tag: string): Promise<TagHistoryEntry[]>;
  /** Tag lifetimes, newest first; the REST API pages through them. */
  listTagEntries(repositoryId: number, query: TagQuery): Promise<TagEntry[]>;
  /** Points the tag at a manifest of the repository, keeping history. */
  setTag(
    repositoryId: number,
    tag: string,
    manifestDigest: string,
    nowMs: number,
  ): Promise<SetTagResult>;
  /**
   * Makes a live tag end at `expiresAtMs` (it stops resolving then), or
   * clears its expiry with null; `false` if the tag is not alive.
   */
  setTagExpiration(
    repositoryId: number,
    tag: string,
    expiresAtMs: number | null,
    nowMs: number,
  ): Promise<boolean>;

  listLabels(manifestId: number): Promise<LabelRecord[]>;
  addLabel(manifestId: number, label: LabelRecord, nowMs: number): Promise<void>;
  deleteLabel(manifestId: number, labelId: string): Promise<boolean>;
  listReferrers(
    repositoryId: number,
    subjectDigest: string,
    artifactType?: string,
  ): Promise<ReferrerRecord[]>;
}
