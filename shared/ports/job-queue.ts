/**
 * Work handed from a scheduler to workers: a table claimed with `FOR UPDATE
 * SKIP LOCKED` locally, SQS on AWS. Delivery is at least once, so every
 * job's handler must tolerate running twice (the mirror's own claim makes a
 * duplicate sync job a no-op).
 */

/** Sync one mirrored repository; `token` carries on a run an earlier invocation started. */
export interface MirrorSyncJob {
  kind: 'mirror-sync';
  repositoryId: number;
  token?: string;
}

/** Run a periodic task now (a wakeup asked for it). */
export interface TaskJob {
  kind: 'task';
  task: string;
}

export type Job = MirrorSyncJob | TaskJob;

export interface JobQueue {
  /** `delayMs`: the jobs become visible this much later (SQS delays at most 15 minutes). */
  send(jobs: Job[], options?: { delayMs?: number }): Promise<void>;
}

/** The longest delay a queued job may have: SQS's DelaySeconds ends at 900. */
export const MAX_JOB_DELAY_MS = 900_000;

export interface ReceivedJob {
  job: Job;
  /** Deletes this delivery; stale once the job became visible again and was received anew. */
  receipt: string;
  receiveCount: number;
}

/** A queue this process consumes itself (the local runtime); on AWS, Lambda consumes SQS. */
export interface PolledJobQueue extends JobQueue {
  /** Up to `max` visible jobs, hidden from other consumers for `visibilityMs`. */
  receive(max: number, visibilityMs: number): Promise<ReceivedJob[]>;
  delete(receipt: string): Promise<void>;
}
