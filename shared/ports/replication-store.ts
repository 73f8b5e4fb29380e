import type { BlobPlacement } from './metadata-store.js';

/**
 * Geo-replication's bookkeeping: the copies locations still need, and what
 * has been copied. A copy is queued in the transaction that first places a
 * blob (see `MetadataStore` and `ReplicationTargets`), claimed by one worker
 * at a time under a lease, and ends placed, or failed with its reason.
 */

/** A claimed copy: put `digest` at `location`, from one of `placements`. */
export interface ReplicationCopy {
  digest: string;
  size: number;
  location: string;
  /** Copies tried before this one. */
  attempts: number;
  placements: BlobPlacement[];
}

export interface ReplicationClaim {
  token: string;
  untilMs: number;
}

/** What one location's replication looks like now. */
export interface LocationReplication {
  location: string;
  pending: number;
  failed: number;
  /** When the longest-waiting pending copy was queued; null with none pending. */
  oldestPendingMs: number | null;
  bytesCopied: number;
  copies: number;
  backfill: { done: boolean; queued: number; after: string | null };
}

export interface FailedCopy {
  digest: string;
  location: string;
  attempts: number;
  error: string;
}

export type CopyRecorded =
  /** The placement is recorded. */
  | 'placed'
  /** The blob was collected meanwhile: the copy's bytes must go. */
  | 'blob-gone'
  /** Another worker took the copy over (the lease lapsed): leave its bytes alone. */
  | 'lost-claim';

export interface ReplicationStore {
  /**
   * Up to `limit` due copies into `locations` (pending, next attempt
   * passed, unclaimed or lease lapsed), each claimed.
   */
  claimDue(
    nowMs: number,
    limit: number,
    claim: ReplicationClaim,
    locations: readonly string[],
  ): Promise<ReplicationCopy[]>;

  /**
   * Records the verified copy at `key` (null: the canonical key) if the
   * blob still exists and the claim still holds, and forgets the job.
   */
  recordCopy(
    copy: ReplicationCopy,
    token: string,
    key: string | null,
    nowMs: number,
  ): Promise<CopyRecorded>;

  /**
   * A failed attempt: tried again at `retryAtMs`, or with null, failed for
   * good with `error` kept for the operator and written to the audit log.
   */
  recordFailure(
    copy: ReplicationCopy,
    token: string,
    error: string,
    retryAtMs: number | null,
    nowMs: number,
  ): Promise<void>;

  /** Queues every failed copy (of one location, or all) again. */
  retryFailed(nowMs: number, location?: string): Promise<number>;

  /**
   * Queues copies to `location` of up to `limit` blobs that lack one,
   * continuing where the last call stopped; `done` once every blob is
   * placed there or queued.
   */
  backfill(
    location: string,
    limit: number,
    nowMs: number,
  ): Promise<{ queued: number; done: boolean }>;

  /** Starts a location's backfill over (a location added, replication switched on). */
  restartBackfill(location: string): Promise<void>;

  status(locations: string[]): Promise<LocationReplication[]>;

  failures(limit: number, location?: string): Promise<FailedCopy[]>;
}
