import type { Clock } from '../ports/clock.js';
import type { ReplicationCopy, ReplicationStore } from '../ports/replication-store.js';
import type { Sha256Engine } from '../ports/sha256.js';
import type { ChosenLocation, StorageLocations } from '../registry/storage-locations.js';
import { inParallel } from './in-parallel.js';

export interface ReplicationDeps {
  replication: ReplicationStore;
  storage: StorageLocations;
  clock: Clock;
  newId: () => string;
  sha256: Sha256Engine;
  /** Locations every blob must reach; empty when replication is off. */
  targets: readonly string[];
}

export interface ReplicationOptions {
  /** Copies claimed at once. */
  batchSize: number;
  /** Copies running at once. */
  concurrency: number;
  /** How long a claim holds before another worker may take the copy over. */
  leaseMs: number;
  /** Attempts before a copy is given up on (failed, with its reason, in the audit log). */
  maxAttempts: number;
  /** The first retry's delay; each further one doubles, up to an hour. */
  firstRetryMs: number;
  /** A run stops claiming new copies after this long. */
  budgetMs: number;
  /** Blobs a backfill pass looks at per location. */
  backfillBatch: number;
}

export const DEFAULT_REPLICATION: ReplicationOptions = {
  batchSize: 32,
  concurrency: 4,
  leaseMs: 15 * 60_000,
  maxAttempts: 8,
  firstRetryMs: 30_000,
  budgetMs: 10 * 60_000,
  backfillBatch: 1_000,
};

const LAST_RETRY_MS = 60 * 60_000;

export interface ReplicationRun {
  placed: number;
  failed: number;
  backfilled: number;
}

/**
 * Copies blobs to the locations that lack them: first queues copies of
 * older blobs for locations whose backfill has not finished, then works
 * through due copies until none is left or the budget is spent.
 */
export async function runReplication(
  deps: ReplicationDeps,
  options: ReplicationOptions = DEFAULT_REPLICATION,
): Promise<ReplicationRun> {
  const run: ReplicationRun = { placed: 0, failed: 0, backfilled: 0 };
  // A server copies only into locations it may write: on AWS each region
  // fills its own bucket from the others.
  const targets = deps.targets.filter((t) => deps.storage.writes.includes(t));
  if (targets.length === 0) return run;
  for (const location of targets) {
    const pass = await deps.replication.backfill(location, options.backfillBatch, deps.clock.now());
    run.backfilled += pass.queued;
  }
  const deadline = deps.clock.now() + options.budgetMs;
  while (deps.clock.now() < deadline) {
    // Copies into a location that is down wait, without spending attempts,
    // until it is back.
    const reachable: string[] = [];
    for (const target of targets) {
      if (await deps.storage.health.fresh(target)) reachable.push(target);
    }
    const token = deps.newId();
    const copies = await deps.replication.claimDue(
      deps.clock.now(),
      options.batchSize,
      { token, untilMs: deps.clock.now() + options.leaseMs },
      reachable,
    );
    if (copies.length === 0) break;
    await inParallel(copies, options.concurrency, async (copy) => {
      const outcome = await replicate(deps, options, copy, token);
      if (outcome === 'placed') run.placed += 1;
      else if (outcome === 'failed') run.failed += 1;
    });
  }
  return run;
}

async function replicate(
  deps: ReplicationDeps,
  options: ReplicationOptions,
  copy: ReplicationCopy,
  token: string,
): Promise<'placed' | 'failed' | 'other'> {
  try {
    const key = await copyBlob(deps, copy);
    const recorded = await deps.replication.recordCopy(copy, token, key, deps.clock.now());
    if (recorded === 'blob-gone') {
      // Collected while the copy ran: its bytes have no row to keep them.
      await deps.storage.get(copy.location).delete({ digest: copy.digest, key });
    }
    return recorded === 'placed' ? 'placed' : 'other';
  } catch (error) {
    const attempts = copy.attempts + 1;
    const retryAtMs =
      attempts >= options.maxAttempts
        ? null
        : deps.clock.now() + Math.min(options.firstRetryMs * 2 ** copy.attempts, LAST_RETRY_MS);
    await deps.replication.recordFailure(
      copy,
      token,
      (error as Error).message,
      retryAtMs,
      deps.clock.now(),
    );
    return 'failed';
  }
}

/**
 * Copies the blob from the best location that holds it into `copy.location`:
 * inside the storage service when the two allow it, else streamed through
 * an upload session of the target's own, checking size and digest on the
 * way; only checked bytes are published. Returns the key they are published
 * under (null: the canonical one).
 */
async function copyBlob(deps: ReplicationDeps, copy: ReplicationCopy): Promise<string | null> {
  const { storage } = deps;
  if (!(await storage.health.fresh(copy.location))) {
    throw new Error(`location ${copy.location} is unhealthy`);
  }
  const sources = storage
    .candidates({ digest: copy.digest, size: copy.size, placements: copy.placements })
    .filter((c) => c.name !== copy.location);
  if (sources.length === 0) throw new Error('no other location holds the blob');
  let failure: unknown;
  for (const source of sources) {
    try {
      const inside = await copyInsideStorage(deps, copy, source);
      return inside ? inside.key : await streamInto(deps, copy, source);
    } catch (error) {
      if (error instanceof CopyMismatch) throw error;
      failure = error;
    }
  }
  throw failure;
}

class CopyMismatch extends Error {}

/**
 * A copy the storage service makes itself (S3 to S3: CopyObject), checked
 * by the SHA-256 S3 computed of it, or when it reports none by reading the
 * copy back. Null when the two stores cannot copy between them, or the
 * service refused (other credentials, say): the bytes then stream.
 */
async function copyInsideStorage(
  deps: ReplicationDeps,
  copy: ReplicationCopy,
  source: ChosenLocation,
): Promise<{ key: string | null } | null> {
  const target = deps.storage.get(copy.location);
  let within: Awaited<ReturnType<NonNullable<typeof target.copyWithin>>> = null;
  try {
    within = (await target.copyWithin?.(source.store, source.ref, copy.size)) ?? null;
  } catch {
    return null;
  }
  if (!within) return null;
  const expected = Buffer.from(copy.digest.slice('sha256:'.length), 'hex').toString('base64');
  const size = (await target.stat(within.ref))?.size ?? null;
  const sha256 =
    within.sha256Base64 ??
    Buffer.from(await hashOf(deps, await target.read(within.ref)), 'hex').toString('base64');
  if (size !== copy.size || sha256 !== expected) {
    await target.delete(within.ref).catch(() => {});
    throw new CopyMismatch(
      `the copy from ${source.name} inside storage came out as ${size} bytes with SHA-256 ${sha256}`,
    );
  }
  return { key: within.ref.key };
}

async function hashOf(deps: ReplicationDeps, bytes: ReadableStream<Uint8Array>): Promise<string> {
  const hash = deps.sha256.start();
  for await (const chunk of bytes as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
  return hash.hex();
}

async function streamInto(
  deps: ReplicationDeps,
  copy: ReplicationCopy,
  source: ChosenLocation,
): Promise<string | null> {
  const target = deps.storage.get(copy.location);
  let bytes: ReadableStream<Uint8Array>;
  try {
    bytes = await source.store.read(source.ref);
  } catch (error) {
    deps.storage.health.reportFailure(source.name, error);
    throw error;
  }
  const id = deps.newId();
  const hash = deps.sha256.start();
  const checked = bytes.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        hash.update(chunk);
        controller.enqueue(chunk);
      },
    }),
  );
  let state = await target.startUpload(id);
  try {
    const appended = await target.appendUpload({ id, size: 0, state }, checked);
    state = appended.state;
    const digest = `sha256:${hash.hex()}`;
    if (appended.size !== copy.size || digest !== copy.digest) {
      throw new CopyMismatch(
        `the copy from ${source.name} came out as ${appended.size} bytes with digest ${digest}, ` +
          `not ${copy.size} bytes with ${copy.digest}`,
      );
    }
    const ref = await target.commitUpload({ id, size: appended.size, state }, copy.digest);
    return ref.key;
  } catch (error) {
    await target.abortUpload(id, state).catch(() => {});
    throw error;
  }
}
