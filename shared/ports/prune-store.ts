import type { PrunePolicy } from '../registry/prune-policy.js';

/** Auto-prune policies, the per-namespace tasks that run them, and the tags they prune. */

export interface PolicyRecord {
  uuid: string;
  namespaceId: number;
  /** Null for a namespace policy, which applies to every repository of the namespace. */
  repositoryId: number | null;
  policy: PrunePolicy;
}

export interface PolicyOwner {
  namespaceId: number;
  repositoryId: number | null;
}

export interface LiveTag {
  id: number;
  name: string;
  startMs: number;
}

export interface PruneClaim {
  namespaceId: number;
  token: string;
}

export interface PruneStore {
  /** The owner's own policies: a namespace's (repositoryId null) or one repository's. */
  listPolicies(owner: PolicyOwner): Promise<PolicyRecord[]>;
  /** Every policy of the namespace, namespace-wide and per repository. */
  namespacePolicies(namespaceId: number): Promise<PolicyRecord[]>;
  /** Creates the policy and, in the same transaction, the namespace's task if it has none. */
  createPolicy(record: PolicyRecord, nowMs: number): Promise<void>;
  updatePolicy(owner: PolicyOwner, uuid: string, policy: PrunePolicy): Promise<boolean>;
  deletePolicy(owner: PolicyOwner, uuid: string): Promise<boolean>;

  /**
   * Claims, until `untilMs`, the task that ran least recently (never-run
   * first) among those not claimed by a live worker and not run since
   * `ranBeforeMs`; null when there is none.
   */
  claimTask(
    at: { nowMs: number; untilMs: number; ranBeforeMs: number },
    token: string,
  ): Promise<PruneClaim | null>;
  /** Extends a claim; false when it was lost (it lapsed and another worker took it). */
  renewClaim(claim: PruneClaim, untilMs: number): Promise<boolean>;
  /** Records the run and releases the claim. */
  finishTask(claim: PruneClaim, nowMs: number, status: string): Promise<void>;
  /** For a namespace left without policies. */
  deleteTask(claim: PruneClaim): Promise<void>;
  taskStatus(
    namespaceId: number,
  ): Promise<{ lastRanMs: number | null; status: string | null } | null>;

  /** The namespace's repositories by name, after `afterName`. */
  namespaceRepositories(
    namespaceId: number,
    afterName: string,
    limit: number,
  ): Promise<{ id: number; name: string }[]>;
  /** Tags alive at `nowMs`, newest first. */
  liveTags(repositoryId: number, nowMs: number): Promise<LiveTag[]>;
  /**
   * Ends those of the tags that are still alive, and writes an audit entry
   * (`autoprune_tag_delete`) for each in the same transaction; returns the
   * names ended.
   */
  pruneTags(
    repository: { id: number; name: string },
    tagIds: number[],
    nowMs: number,
    policyUuids: string[],
  ): Promise<string[]>;
}
