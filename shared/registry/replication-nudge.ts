import type { JobQueue } from '../ports/job-queue.js';

/**
 * Wakes the replication workers that must copy what was just placed: a
 * `replication` task job on each target location's queue (on AWS each
 * region has its own). At most one send per `gapMs`; a placement inside the
 * gap is covered by one more send at its end, so no copy waits for the
 * next scheduled run because of the debounce. A send that fails is logged:
 * the copies stay queued in the database, and the next nudge or the
 * scheduled run picks them up.
 */
export class ReplicationNudge {
  private lastMs = -Infinity;
  private trailing: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly queues: readonly JobQueue[],
    private readonly gapMs: number,
    private readonly onError: (error: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves once the wakeup is sent, or known to be covered by one. */
  async poke(): Promise<void> {
    const since = this.now() - this.lastMs;
    if (since >= this.gapMs) {
      this.lastMs = this.now();
      await this.send();
      return;
    }
    if (this.trailing) return;
    this.trailing = setTimeout(() => {
      this.trailing = undefined;
      this.lastMs = this.now();
      void this.send();
    }, this.gapMs - since);
    this.trailing.unref?.();
  }

  private async send(): Promise<void> {
    await Promise.all(
      this.queues.map((q) =>
        q
          .send([{ kind: 'task', task: 'replication' }])
          .catch((error: unknown) => this.onError(error)),
      ),
    );
  }
}
