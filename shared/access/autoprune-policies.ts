import { accessError } from '../errors/access-error.js';
import type { PolicyOwner, PolicyRecord } from '../ports/prune-store.js';
import { policyProblem, type PrunePolicy } from '../registry/prune-policy.js';
import type { AccessServices, AdminDeps } from './access-services.js';
import type { AuditKind, AuditTarget } from './audit.js';
import { OrganizationService } from './organizations.js';
import type { Principal } from './principal.js';
import { RepositoryAdminService } from './repository-admin.js';
import { requireUser } from './users.js';

/** Whose policies a request is about: an organization's, the caller's own, or a repository's. */
export type PolicyScope =
  { kind: 'organization'; name: string } | { kind: 'user' } | { kind: 'repository'; name: string };

interface ResolvedOwner {
  owner: PolicyOwner;
  target: AuditTarget;
  audit: 'namespace' | 'repository';
}

/** Auto-prune policies, administered by whoever administers their namespace or repository. */
export class AutoprunePolicyService {
  constructor(
    private readonly s: AccessServices,
    private readonly admin: AdminDeps,
  ) {}

  private async resolve(actor: Principal, scope: PolicyScope): Promise<ResolvedOwner> {
    if (this.s.deps.options.autopruneEnabled === false) {
      throw accessError('not_found', 'auto-prune is not enabled (FEATURE_AUTO_PRUNE)');
    }
    if (scope.kind === 'organization') {
      const organization = await new OrganizationService(this.s).requireAdmin(actor, scope.name);
      return {
        owner: { namespaceId: organization.id, repositoryId: null },
        target: { namespace: organization },
        audit: 'namespace',
      };
    }
    if (scope.kind === 'user') {
      const user = requireUser(actor);
      return {
        owner: { namespaceId: user.account.id, repositoryId: null },
        target: { namespace: user.account },
        audit: 'namespace',
      };
    }
    const view = await new RepositoryAdminService(this.s).requireAdmin(actor, scope.name);
    return {
      owner: { namespaceId: view.namespace.id, repositoryId: view.repository.id },
      target: { namespace: view.namespace, repository: view.repository },
      audit: 'repository',
    };
  }

  async list(actor: Principal, scope: PolicyScope): Promise<PolicyRecord[]> {
    const { owner } = await this.resolve(actor, scope);
    return this.admin.prune.listPolicies(owner);
  }

  async get(actor: Principal, scope: PolicyScope, uuid: string): Promise<PolicyRecord> {
    const { owner } = await this.resolve(actor, scope);
    return this.requirePolicy(owner, uuid);
  }

  private async requirePolicy(owner: PolicyOwner, uuid: string): Promise<PolicyRecord> {
    const policy = (await this.admin.prune.listPolicies(owner)).find((p) => p.uuid === uuid);
    if (!policy) throw accessError('not_found', `no auto-prune policy ${uuid}`);
    return policy;
  }

  async create(actor: Principal, scope: PolicyScope, policy: PrunePolicy): Promise<string> {
    assertUsable(policy);
    const resolved = await this.resolve(actor, scope);
    const uuid = this.s.deps.newId();
    await this.admin.prune.createPolicy(
      { uuid, ...resolved.owner, policy },
      this.s.deps.clock.now(),
    );
    await this.record(actor, resolved, 'create', { uuid, ...policy });
    await this.admin.wakeups.wakeAt('autoprune', this.s.deps.clock.now());
    return uuid;
  }

  async update(actor: Principal, scope: PolicyScope, uuid: string, policy: PrunePolicy) {
    assertUsable(policy);
    const resolved = await this.resolve(actor, scope);
    if (!(await this.admin.prune.updatePolicy(resolved.owner, uuid, policy))) {
      throw accessError('not_found', `no auto-prune policy ${uuid}`);
    }
    await this.record(actor, resolved, 'update', { uuid, ...policy });
    await this.admin.wakeups.wakeAt('autoprune', this.s.deps.clock.now());
  }

  async delete(actor: Principal, scope: PolicyScope, uuid: string): Promise<void> {
    const resolved = await this.resolve(actor, scope);
    if (!(await this.admin.prune.deletePolicy(resolved.owner, uuid))) {
      throw accessError('not_found', `no auto-prune policy ${uuid}`);
    }
    await this.record(actor, resolved, 'delete', { uuid });
  }

  private async record(
    actor: Principal,
    resolved: ResolvedOwner,
    verb: 'create' | 'update' | 'delete',
    metadata: Record<string, unknown>,
  ) {
    const kind = `${verb}_${resolved.audit}_autoprune_policy` as AuditKind;
    await this.s.audit.record(kind, actor, resolved.target, metadata);
  }
}

function assertUsable(policy: PrunePolicy): void {
  const problem = policyProblem(policy);
  if (problem) throw accessError('invalid_request', problem);
}
