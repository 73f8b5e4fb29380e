import type { BlobPlacement } from './metadata-store.js';
/**
 * What garbage collection needs from the metadata. Every method re-checks,
 * under lock, that what it removes is still garbage: listing is only a hint.
 */

export interface TimeMachine {
  nowMs: number;
  /** The window for namespaces that set none (Quay's DEFAULT_TAG_EXPIRATION). */
  defaultWindowMs: number;
}

export interface GarbageManifest {
  id: number;
  repositoryId: number;
}

export interface GarbageStore {
  /** Deletes up to `limit` tag lifetimes that ended before their namespace's window; how many. */
  removeExpiredTagHistory(at: TimeMachine, limit: number): Promise<number>;
  /**
   * Manifests nothing keeps any more: no tag lifetime (live, or ended within
   * the window), no parent index, no subject still present, and pushed
   * before the window. Ordered by id, after `afterId`.
   */
  listGarbageManifests(at: TimeMachine, afterId: number, limit: number): Promise<GarbageManifest[]>;
  /**
   * Deletes those of the repository's manifests that are still garbage, and
   * subtracts what leaves the repository and namespace from their sizes, in
   * one transaction; returns how many went.
   */
  collectManifests(repositoryId: number, ids: number[], at: TimeMachine): Promise<number>;
  /**
   * Among the next `scan` blobs by digest after `afterDigest`, those no
   * manifest references, neither pushed nor linked into a repository since
   * `cutoffMs`; `next` is where the following page starts, null at the end.
   */
  listGarbageBlobs(
    cutoffMs: number,
    afterDigest: string,
    scan: number,
  ): Promise<{ digests: string[]; next: string | null }>;
  /**
   * Locks those blobs that are still garbage, calls `deleteBytes` with where
   * each is stored while holding the locks, then removes their rows; a push
   * that touches or references one of them waits and then sees it gone.
   * Returns the digests collected.
   */
  collectBlobs(
    digests: string[],
    cutoffMs: number,
    deleteBytes: (blobs: { digest: string; placements: BlobPlacement[] }[]) => Promise<void>,
  ): Promise<string[]>;
  /**
   * Records blobs found in `location` under their canonical keys that no
   * row knows of (bytes a push stored before its repository vanished, or
   * before a crash), as stored at `storedAtMs` and linked nowhere, so the
   * blob sweep above collects them like any other garbage, under its locks.
   * Known blobs and placements are left as they are. Returns how many were unknown.
   */
  adoptStoredBlobs(
    location: string,
    blobs: { digest: string; size: number; storedAtMs: number }[],
  ): Promise<number>;
  /** Which of these upload sessions no longer exist. */
  missingUploads(ids: string[]): Promise<string[]>;
  /** Which of these keys of `location` no placement names (a published upload's own key). */
  unplacedKeys(location: string, keys: string[]): Promise<string[]>;
}
