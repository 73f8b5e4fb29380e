import { changeTagExpiration } from './tag-expiration.js';
import { AccessError, accessError } from '../errors/access-error.js';
import { AccountExistsError, type AccountRecord } from '../ports/identity-store.js';
import type { AccessServices } from './access-services.js';
import { hasScope, isSuperuser, type Principal } from './principal.js';
import { assertEmail, assertNamespaceName, assertPassword } from './names.js';
import { hashPassword, randomToken } from './secrets.js';

/** The calling user; an OAuth token must also carry `scope` (user:read to look, user:admin to change). */
export function requireUser(
  principal: Principal,
  scope: 'user:read' | 'user:admin' = 'user:admin',
): Extract<Principal, { kind: 'user' }> {
  if (principal.kind === 'user') {
    if (!hasScope(principal, scope))
      throw accessError('forbidden', `this token lacks the ${scope} scope`);
    return principal;
  }
  if (principal.kind === 'robot') throw accessError('forbidden', 'robots cannot do this');
  throw accessError('unauthorized', 'authentication required');
}

export function requireSuperuser(principal: Principal): void {
  requireUser(principal, 'user:read');
  if (!isSuperuser(principal)) throw accessError('forbidden', 'only superusers can do this');
}

export async function requireNamespace(s: AccessServices, name: string): Promise<AccountRecord> {
  const account = await s.deps.store.findAccount(name);
  if (!account || account.kind === 'robot') throw accessError('not_found', `no namespace ${name}`);
  return account;
}

/** Users: created by superusers (or once, by bootstrap or `user/initialize`). */
export class UserService {
  constructor(private readonly s: AccessServices) {}

  private async create(username: string, email: string | null, password: string) {
    assertNamespaceName(username);
    if (email !== null) assertEmail(email);
    assertPassword(password);
    try {
      return await this.s.deps.store.createAccount({
        name: username,
        kind: 'user',
        email,
        passwordHash: await hashPassword(password),
        nowMs: this.s.deps.clock.now(),
      });
    } catch (error) {
      if (error instanceof AccountExistsError) {
        throw accessError('conflict', 'the user name or e-mail is already taken', { cause: error });
      }
      throw error;
    }
  }

  /** A superuser creates a user; the generated password is returned once. */
  async createBySuperuser(actor: Principal, username: string, email: string | null) {
    requireSuperuser(actor);
    const password = randomToken(24);
    const account = await this.create(username, email, password);
    await this.s.audit.record('user_create', actor, { namespace: account });
    return { account, password };
  }

  /**
   * Quay's `user/initialize`: with FEATURE_USER_INITIALIZE on and no user
   * yet, the first user is created through the API. It must be a configured
   * superuser, or nobody could administer the registry.
   */
  async initialize(username: string, password: string, email: string | null) {
    const { options } = this.s.deps;
    if (!options.userInitialize) {
      throw accessError(
        'not_found',
        'user initialization is not enabled (FEATURE_USER_INITIALIZE)',
      );
    }
    if ((await this.s.deps.store.countAccounts('user')) > 0) {
      throw accessError('invalid_request', 'the registry already has users');
    }
    if (!options.superusers.includes(username)) {
      throw accessError('invalid_request', `${username} is not in SUPER_USERS`);
    }
    const account = await this.create(username, email, password);
    await this.s.audit.record('user_create', this.s.authenticator.principalFor(account), {
      namespace: account,
    });
    return account;
  }

  /**
   * On a registry without users, creates the first superuser. Returns the
   * password when it was generated, so the caller can show it once.
   */
  async bootstrap(
    username: string,
    password: string | undefined,
  ): Promise<{ created: boolean; generatedPassword?: string }> {
    const { store, options } = this.s.deps;
    if (!options.enabled || options.userInitialize) return { created: false };
    if ((await store.countAccounts('user')) > 0) return { created: false };
    const chosen = password ?? randomToken(24);
    try {
      const account = await this.create(username, null, chosen);
      await this.s.audit.record('user_create', this.s.authenticator.principalFor(account), {
        namespace: account,
      });
    } catch (error) {
      // Two processes starting on one empty database: one of them wins.
      if (error instanceof AccessError && error.kind === 'conflict') return { created: false };
      throw error;
    }
    return password === undefined
      ? { created: true, generatedPassword: chosen }
      : { created: true };
  }

  async changePassword(actor: Principal, password: string) {
    const user = requireUser(actor);
    assertPassword(password);
    await this.s.deps.store.updateAccount(user.account.id, {
      passwordHash: await hashPassword(password),
    });
    await this.s.audit.record('user_change_password', actor, { namespace: user.account });
  }

  /** The user's own namespace's time-machine window. */
  async changeTagExpiration(actor: Principal, seconds: number) {
    const user = requireUser(actor);
    await changeTagExpiration(this.s, actor, user.account, seconds, 'user_change_tag_expiration');
  }

  async changeEmail(actor: Principal, email: string) {
    const user = requireUser(actor);
    assertEmail(email);
    try {
      await this.s.deps.store.updateAccount(user.account.id, { email });
    } catch (error) {
      if (error instanceof AccountExistsError)
        throw accessError('conflict', 'e-mail already in use');
      throw error;
    }
    await this.s.audit.record('user_change_email', actor, { namespace: user.account }, { email });
  }

  async deleteBySuperuser(actor: Principal, username: string) {
    requireSuperuser(actor);
    const account = await this.s.deps.store.findAccount(username);
    if (!account || account.kind !== 'user') throw accessError('not_found', `no user ${username}`);
    if (actor.kind === 'user' && actor.account.id === account.id) {
      throw accessError('invalid_request', 'superusers cannot delete themselves');
    }
    await this.s.deps.store.deleteAccount(account.id);
    await this.s.audit.record('user_delete', actor, {}, { username });
  }

  async list(actor: Principal, after: string | undefined, limit: number) {
    requireSuperuser(actor);
    return this.s.deps.store.listAccounts('user', after, limit);
  }
}
