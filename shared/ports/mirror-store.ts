/** Repository mirror configurations and the state of their syncs. */

export type SyncStatus = 'NEVER_RUN' | 'SYNC_NOW' | 'SYNCING' | 'SUCCESS' | 'FAIL' | 'CANCEL';

export interface ProxySettings {
  http_proxy?: string | null;
  https_proxy?: string | null;
  no_proxy?: string | null;
}

/** What an administrator sets. Credentials arrive sealed: the store never sees them in clear. */
export interface MirrorSettings {
  isEnabled: boolean;
  externalReference: string;
  usernameSealed: string | null;
  passwordSealed: string | null;
  verifyTls: boolean;
  proxy: ProxySettings | null;
  globs: string[];
  robotId: number;
  syncIntervalS: number;
  syncStartMs: number;
}

export interface MirrorRecord extends Omit<MirrorSettings, 'robotId'> {
  repositoryId: number;
  repositoryName: string;
  namespaceId: number | null;
  robotId: number | null;
  robotName: string | null;
  syncExpirationMs: number | null;
  retriesRemaining: number;
  status: SyncStatus;
  lastSyncMs: number | null;
  lastError: string | null;
}

/**
 * A sync's plan and progress, saved as it goes so that a later invocation
 * can carry it on and a failed run can be rolled back.
 */
export interface SyncRun {
  /** Upstream tags that match the rules, in the order they are copied. */
  plan: string[];
  /** Index in `plan` of the next tag to copy. */
  next: number;
  /** What each tag this run may change pointed at before it (null: no such tag). */
  previous: Record<string, string | null>;
  /** Tags this run has pointed at new manifests. */
  changed: string[];
  failures: { tag: string; reason: string }[];
}

export interface MirrorClaim {
  repositoryId: number;
  token: string;
}

export interface SyncOutcome {
  status: 'SUCCESS' | 'FAIL' | 'CANCEL';
  nowMs: number;
  nextStartMs: number;
  retriesRemaining: number;
  error: string | null;
}

export type SyncRequest = 'requested' | 'running' | 'no-mirror';

export type MirrorEventKind =
  'repo_mirror_sync_started' | 'repo_mirror_sync_success' | 'repo_mirror_sync_failed';

/** What a mirror event names: the repository, its namespace and the robot that acts. */
export type MirrorEventSubject = Pick<
  MirrorRecord,
  'repositoryId' | 'repositoryName' | 'namespaceId' | 'robotId' | 'robotName'
>;

export interface MirrorStore {
  find(repositoryId: number): Promise<MirrorRecord | null>;
  /**
   * Creates the mirror and, in the same transaction, puts the repository in
   * state MIRROR with the robot as its only writer; false if it has one.
   */
  create(repositoryId: number, settings: MirrorSettings, nowMs: number): Promise<boolean>;
  /** Changes settings (and the repository's mirror robot with them); false without a mirror. */
  update(repositoryId: number, changes: Partial<MirrorSettings>): Promise<boolean>;
  /** Makes the mirror due now (SYNC_NOW), unless a sync is running. */
  requestSync(repositoryId: number, nowMs: number): Promise<SyncRequest>;
  /** Stops a running or requested sync: the worker notices between tags. */
  cancelSync(repositoryId: number, nowMs: number): Promise<boolean>;

  /**
   * Enabled mirrors of repositories in state MIRROR that are due and neither
   * being synced under a live lease nor queued within `requeueAfterMs`;
   * marks them queued and returns their ids.
   */
  takeDue(nowMs: number, limit: number, requeueAfterMs: number): Promise<number[]>;
  /**
   * When `takeDue` will next find something: the earliest start of a mirror
   * not yet queued, requeue of one queued (its job may be lost), or lapse of
   * a running sync's lease. Null when no mirror is enabled.
   */
  nextDueMs(requeueAfterMs: number): Promise<number | null>;
  /**
   * Starts a sync: succeeds for one caller only, while the mirror is due and
   * no live lease holds it. A lapsed lease counts as a failed attempt.
   */
  claim(
    repositoryId: number,
    token: string,
    nowMs: number,
    untilMs: number,
  ): Promise<MirrorRecord | null>;
  /** The run a claim holds, with the lease extended; null once the claim is lost or cancelled. */
  resume(
    claim: MirrorClaim,
    nowMs: number,
    untilMs: number,
  ): Promise<{ mirror: MirrorRecord; run: SyncRun } | null>;
  /** Saves progress and extends the lease; false once the claim is lost or cancelled. */
  saveRun(claim: MirrorClaim, run: SyncRun, untilMs: number): Promise<boolean>;
  /**
   * Ends the run: records the outcome, releases the claim and records the
   * run's event, in one transaction; null if the claim was lost, else how
   * many notification deliveries the event queued.
   */
  finish(
    claim: MirrorClaim,
    outcome: SyncOutcome,
    event: MirrorEvent,
  ): Promise<{ deliveries: number } | null>;
  /** Records a registry event with its audit entry and deliveries; how many deliveries. */
  recordEvent(event: MirrorEvent, nowMs: number): Promise<number>;
}

/** A mirror event: its kind, the mirror it is about, and what it says (Quay's `message`, and more). */
export interface MirrorEvent {
  kind: MirrorEventKind;
  mirror: MirrorEventSubject;
  data: Record<string, unknown>;
}
