import { TagImmutableError } from '../ports/errors.js';
import type { Wakeups } from '../ports/wakeups.js';
import type { CredentialBox } from '../access/credential-box.js';
import { mirrorCredentialContext } from '../access/credential-box.js';
import type { JobQueue, MirrorSyncJob } from '../ports/job-queue.js';
import type {
  MirrorClaim,
  MirrorRecord,
  MirrorStore,
  SyncOutcome,
  SyncRun,
} from '../ports/mirror-store.js';
import type { Clock } from '../ports/clock.js';
import type {
  UpstreamConnector,
  UpstreamRegistry,
  UpstreamTarget,
} from '../ports/upstream-registry.js';
import { parseExternalReference, proxyHosts } from '../registry/external-reference.js';
import type { Registry } from '../registry/registry.js';
import { tagMatcher } from '../registry/tag-globs.js';
import { copyImage } from './mirror-copy.js';

export interface MirrorOptions {
  /** A failed run puts every tag back where it was (Quay's REPO_MIRROR_ROLLBACK); else best effort. */
  rollback: boolean;
  /** How long a claim lasts without renewal; the worker renews it well before. */
  leaseMs: number;
  /** Time to leave for one tag: a run stops and hands on when less than this is left. */
  tagBudgetMs: number;
  /** Retries of a failing sync before it waits for its next interval. */
  retries: number;
}

export const DEFAULT_MIRROR_OPTIONS: MirrorOptions = {
  rollback: false,
  leaseMs: 5 * 60_000,
  tagBudgetMs: 3 * 60_000,
  retries: 3,
};

export interface MirrorDeps {
  registry: Registry;
  mirrors: MirrorStore;
  upstream: UpstreamConnector;
  credentials: CredentialBox;
  queue: JobQueue;
  /** Wakes the mirror scheduler when the next sync falls due. */
  wakeups: Wakeups;
  clock: Clock;
  newId: () => string;
  options: MirrorOptions;
}

export type MirrorJobResult =
  /** Another worker holds the mirror, or it is not due: nothing to do. */
  | { kind: 'skipped' }
  /** The claim was lost or the run cancelled between tags. */
  | { kind: 'stopped' }
  /** Out of time: a job to carry on was queued. */
  | { kind: 'handed-on'; next: number }
  | { kind: 'finished'; outcome: SyncOutcome; copied: string[]; removed: string[] };

/** Where the run must stop to hand on: Lambda's deadline, or never in a long-running process. */
export interface JobBudget {
  deadlineMs: number;
}

/**
 * One mirror sync job.
 *
 * Invariants:
 * - Only the holder of the mirror's claim writes to the repository on the
 *   mirror's behalf; every step renews the claim and stops once it is lost
 *   (lapsed, or cancelled by an administrator).
 * - The unit of work is one tag: the plan and progress are saved before
 *   each tag, so a run that runs out of time hands on to a new job and a
 *   crashed run is retried from scratch once its lease lapses.
 * - Manifests are stored children first and a tag moves last, so a reader
 *   never sees a tag whose content is not all there. With rollback, a run
 *   that fails points every tag it moved back where it was.
 */
export async function runMirrorJob(
  deps: MirrorDeps,
  job: MirrorSyncJob,
  budget: JobBudget = { deadlineMs: Number.POSITIVE_INFINITY },
): Promise<MirrorJobResult> {
  const now = deps.clock.now();
  const leaseUntil = () => deps.clock.now() + deps.options.leaseMs;
  let claim: MirrorClaim;
  let mirror: MirrorRecord;
  let run: SyncRun | null = null;
  if (job.token) {
    claim = { repositoryId: job.repositoryId, token: job.token };
    const resumed = await deps.mirrors.resume(claim, now, leaseUntil());
    if (!resumed) return { kind: 'stopped' };
    ({ mirror, run } = resumed);
  } else {
    claim = { repositoryId: job.repositoryId, token: deps.newId() };
    const claimed = await deps.mirrors.claim(job.repositoryId, claim.token, now, leaseUntil());
    if (!claimed) return { kind: 'skipped' };
    mirror = claimed;
    const started = await deps.mirrors.recordEvent(
      {
        kind: 'repo_mirror_sync_started',
        mirror,
        data: { message: `mirroring ${mirror.externalReference}` },
      },
      now,
    );
    if (started > 0 || publishes(deps)) await deps.wakeups.wakeAt('notifications', now);
  }

  let upstream: UpstreamRegistry;
  try {
    upstream = await connect(deps, mirror);
  } catch (error) {
    return finish(deps, claim, mirror, run, reasonOf(error));
  }
  try {
    if (!run) {
      try {
        run = await plan(deps, mirror, upstream);
      } catch (error) {
        return finish(deps, claim, mirror, null, reasonOf(error));
      }
      if (!(await deps.mirrors.saveRun(claim, run, leaseUntil()))) return { kind: 'stopped' };
    }
    while (run.next < run.plan.length) {
      if (deps.clock.now() + deps.options.tagBudgetMs > budget.deadlineMs) {
        await deps.queue.send([
          { kind: 'mirror-sync', repositoryId: claim.repositoryId, token: claim.token },
        ]);
        return { kind: 'handed-on', next: run.next };
      }
      if (!(await deps.mirrors.saveRun(claim, run, leaseUntil()))) return { kind: 'stopped' };
      const tag = run.plan[run.next]!;
      const stopHeartbeat = heartbeat(deps, claim, run);
      try {
        const moved = await copyImage(
          deps.registry,
          upstream,
          mirror.repositoryName,
          tag,
          mirror.robotId !== null && mirror.robotName !== null
            ? { id: mirror.robotId, name: mirror.robotName }
            : null,
        );
        if (moved) run.changed.push(tag);
      } catch (error) {
        run.failures.push({ tag, reason: reasonOf(error) });
        if (deps.options.rollback) break;
      } finally {
        stopHeartbeat();
      }
      run.next++;
    }
  } finally {
    await upstream.close();
  }
  return finish(deps, claim, mirror, run, null);
}

/** Lists upstream tags, keeps those the rules match, and notes what each local tag points at. */
async function plan(
  deps: MirrorDeps,
  mirror: MirrorRecord,
  upstream: UpstreamRegistry,
): Promise<SyncRun> {
  const tags = await upstream.listTags();
  const matches = tagMatcher(mirror.globs);
  const planned = [...new Set(tags.filter(matches))].sort();
  const previous: Record<string, string | null> = {};
  for (const tag of planned) previous[tag] = null;
  for (const entry of await liveTags(deps, mirror.repositoryId)) {
    previous[entry.name] = entry.manifestDigest;
  }
  return { plan: planned, next: 0, previous, changed: [], failures: [] };
}

async function liveTags(deps: MirrorDeps, repositoryId: number) {
  const metadata = deps.registry.deps.metadata;
  const entries = [];
  for (let offset = 0; ; offset += 500) {
    const page = await metadata.listTagEntries(repositoryId, {
      onlyActive: true,
      nowMs: deps.clock.now(),
      offset,
      limit: 500,
    });
    entries.push(...page);
    if (page.length < 500) return entries;
  }
}

/** The upstream, after checking (again: DNS may have changed) that its hosts may be reached. */
async function connect(deps: MirrorDeps, mirror: MirrorRecord): Promise<UpstreamRegistry> {
  const reference = parseExternalReference(mirror.externalReference);
  if (typeof reference === 'string') throw new Error(reference);
  for (const host of [reference.host, ...proxyHosts(mirror)]) {
    const refusal = await deps.upstream.refusal(host);
    if (refusal) throw new Error(refusal);
  }
  const target: UpstreamTarget = {
    ...reference,
    credentials: openCredentials(deps.credentials, mirror),
    verifyTls: mirror.verifyTls,
    proxy: mirror.proxy,
  };
  return deps.upstream.connect(target);
}

function openCredentials(box: CredentialBox, mirror: MirrorRecord) {
  if (!mirror.usernameSealed) return null;
  try {
    return {
      username: box.open(
        mirror.usernameSealed,
        mirrorCredentialContext(mirror.repositoryId, 'username'),
      ),
      password: mirror.passwordSealed
        ? box.open(mirror.passwordSealed, mirrorCredentialContext(mirror.repositoryId, 'password'))
        : '',
    };
  } catch {
    throw new Error(
      'the stored upstream credentials cannot be decrypted (has the secret key changed?); set them again',
    );
  }
}

/** Keeps the claim alive while one long tag copies. */
function heartbeat(deps: MirrorDeps, claim: MirrorClaim, run: SyncRun): () => void {
  const timer = setInterval(() => {
    void deps.mirrors
      .saveRun(claim, run, deps.clock.now() + deps.options.leaseMs)
      .catch(() => undefined);
  }, deps.options.leaseMs / 3);
  timer.unref?.();
  return () => clearInterval(timer);
}

/** Runs a tag removal; an immutable tag stays, and the refusal is returned instead. */
async function keepImmutable(remove: () => Promise<boolean>): Promise<boolean | TagImmutableError> {
  try {
    return await remove();
  } catch (error) {
    if (error instanceof TagImmutableError) return error;
    throw error;
  }
}

/**
 * Ends the run: removes tags that no longer match or are gone upstream,
 * unless a failure is being rolled back, in which case every tag the run
 * moved goes back where it was. `fatal` is a failure before any tag.
 */
async function finish(
  deps: MirrorDeps,
  claim: MirrorClaim,
  mirror: MirrorRecord,
  run: SyncRun | null,
  fatal: string | null,
): Promise<MirrorJobResult> {
  const metadata = deps.registry.deps.metadata;
  const failures = [...(run?.failures ?? [])];
  let failed = fatal !== null || failures.length > 0;
  const removed: string[] = [];
  let copied = run?.changed ?? [];
  if (run && failed && deps.options.rollback) {
    for (const tag of run.changed) {
      const before = run.previous[tag];
      const now = deps.clock.now();
      if (before) await metadata.setTag(mirror.repositoryId, tag, before, now);
      else await keepImmutable(() => metadata.deleteTag(mirror.repositoryId, tag, now));
    }
    copied = [];
  } else if (run && fatal === null) {
    const wanted = new Set(run.plan);
    for (const [tag, digest] of Object.entries(run.previous)) {
      if (digest === null || wanted.has(tag)) continue;
      const gone = await keepImmutable(() =>
        metadata.deleteTag(mirror.repositoryId, tag, deps.clock.now()),
      );
      if (gone === true) removed.push(tag);
      else if (gone instanceof TagImmutableError) failures.push({ tag, reason: gone.message });
    }
    failed = failures.length > 0;
  }

  const now = deps.clock.now();
  const error =
    fatal ??
    (failures.length > 0
      ? `${failures.length} of ${run!.plan.length} tag(s) failed: ` +
        failures.map((f) => `${f.tag}: ${f.reason}`).join('; ') +
        (deps.options.rollback ? ' (rolled back)' : '')
      : null);
  const retriesLeft = failed ? mirror.retriesRemaining - 1 : deps.options.retries;
  const outcome: SyncOutcome = {
    status: failed ? 'FAIL' : 'SUCCESS',
    nowMs: now,
    // A failure is retried at the scheduler's next tick until the retries run out.
    nextStartMs: failed && retriesLeft > 0 ? now : nextStart(mirror, now),
    retriesRemaining: failed && retriesLeft > 0 ? retriesLeft : deps.options.retries,
    error,
  };
  const finished = await deps.mirrors.finish(claim, outcome, {
    kind: failed ? 'repo_mirror_sync_failed' : 'repo_mirror_sync_success',
    mirror,
    data: {
      message: error ?? `mirrored ${run?.plan.length ?? 0} tag(s) from ${mirror.externalReference}`,
      tags: run?.plan ?? [],
      copied,
      removed,
    },
  });
  if (!finished) return { kind: 'stopped' };
  await deps.wakeups.wakeAt('mirror-schedule', outcome.nextStartMs);
  if (finished.deliveries > 0 || publishes(deps)) {
    await deps.wakeups.wakeAt('notifications', now);
  }
  return { kind: 'finished', outcome, copied, removed };
}

/** Whether events go to a bus, so each one is work for the notification worker. */
const publishes = (deps: MirrorDeps) => deps.registry.deps.options.publishesEvents;

/** The first start time on the mirror's schedule after now. */
function nextStart(mirror: MirrorRecord, nowMs: number): number {
  const intervalMs = mirror.syncIntervalS * 1000;
  if (intervalMs <= 0) return nowMs;
  if (mirror.syncStartMs > nowMs) return mirror.syncStartMs;
  const periods = Math.floor((nowMs - mirror.syncStartMs) / intervalMs) + 1;
  return mirror.syncStartMs + periods * intervalMs;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
