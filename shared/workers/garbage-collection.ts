import type { Clock } from '../ports/clock.js';
import type { GarbageStore, TimeMachine } from '../ports/garbage-store.js';
import type { BlobPlacement } from '../ports/metadata-store.js';
import type { ModelCache } from '../registry/model-cache.js';
import type { StorageLocations } from '../registry/storage-locations.js';
import { sweepStorage } from './storage-sweep.js';

export interface GarbageCollectionOptions {
  /** How long ended tags stay restorable where a namespace sets no window of its own. */
  timeMachineMs: number;
  /** Blobs pushed, touched or linked this recently are never collected. */
  graceMs: number;
  batchSize: number;
}

export interface GarbageCollectionDeps {
  garbage: GarbageStore;
  storage: StorageLocations;
  cache: ModelCache;
  clock: Clock;
}

export interface GarbageCollected {
  tagLifetimes: number;
  manifests: number;
  blobs: number;
  /** Blobs found in storage without a row (collected among `blobs`), and upload sessions' leftover bytes removed. */
  strays: { blobs: number; uploads: number };
}

/**
 * One garbage collection run, online while pushes continue:
 * 1. tag lifetimes that ended before their namespace's time-machine window;
 * 2. manifests nothing keeps any more (repeated, since removing an index
 *    frees its children), subtracting from quota sizes as they go;
 * 3. bytes in storage no row points at (`storage-sweep.ts`), past the
 *    grace period;
 * 4. blobs no manifest references, from every storage location that holds
 *    them, sparing those pushed or linked within the grace period.
 */
export async function collectGarbage(
  deps: GarbageCollectionDeps,
  options: GarbageCollectionOptions,
): Promise<GarbageCollected> {
  const at: TimeMachine = { nowMs: deps.clock.now(), defaultWindowMs: options.timeMachineMs };
  const collected: GarbageCollected = {
    tagLifetimes: 0,
    manifests: 0,
    blobs: 0,
    strays: { blobs: 0, uploads: 0 },
  };

  for (;;) {
    const removed = await deps.garbage.removeExpiredTagHistory(at, options.batchSize);
    collected.tagLifetimes += removed;
    if (removed < options.batchSize) break;
  }

  for (;;) {
    // Wide listings: each repository's share of a listing is swept in one transaction.
    const thisPass = await collectManifestsOnce(deps.garbage, at, options.batchSize * 10);
    collected.manifests += thisPass;
    if (thisPass === 0) break;
  }

  const cutoffMs = at.nowMs - options.graceMs;
  const strays = await sweepStorage(deps, cutoffMs, options.batchSize);
  collected.strays = { blobs: strays.adopted, uploads: strays.uploads };
  let after: string | null = '';
  while (after !== null) {
    const page = await deps.garbage.listGarbageBlobs(cutoffMs, after, options.batchSize);
    after = page.next;
    if (page.digests.length === 0) continue;
    const swept = await deps.garbage.collectBlobs(page.digests, cutoffMs, (blobs) =>
      deleteEverywhere(deps.storage, blobs),
    );
    await deps.cache.forgetBlobs(swept);
    collected.blobs += swept.length;
  }
  return collected;
}

async function collectManifestsOnce(
  garbage: GarbageStore,
  at: TimeMachine,
  batchSize: number,
): Promise<number> {
  let total = 0;
  let afterId = 0;
  for (;;) {
    const candidates = await garbage.listGarbageManifests(at, afterId, batchSize);
    if (candidates.length === 0) return total;
    afterId = candidates[candidates.length - 1]!.id;
    const byRepository = new Map<number, number[]>();
    for (const c of candidates) {
      byRepository.set(c.repositoryId, [...(byRepository.get(c.repositoryId) ?? []), c.id]);
    }
    for (const [repositoryId, ids] of byRepository) {
      total += await garbage.collectManifests(repositoryId, ids, at);
    }
  }
}

async function deleteEverywhere(
  storage: StorageLocations,
  blobs: { digest: string; placements: BlobPlacement[] }[],
): Promise<void> {
  const deletions = blobs.flatMap((b) =>
    b.placements.map((p) => () => storage.get(p.location).delete({ digest: b.digest, key: p.key })),
  );
  // A few at a time: object stores take deletes in parallel well, not thousands at once.
  for (let i = 0; i < deletions.length; i += 16) {
    await Promise.all(deletions.slice(i, i + 16).map((d) => d()));
  }
}
