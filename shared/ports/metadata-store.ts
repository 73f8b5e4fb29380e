import type { UploadState } from './blob-store.js';

/**
 * What the registry keeps about its content, apart from the bytes. Every
 * adapter runs the contract suite in `test/contract/metadata-store.contract.ts`.
 */

export interface RepositoryRecord {
  id: number;
  name: string;
}

/** One storage location holding a blob, and the key there when it is not the canonical one. */
export interface BlobPlacement {
  location: string;
  key: string | null;
}

export interface BlobRecord {
  digest: string;
  size: number;
  /** The storage locations that hold the bytes, by location name. */
  placements: BlobPlacement[];
}

/** An upload session as last committed: its row is the commit point of every append. */
export interface UploadRecord {
  id: string;
  repositoryId: number;
  /** The storage location the bytes are staged in. */
  location: string;
  size: number;
  createdAtMs: number;
  /** The blob store's own state of the session. */
  state: UploadState;
  /** The running SHA-256 state after exactly `size` bytes, when the hash engine saves one. */
  digestState: Uint8Array | null;
}

/** A request's hold on an upload session, so no other request appends to it meanwhile. */
export interface UploadClaim {
  token: string;
  untilMs: number;
  nowMs: number;
}

/** What an append or a finish found: the session it now holds, or why not. */
export type ClaimedUpload =
  { kind: 'claimed'; upload: UploadRecord } | { kind: 'busy'; size: number };

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
  /** The sum of the image's layer sizes (what a pull downloads besides the config); null for an index. */
  layersSize: number | null;
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
  /**
   * Who pushed, for the `repo_push` event a push by tag records (with the
   * repository's full name) in the push's own transaction.
   */
  pushed: { repository: string; performer: { id: number; name: string } | null };
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

/** `deliveries`: notifications the push queued (its `repo_push`, quota events), to wake their worker. */
export type PutManifestResult =
  | { stored: true; deliveries: number }
  | { stored: false; missingBlobs: string[]; missingManifests: string[] }
  | { stored: false; quotaExceeded: QuotaExceeded; deliveries: number };

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
  /** The image's size: its layers' sizes summed; null for an index or when not known. */
  imageSize: number | null;
  startMs: number;
  /** When the tag ended, or will end (an expiry); null while it lives on. */
  endMs: number | null;
  /** A live tag that no write may change (its own flag, or a policy). */
  immutable: boolean;
}

export interface TagQuery {
  /** Only tags alive at `nowMs`; otherwise their whole history too. */
  onlyActive: boolean;
  name?: string;
  /** Only tags whose name contains this, case-insensitively. */
  nameContains?: string;
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
  /** Throws unless the database answers; for health checks. */
  ping(): Promise<void>;

  findRepository(name: string): Promise<RepositoryRecord | null>;
  /** Finds the repository, creating it first if it does not exist. */
  ensureRepository(name: string, nowMs: number): Promise<RepositoryRecord>;
  listRepositories(page: Page): Promise<string[]>;

  /** The blob, wherever it is stored, if the registry has it at all. */
  findBlob(digest: string): Promise<BlobRecord | null>;
  /** The blob, only if it is linked into this repository. */
  findRepositoryBlob(repositoryId: number, digest: string): Promise<BlobRecord | null>;
  /**
   * Records that `location` holds the verified blob (at `key`, null for the
   * canonical key) and links it into the repository, in one transaction;
   * repeating it is harmless. Returns the key in force: an earlier
   * placement in that location wins over this one.
   */
  recordBlob(
    repositoryId: number,
    blob: { digest: string; size: number; location: string; key: string | null },
    nowMs: number,
  ): Promise<{ key: string | null }>;
  /** Links an existing blob into another repository (a cross-repository mount). */
  linkBlob(repositoryId: number, digest: string, nowMs: number): Promise<boolean>;
  /**
   * Marks the blob as being pushed now, before its bytes are written:
   * garbage collection spares it for its grace period, and waits for a
   * collection of it already under way to finish. Creates the row (with no
   * placement yet, so no reader sees it) when there is none, so that bytes
   * garbage collection adopted from storage are ordered against this push too.
   */
  touchBlob(blob: { digest: string; size: number }, nowMs: number): Promise<void>;
  /** Unlinks the blob from the repository; `false` if it was not linked. */
  unlinkBlob(repositoryId: number, digest: string): Promise<boolean>;

  /** The repository's namespace's own time-machine window (Quay's `tag_expiration_s`), if it set one. */
  timeMachineWindowMs(repositoryId: number): Promise<number | null>;

  /** Whether the repository's namespace has reached a Reject limit, which refuses new uploads. */
  quotaRejection(repositoryId: number): Promise<QuotaExceeded | null>;

  /** Creates a session, held by `claim` when the creating request goes on to use it. */
  createUpload(upload: UploadRecord, claim?: UploadClaim): Promise<void>;
  findUpload(repositoryId: number, id: string): Promise<UploadRecord | null>;
  /**
   * Takes the session of the repository for one request, unless another
   * request holds it (`busy`, with the committed size) or it does not exist
   * (null). With `staleBeforeMs`, only a session untouched since then.
   */
  claimUpload(
    repositoryId: number,
    id: string,
    claim: UploadClaim,
    staleBeforeMs?: number,
  ): Promise<ClaimedUpload | null>;
  /** Extends a hold; false when the session is gone or held by another request. */
  renewUploadClaim(id: string, token: string, untilMs: number, nowMs: number): Promise<boolean>;
  /**
   * Commits an append: the new size, store state and digest state, in one
   * write, and lets the session go. False when the hold was lost (the
   * session was cancelled): nothing is written.
   */
  commitUploadAppend(
    id: string,
    token: string,
    append: { size: number; state: UploadState; digestState: Uint8Array | null },
    nowMs: number,
  ): Promise<boolean>;
  /** Lets the session go without changing it. */
  releaseUpload(id: string, token: string): Promise<void>;
  /**
   * Ends the session: records the blob, links it into the repository and
   * removes the session, in one transaction, only while `token` holds it.
   * Null when the hold was lost; otherwise the key in force (as `recordBlob`).
   */
  publishUpload(
    id: string,
    token: string,
    blob: { digest: string; size: number; location: string; key: string | null },
    nowMs: number,
  ): Promise<{ key: string | null } | null>;
  /**
   * Removes the session and returns it; null if absent. With `token`, only
   * while that request holds it; without, whoever holds it (a cancel).
   */
  deleteUpload(id: string, token?: string): Promise<UploadRecord | null>;
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
  /**
   * Points the tag at a manifest of the repository, keeping history. With
   * `revive`, a manifest deleted but not yet collected comes back with it
   * (a time-machine restore).
   */
  setTag(
    repositoryId: number,
    tag: string,
    manifestDigest: string,
    nowMs: number,
    options?: { revive?: boolean },
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
  /** The labels of several manifests of a repository at once, by digest (a page of tags). */
  listLabelsByDigest(repositoryId: number, digests: string[]): Promise<Map<string, LabelRecord[]>>;
  addLabel(manifestId: number, label: LabelRecord, nowMs: number): Promise<void>;
  deleteLabel(manifestId: number, labelId: string): Promise<boolean>;
  listReferrers(
    repositoryId: number,
    subjectDigest: string,
    artifactType?: string,
  ): Promise<ReferrerRecord[]>;
}
