import { accessError } from '../errors/access-error.js';
import { isRepositoryName } from '../oci/grammar.js';
import type {
  AccountRecord,
  Delegate,
  RepositoryInfo,
  RepositoryRole,
  RepositoryState,
  Visibility,
} from '../ports/identity-store.js';
import type { AccessServices } from './access-services.js';
import type { Principal } from './principal.js';
import { writeRefusal } from './repository-access.js';
import { namespaceOf } from './roles.js';
import { requireNamespace, requireUser } from './users.js';

export interface RepositoryView {
  repository: RepositoryInfo;
  namespace: AccountRecord;
  role: RepositoryRole | null;
  canWrite: boolean;
  canAdmin: boolean;
}

/** Repositories as `/api/v1/repository` manages them: create, view, settings, permissions. */
export class RepositoryAdminService {
  constructor(private readonly s: AccessServices) {}

  /** The repository if the caller may read it; `not_found` alike for missing and hidden ones. */
  async view(actor: Principal, name: string): Promise<RepositoryView> {
    const repository = await this.s.deps.store.findRepository(name);
    const namespaceName = namespaceOf(name);
    if (repository && namespaceName) {
      const { role, actions } = await this.s.rules.accessOn(actor, repository);
      const namespace = await this.s.deps.store.findAccount(namespaceName);
      if (namespace && actions.has('pull')) {
        return {
          repository,
          namespace,
          role,
          canWrite: actions.has('push'),
          canAdmin: role === 'admin',
        };
      }
    }
    throw accessError('not_found', `no repository ${name}`);
  }

  /** Stars or unstars a repository the caller can read, for the calling user. */
  async star(actor: Principal, name: string, starred: boolean): Promise<RepositoryView> {
    const user = requireUser(actor);
    const view = await this.view(actor, name);
    await this.s.deps.store.setStar(
      user.account.id,
      view.repository.id,
      starred,
      this.s.deps.clock.now(),
    );
    return view;
  }

  /** Whether the caller starred it; anonymous callers and robots star nothing. */
  async isStarred(actor: Principal, view: RepositoryView): Promise<boolean> {
    if (actor.kind !== 'user') return false;
    return this.s.deps.store.isStarred(actor.account.id, view.repository.id);
  }

  /**
   * A page of the caller's starred repositories, by name: those of the
   * first `limit` stars it can still read, and where the next page starts.
   */
  async starred(actor: Principal, after: string | undefined, limit: number) {
    const user = requireUser(actor);
    const rows = await this.s.deps.store.starredRepositories(user.account.id, after, limit + 1);
    const page = rows.slice(0, limit);
    const readable = [];
    for (const repository of page) {
      const { actions } = await this.s.rules.accessOn(actor, repository);
      if (actions.has('pull')) readable.push(repository);
    }
    return {
      repositories: readable,
      nextAfter: rows.length > limit ? page[page.length - 1]!.name : undefined,
    };
  }

  async requireAdmin(actor: Principal, name: string): Promise<RepositoryView> {
    const view = await this.view(actor, name);
    if (!view.canAdmin) throw accessError('forbidden', `you do not administer ${name}`);
    return view;
  }

  async create(
    actor: Principal,
    input: { namespace: string; repository: string; visibility: Visibility; description: string },
  ): Promise<RepositoryInfo> {
    const name = `${input.namespace}/${input.repository}`;
    if (!isRepositoryName(name))
      throw accessError('invalid_request', `invalid repository name ${name}`);
    const namespace = await requireNamespace(this.s, input.namespace);
    if (!(await this.s.rules.canCreateIn(actor, namespace)) || actor.kind === 'anonymous') {
      throw accessError('forbidden', `you cannot create repositories in ${input.namespace}`);
    }
    const { store, clock } = this.s.deps;
    if (await store.findRepository(name))
      throw accessError('conflict', `repository ${name} already exists`);
    const ownNamespace = actor.kind === 'user' && actor.account.id === namespace.id;
    const repository = await store.createRepository({
      name,
      namespaceId: namespace.id,
      visibility: input.visibility,
      description: input.description,
      creatorGrant: ownNamespace ? null : { accountId: actor.account.id, role: 'admin' },
      nowMs: clock.now(),
    });
    await this.s.audit.record('create_repo', actor, { namespace, repository });
    return repository;
  }

  async list(
    actor: Principal,
    filter: {
      namespace?: string | undefined;
      publicOnly: boolean;
      after?: string | undefined;
      contains?: string | undefined;
      offset?: number | undefined;
      limit: number;
    },
  ) {
    let namespaceId: number | undefined;
    if (filter.namespace !== undefined) {
      const namespace = await this.s.deps.store.findAccount(filter.namespace);
      if (!namespace) return [];
      namespaceId = namespace.id;
    }
    return this.s.deps.store.listRepositories({
      ...this.s.rules.listingViewer(actor),
      publicOnly: filter.publicOnly,
      limit: filter.limit,
      ...(namespaceId === undefined ? {} : { namespaceId }),
      ...(filter.after === undefined ? {} : { after: filter.after }),
      ...(filter.contains === undefined ? {} : { contains: filter.contains }),
      ...(filter.offset === undefined ? {} : { offset: filter.offset }),
    });
  }

  async setDescription(actor: Principal, name: string, description: string) {
    const { repository } = await this.requireWrite(actor, name);
    await this.s.deps.store.updateRepository(repository.id, { description });
    await this.s.audit.record('set_repo_description', actor, { repository }, { description });
  }

  /** Content writes (tags, labels) obey the repository state, as pushes do. */
  async requireContentWrite(actor: Principal, name: string): Promise<RepositoryView> {
    const view = await this.view(actor, name);
    if (view.canWrite) return view;
    throw accessError('forbidden', writeRefusal(view.repository.state, name));
  }

  private async requireWrite(actor: Principal, name: string) {
    const view = await this.view(actor, name);
    const role = view.role;
    if (role !== 'write' && role !== 'admin')
      throw accessError('forbidden', `you cannot change ${name}`);
    return view;
  }

  async setVisibility(actor: Principal, name: string, visibility: Visibility) {
    const { repository } = await this.requireAdmin(actor, name);
    await this.s.deps.store.updateRepository(repository.id, { visibility });
    await this.s.audit.record('change_repo_visibility', actor, { repository }, { visibility });
  }

  async setState(actor: Principal, name: string, state: RepositoryState, mirrorRobot?: string) {
    const { repository, namespace } = await this.requireAdmin(actor, name);
    let mirrorRobotId: number | null | undefined;
    if (mirrorRobot !== undefined) {
      const robot = await this.s.deps.store.findAccount(mirrorRobot);
      if (!robot || robot.kind !== 'robot' || robot.robotOwnerId !== namespace.id) {
        throw accessError('invalid_request', `no robot ${mirrorRobot} in ${namespace.name}`);
      }
      mirrorRobotId = robot.id;
    }
    await this.s.deps.store.updateRepository(repository.id, {
      state,
      ...(mirrorRobotId === undefined ? {} : { mirrorRobotId }),
    });
    await this.s.audit.record(
      'change_repo_state',
      actor,
      { repository },
      {
        state_changed: state,
      },
    );
  }

  async delete(actor: Principal, name: string) {
    const { repository, namespace } = await this.requireAdmin(actor, name);
    await this.s.deps.store.deleteRepository(repository.id);
    await this.s.audit.record('delete_repo', actor, { namespace, repository });
  }

  async permissions(actor: Principal, name: string, kind: 'account' | 'team') {
    const { repository, namespace } = await this.requireAdmin(actor, name);
    return { namespace, entries: await this.s.deps.store.listPermissions(repository.id, kind) };
  }

  /** Resolves a user, robot or team name to a delegate the repository's namespace may grant. */
  async delegate(namespace: AccountRecord, kind: 'account' | 'team', delegateName: string) {
    const { store } = this.s.deps;
    if (kind === 'team') {
      const team =
        namespace.kind === 'organization' ? await store.findTeam(namespace.id, delegateName) : null;
      if (!team) throw accessError('not_found', `no team ${delegateName} in ${namespace.name}`);
      return { delegate: { teamId: team.id } as Delegate, account: null };
    }
    const account = await store.findAccount(delegateName);
    const grantable =
      account &&
      (account.kind === 'user' ||
        (account.kind === 'robot' && account.robotOwnerId === namespace.id));
    if (!account || !grantable) throw accessError('not_found', `no user or robot ${delegateName}`);
    return { delegate: { accountId: account.id } as Delegate, account };
  }

  async setPermission(
    actor: Principal,
    name: string,
    kind: 'account' | 'team',
    delegateName: string,
    role: RepositoryRole,
  ) {
    const { repository, namespace } = await this.requireAdmin(actor, name);
    const { delegate, account } = await this.delegate(namespace, kind, delegateName);
    await this.s.deps.store.setPermission(repository.id, delegate, role);
    await this.s.audit.record(
      'change_repo_permission',
      actor,
      { repository },
      {
        [kind === 'team' ? 'team' : 'username']: delegateName,
        role,
      },
    );
    return { account, role };
  }

  async deletePermission(
    actor: Principal,
    name: string,
    kind: 'account' | 'team',
    delegateName: string,
  ) {
    const { repository, namespace } = await this.requireAdmin(actor, name);
    const { delegate } = await this.delegate(namespace, kind, delegateName);
    if (!(await this.s.deps.store.deletePermission(repository.id, delegate))) {
      throw accessError('not_found', `${delegateName} has no permission on ${name}`);
    }
    await this.s.audit.record(
      'delete_repo_permission',
      actor,
      { repository },
      {
        [kind === 'team' ? 'team' : 'username']: delegateName,
      },
    );
  }
}
