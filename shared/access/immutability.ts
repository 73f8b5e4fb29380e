import { randomUUID } from 'node:crypto';
import { accessError } from '../errors/access-error.js';
import type {
  ImmutabilityOwner,
  ImmutabilityPolicy,
  ImmutabilityPolicyRecord,
} from '../ports/immutability-store.js';
import { tagPatternProblem } from '../registry/prune-policy.js';
import type { AccessServices, AdminDeps } from './access-services.js';
import { OrganizationService } from './organizations.js';
import type { Principal } from './principal.js';
import { RepositoryAdminService } from './repository-admin.js';

/** Where a policy lives: an organization, or one repository. */
export type ImmutabilityScope =
  { kind: 'organization'; name: string } | { kind: 'repository'; name: string };

const policyProblem = (policy: ImmutabilityPolicy) => tagPatternProblem(policy.tagPattern);

/**
 * Immutable tags as Quay 3.17 manages them: a tag's own flag (write
 * permission sets it, admin permission clears it) and immutability
 * policies of organizations and repositories, administered by their admins.
 */
export class ImmutabilityService {
  constructor(
    private readonly s: AccessServices,
    private readonly admin: AdminDeps,
  ) {}

  private requireEnabled(): void {
    if (this.s.deps.options.immutableTags === false) {
      throw accessError('not_found', 'immutable tags are not enabled (FEATURE_IMMUTABLE_TAGS)');
    }
  }

  private async owner(
    actor: Principal,
    scope: ImmutabilityScope,
  ): Promise<{
    owner: ImmutabilityOwner;
    audit: Parameters<AccessServices['audit']['record']>[2];
  }> {
    this.requireEnabled();
    if (scope.kind === 'organization') {
      const organization = await new OrganizationService(this.s).requireAdmin(actor, scope.name);
      return {
        owner: { namespaceId: organization.id, repositoryId: null },
        audit: { namespace: organization },
      };
    }
    const view = await new RepositoryAdminService(this.s).requireAdmin(actor, scope.name);
    return {
      owner: { namespaceId: view.namespace.id, repositoryId: view.repository.id },
      audit: { namespace: view.namespace, repository: view.repository },
    };
  }

  async list(actor: Principal, scope: ImmutabilityScope): Promise<ImmutabilityPolicyRecord[]> {
    const { owner } = await this.owner(actor, scope);
    return this.admin.immutability.listPolicies(owner);
  }

  async get(actor: Principal, scope: ImmutabilityScope, uuid: string) {
    const policy = (await this.list(actor, scope)).find((p) => p.uuid === uuid);
    if (!policy) throw accessError('not_found', `no immutability policy ${uuid}`);
    return policy;
  }

  async create(actor: Principal, scope: ImmutabilityScope, policy: ImmutabilityPolicy) {
    const problem = policyProblem(policy);
    if (problem) throw accessError('invalid_request', problem);
    const { owner, audit } = await this.owner(actor, scope);
    const uuid = randomUUID();
    const created = await this.admin.immutability.createPolicy(
      { uuid, ...owner, ...policy },
      this.s.deps.clock.now(),
    );
    if (!created) throw accessError('invalid_request', 'an identical policy already exists');
    await this.s.audit.record('create_immutability_policy', actor, audit, {
      tag_pattern: policy.tagPattern,
      tag_pattern_matches: policy.tagPatternMatches,
    });
    return uuid;
  }

  async update(
    actor: Principal,
    scope: ImmutabilityScope,
    uuid: string,
    policy: ImmutabilityPolicy,
  ): Promise<void> {
    const problem = policyProblem(policy);
    if (problem) throw accessError('invalid_request', problem);
    const { owner, audit } = await this.owner(actor, scope);
    const outcome = await this.admin.immutability.updatePolicy(
      owner,
      uuid,
      policy,
      this.s.deps.clock.now(),
    );
    if (outcome === 'missing') throw accessError('not_found', `no immutability policy ${uuid}`);
    if (outcome === 'duplicate') {
      throw accessError('invalid_request', 'an identical policy already exists');
    }
    await this.s.audit.record('update_immutability_policy', actor, audit, {
      policy_uuid: uuid,
      tag_pattern: policy.tagPattern,
      tag_pattern_matches: policy.tagPatternMatches,
    });
  }

  async delete(actor: Principal, scope: ImmutabilityScope, uuid: string): Promise<void> {
    const { owner, audit } = await this.owner(actor, scope);
    if (!(await this.admin.immutability.deletePolicy(owner, uuid))) {
      throw accessError('not_found', `no immutability policy ${uuid}`);
    }
    await this.s.audit.record('delete_immutability_policy', actor, audit, { policy_uuid: uuid });
  }

  /** A tag's own flag: anyone who may write the repository sets it; only its admins clear it. */
  async setTagImmutable(actor: Principal, name: string, tag: string, immutable: boolean) {
    this.requireEnabled();
    const admin = new RepositoryAdminService(this.s);
    const view = immutable
      ? await admin.requireContentWrite(actor, name)
      : await admin.requireAdmin(actor, name);
    const changed = await this.admin.immutability.setTagImmutable(
      view.repository.id,
      tag,
      immutable,
      this.s.deps.clock.now(),
    );
    if (!changed) throw accessError('not_found', `no tag ${tag}`);
    await this.s.audit.record(
      immutable ? 'tag_made_immutable' : 'tag_made_mutable',
      actor,
      { namespace: view.namespace, repository: view.repository },
      { tag },
    );
  }
}
