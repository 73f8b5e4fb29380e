import type { MirrorDeps } from './mirror-sync.js';

/** How many due mirrors one tick queues at most; the next tick takes the rest. */
const BATCH = 100;
/**
 * A mirror queued this long ago that has not started is queued again: its
 * job was lost. A duplicate is harmless, the claim turns it away.
 */
export const REQUEUE_AFTER_MS = 15 * 60_000;

/**
 * The mirror scheduler's tick: one sync job per due repository, so that
 * many repositories sync in parallel on as many workers as there are.
 */
export async function scheduleMirrors(deps: MirrorDeps): Promise<number> {
  let queued = 0;
  for (;;) {
    const due = await deps.mirrors.takeDue(deps.clock.now(), BATCH, REQUEUE_AFTER_MS);
    if (due.length > 0) {
      await deps.queue.send(due.map((repositoryId) => ({ kind: 'mirror-sync', repositoryId })));
      queued += due.length;
    }
    if (due.length < BATCH) break;
  }
  await armNextMirrorTick(deps);
  return queued;
}

/** Wakes the scheduler when the next mirror falls due, so that nothing polls for it. */
export async function armNextMirrorTick(deps: MirrorDeps): Promise<void> {
  const next = await deps.mirrors.nextDueMs(REQUEUE_AFTER_MS);
  if (next !== null) await deps.wakeups.wakeAt('mirror-schedule', next);
}
