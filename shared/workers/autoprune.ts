import type { Clock } from '../ports/clock.js';
import type { PolicyRecord, PruneClaim, PruneStore } from '../ports/prune-store.js';
import { tagsToPrune } from '../registry/prune-policy.js';

export interface AutopruneOptions {
  /** How long a claim on a namespace lasts before another worker may take it; renewed per page. */
  leaseMs: number;
  /** Repositories per page. */
  pageSize: number;
}

export const DEFAULT_AUTOPRUNE: AutopruneOptions = { leaseMs: 5 * 60_000, pageSize: 100 };

export interface AutopruneDeps {
  prune: PruneStore;
  clock: Clock;
  newId: () => string;
}

export interface AutopruneRun {
  namespaces: number;
  pruned: number;
}

/**
 * One auto-prune run: claims, one after another, the namespaces whose task
 * ran least recently (each at most once per run), applies their policies
 * (namespace-wide ones to every repository, repository ones to theirs) and
 * records each outcome. A namespace without policies loses its task.
 * Pruning ends tags; they stay restorable in the time machine until garbage
 * collection. Concurrent runs share the namespaces between them.
 */
export async function runAutoprune(
  deps: AutopruneDeps,
  options: AutopruneOptions = DEFAULT_AUTOPRUNE,
): Promise<AutopruneRun> {
  const startedMs = deps.clock.now();
  const run: AutopruneRun = { namespaces: 0, pruned: 0 };
  for (;;) {
    const pruned = await pruneNextNamespace(deps, options, startedMs);
    if (pruned === null) return run;
    run.namespaces += 1;
    run.pruned += pruned;
  }
}

/** Tags pruned in the namespace claimed, or null when no task is due. */
async function pruneNextNamespace(
  deps: AutopruneDeps,
  options: AutopruneOptions,
  ranBeforeMs: number,
): Promise<number | null> {
  const { prune, clock } = deps;
  const now = clock.now();
  const claim = await prune.claimTask(
    { nowMs: now, untilMs: now + options.leaseMs, ranBeforeMs },
    deps.newId(),
  );
  if (!claim) return null;
  try {
    const policies = await prune.namespacePolicies(claim.namespaceId);
    if (policies.length === 0) {
      await prune.deleteTask(claim);
      return 0;
    }
    const pruned = await pruneNamespace(deps, claim, policies, options);
    await prune.finishTask(
      claim,
      clock.now(),
      pruned === null ? 'interrupted: claim lost' : `success: ${pruned} tags pruned`,
    );
    return pruned ?? 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await prune.finishTask(claim, clock.now(), `failed: ${message}`.slice(0, 1000));
    throw error;
  }
}

/** Tags pruned, or null if the claim was lost midway (another worker now owns the namespace). */
async function pruneNamespace(
  deps: AutopruneDeps,
  claim: PruneClaim,
  policies: PolicyRecord[],
  options: AutopruneOptions,
): Promise<number | null> {
  const { prune, clock } = deps;
  const everywhere = policies.filter((p) => p.repositoryId === null);
  const byRepository = new Map<number, PolicyRecord[]>();
  for (const p of policies) {
    if (p.repositoryId !== null) {
      byRepository.set(p.repositoryId, [...(byRepository.get(p.repositoryId) ?? []), p]);
    }
  }
  let pruned = 0;
  let after = '';
  for (;;) {
    const page = await prune.namespaceRepositories(claim.namespaceId, after, options.pageSize);
    if (page.length === 0) return pruned;
    // Renewed before each page: the lease then covers the whole page.
    if (!(await prune.renewClaim(claim, clock.now() + options.leaseMs))) return null;
    after = page[page.length - 1]!.name;
    for (const repository of page) {
      const applicable = [...everywhere, ...(byRepository.get(repository.id) ?? [])];
      if (applicable.length === 0) continue;
      const now = clock.now();
      const tags = await prune.liveTags(repository.id, now);
      const doomed = new Map<number, string[]>();
      for (const { uuid, policy } of applicable) {
        for (const tag of tagsToPrune(policy, tags, now)) {
          doomed.set(tag.id, [...(doomed.get(tag.id) ?? []), uuid]);
        }
      }
      if (doomed.size === 0) continue;
      const uuids = [...new Set([...doomed.values()].flat())];
      pruned += (await prune.pruneTags(repository, [...doomed.keys()], now, uuids)).length;
    }
  }
}
