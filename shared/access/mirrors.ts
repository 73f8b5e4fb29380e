import { accessError } from '../errors/access-error.js';
import type { MirrorRecord, MirrorSettings, ProxySettings } from '../ports/mirror-store.js';
import { parseExternalReference, proxyHosts } from '../registry/external-reference.js';
import { globProblem } from '../registry/tag-globs.js';
import type { AccessServices, AdminDeps } from './access-services.js';
import { mirrorCredentialContext } from './credential-box.js';
import type { Principal } from './principal.js';
import { RepositoryAdminService, type RepositoryView } from './repository-admin.js';

/** What an administrator may set on a mirror, in the registry's terms. */
export interface MirrorChanges {
  isEnabled?: boolean;
  externalReference?: string;
  /** Username and password together; `password` undefined keeps the stored one. */
  username?: string | null;
  password?: string | null;
  verifyTls?: boolean;
  proxy?: ProxySettings | null;
  globs?: string[];
  robot?: string;
  syncIntervalS?: number;
  syncStartMs?: number;
}

export interface MirrorView extends MirrorRecord {
  /** The upstream username in clear; the password is never shown. */
  username: string | null;
}

/**
 * Repository mirrors, administered by the repository's administrators.
 * Creating one puts the repository in state MIRROR, where only the mirror's
 * robot writes. Upstream hosts are checked against the address guard when
 * saved (the worker checks again before every run).
 */
export class MirrorService {
  constructor(
    private readonly s: AccessServices,
    private readonly admin: AdminDeps,
  ) {}

  private async administered(actor: Principal, name: string): Promise<RepositoryView> {
    if (this.s.deps.options.mirrorEnabled === false) {
      throw accessError('not_found', 'repository mirroring is not enabled (FEATURE_REPO_MIRROR)');
    }
    return new RepositoryAdminService(this.s).requireAdmin(actor, name);
  }

  private async requireMirror(view: RepositoryView): Promise<MirrorRecord> {
    const mirror = await this.admin.mirrors.find(view.repository.id);
    if (!mirror) throw accessError('not_found', `${view.repository.name} is not a mirror`);
    return mirror;
  }

  async get(actor: Principal, name: string): Promise<MirrorView> {
    const mirror = await this.requireMirror(await this.administered(actor, name));
    let username: string | null = null;
    if (mirror.usernameSealed) {
      try {
        username = this.admin.credentials.open(
          mirror.usernameSealed,
          mirrorCredentialContext(mirror.repositoryId, 'username'),
        );
      } catch {
        username = '(invalid. please re-enter)';
      }
    }
    return { ...mirror, username };
  }

  async create(actor: Principal, name: string, input: MirrorChanges): Promise<void> {
    const view = await this.administered(actor, name);
    const { externalReference, globs, robot, syncIntervalS, syncStartMs } = input;
    if (
      externalReference === undefined ||
      globs === undefined ||
      robot === undefined ||
      syncIntervalS === undefined ||
      syncStartMs === undefined
    ) {
      throw accessError(
        'invalid_request',
        'external_reference, root_rule, robot_username, sync_interval and sync_start_date are required',
      );
    }
    if (await this.admin.mirrors.find(view.repository.id)) {
      throw accessError('conflict', `${view.repository.name} already has a mirror configuration`);
    }
    const settings: MirrorSettings = {
      isEnabled: input.isEnabled ?? true,
      externalReference,
      usernameSealed: null,
      passwordSealed: null,
      verifyTls: input.verifyTls ?? true,
      proxy: input.proxy ?? null,
      globs,
      robotId: 0,
      syncIntervalS,
      syncStartMs,
    };
    const checked = await this.check(view, input, settings);
    if (!(await this.admin.mirrors.create(view.repository.id, checked, this.s.deps.clock.now()))) {
      throw accessError('conflict', `${view.repository.name} already has a mirror configuration`);
    }
    await this.record(actor, view, 'external_reference', externalReference);
    await this.grantRobotWrite(view, checked.robotId);
    if (checked.isEnabled) await this.admin.wakeups.wakeAt('mirror-schedule', syncStartMs);
  }

  /** As Quay does: the mirror's robot may write the repository it fills (an admin grant stays). */
  private async grantRobotWrite(view: RepositoryView, robotId: number): Promise<void> {
    const robot = await this.s.deps.store.findAccountById(robotId);
    if (!robot) return;
    const current = (await this.s.deps.store.listPermissions(view.repository.id, 'account')).find(
      (p) => p.name === robot.name,
    );
    if (current?.role === 'write' || current?.role === 'admin') return;
    await this.s.deps.store.setPermission(view.repository.id, { accountId: robotId }, 'write');
  }

  async update(actor: Principal, name: string, input: MirrorChanges): Promise<void> {
    const view = await this.administered(actor, name);
    const current = await this.requireMirror(view);
    const checked = await this.check(view, input, {
      ...current,
      robotId: current.robotId ?? 0,
    });
    const changes: Partial<MirrorSettings> = {};
    for (const key of Object.keys(checked) as (keyof MirrorSettings)[]) {
      if (JSON.stringify(checked[key]) !== JSON.stringify(current[key])) {
        (changes as Record<string, unknown>)[key] = checked[key];
      }
    }
    if (Object.keys(changes).length === 0) return;
    await this.admin.mirrors.update(view.repository.id, changes);
    if (changes.robotId) await this.grantRobotWrite(view, changes.robotId);
    for (const key of Object.keys(changes) as (keyof MirrorSettings)[]) {
      const secret = key === 'usernameSealed' || key === 'passwordSealed';
      await this.record(actor, view, CHANGED_FIELD[key], secret ? '********' : changes[key]);
    }
    if (checked.isEnabled) await this.admin.wakeups.wakeAt('mirror-schedule', checked.syncStartMs);
  }

  /** Validates the changes onto `base`, sealing credentials; refuses internal upstream hosts. */
  private async check(
    view: RepositoryView,
    input: MirrorChanges,
    base: MirrorSettings,
  ): Promise<MirrorSettings> {
    const next: MirrorSettings = { ...base };
    if (input.isEnabled !== undefined) next.isEnabled = input.isEnabled;
    if (input.verifyTls !== undefined) next.verifyTls = input.verifyTls;
    if (input.proxy !== undefined) next.proxy = input.proxy;
    if (input.syncStartMs !== undefined) next.syncStartMs = input.syncStartMs;
    if (input.syncIntervalS !== undefined) next.syncIntervalS = input.syncIntervalS;
    if (input.externalReference !== undefined)
      next.externalReference = input.externalReference.trim();
    if (input.globs !== undefined) {
      const problem = globProblem(input.globs);
      if (problem) throw accessError('invalid_request', problem);
      next.globs = input.globs;
    }
    if (input.robot !== undefined) next.robotId = (await this.robotOf(view, input.robot)).id;
    this.sealCredentials(view, input, next);

    const reference = parseExternalReference(next.externalReference);
    if (typeof reference === 'string') throw accessError('invalid_request', reference);
    let hosts: string[];
    try {
      hosts = [reference.host, ...proxyHosts(next)];
    } catch {
      throw accessError('invalid_request', 'proxy settings must be URLs such as http://proxy:3128');
    }
    for (const host of hosts) {
      const refusal = await this.admin.upstream.refusal(host);
      if (refusal) throw accessError('invalid_request', refusal);
    }
    return next;
  }

  private sealCredentials(view: RepositoryView, input: MirrorChanges, next: MirrorSettings) {
    const { username, password } = input;
    if (username === undefined && password === undefined) return;
    const box = this.admin.credentials;
    const id = view.repository.id;
    if (username === null || username === '') {
      if (password) {
        throw accessError('invalid_request', 'Unable to delete username while setting a password.');
      }
      next.usernameSealed = null;
      next.passwordSealed = null;
      return;
    }
    if (username === undefined) {
      if (!next.usernameSealed) {
        throw accessError('invalid_request', 'a password needs external_registry_username');
      }
    } else {
      next.usernameSealed = box.seal(username, mirrorCredentialContext(id, 'username'));
    }
    if (password !== undefined) {
      next.passwordSealed = password
        ? box.seal(password, mirrorCredentialContext(id, 'password'))
        : null;
    }
  }

  private async robotOf(view: RepositoryView, robotName: string) {
    const robot = await this.s.deps.store.findAccount(robotName);
    if (!robot || robot.kind !== 'robot' || robot.robotOwnerId !== view.namespace.id) {
      throw accessError(
        'invalid_request',
        `no robot ${robotName} in ${view.namespace.name}: the mirror's robot must belong to the repository's namespace`,
      );
    }
    return robot;
  }

  async setRules(actor: Principal, name: string, globs: string[]): Promise<void> {
    await this.update(actor, name, { globs });
  }

  async syncNow(actor: Principal, name: string): Promise<void> {
    const view = await this.administered(actor, name);
    const result = await this.admin.mirrors.requestSync(
      view.repository.id,
      this.s.deps.clock.now(),
    );
    if (result === 'no-mirror') throw accessError('not_found', `${name} is not a mirror`);
    if (result === 'running') {
      throw accessError('conflict', 'a sync is running; cancel it first or wait for it to end');
    }
    await this.record(actor, view, 'sync_status', 'SYNC_NOW');
    await this.admin.wakeups.wakeAt('mirror-schedule', this.s.deps.clock.now());
  }

  async cancel(actor: Principal, name: string): Promise<void> {
    const view = await this.administered(actor, name);
    if (!(await this.admin.mirrors.cancelSync(view.repository.id, this.s.deps.clock.now()))) {
      throw accessError('not_found', `${name} is not a mirror`);
    }
    await this.record(actor, view, 'sync_status', 'SYNC_CANCEL');
  }

  private async record(actor: Principal, view: RepositoryView, changed: string, to: unknown) {
    await this.s.audit.record(
      'repo_mirror_config_changed',
      actor,
      { namespace: view.namespace, repository: view.repository },
      { changed, to },
    );
  }
}

/** Quay's names for what changed, in `repo_mirror_config_changed` entries. */
const CHANGED_FIELD: Record<keyof MirrorSettings, string> = {
  isEnabled: 'is_enabled',
  externalReference: 'external_reference',
  usernameSealed: 'external_registry_username',
  passwordSealed: 'external_registry_password',
  verifyTls: 'verify_tls',
  proxy: 'proxy',
  globs: 'root_rule',
  robotId: 'robot_username',
  syncIntervalS: 'sync_interval',
  syncStartMs: 'sync_start_date',
};
