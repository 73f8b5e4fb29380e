/** Immutability policies: tags whose names match a pattern cannot change. */

export interface ImmutabilityPolicy {
  tagPattern: string;
  /** True: matching tags are immutable; false: tags that do not match are. */
  tagPatternMatches: boolean;
}

export interface ImmutabilityPolicyRecord extends ImmutabilityPolicy {
  uuid: string;
  namespaceId: number;
  /** Null for a namespace policy, which covers every repository of the namespace. */
  repositoryId: number | null;
}

export interface ImmutabilityOwner {
  namespaceId: number;
  repositoryId: number | null;
}

export interface ImmutabilityStore {
  listPolicies(owner: ImmutabilityOwner): Promise<ImmutabilityPolicyRecord[]>;
  /** False when the owner already has a policy with this pattern and sense. */
  createPolicy(record: ImmutabilityPolicyRecord, nowMs: number): Promise<boolean>;
  /** 'missing' when the owner has no such policy, 'duplicate' when another has the same rule. */
  updatePolicy(
    owner: ImmutabilityOwner,
    uuid: string,
    policy: ImmutabilityPolicy,
    nowMs: number,
  ): Promise<'updated' | 'missing' | 'duplicate'>;
  deletePolicy(owner: ImmutabilityOwner, uuid: string): Promise<boolean>;
  /** Sets or clears a live tag's own flag; false when the tag is not live. */
  setTagImmutable(
    repositoryId: number,
    tag: string,
    immutable: boolean,
    nowMs: number,
  ): Promise<boolean>;
}
