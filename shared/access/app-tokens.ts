import { accessError } from '../errors/access-error.js';
import type { AccessServices } from './access-services.js';
import type { Principal } from './principal.js';
import { hashToken, randomToken } from './secrets.js';
import { requireUser } from './users.js';

/**
 * Quay's app-specific tokens: per-user credentials for CLIs and scripts,
 * revocable one by one. Used as a password with the user name `$app`, or as
 * a Bearer token on `/api/v1`. Only a hash is kept; the code is shown once.
 */
export class AppTokenService {
  constructor(private readonly s: AccessServices) {}

  async create(actor: Principal, title: string, expiresInSeconds?: number) {
    const user = requireUser(actor);
    const { store, clock, newId } = this.s.deps;
    const code = randomToken(40);
    const now = clock.now();
    const token = {
      id: newId(),
      accountId: user.account.id,
      title,
      createdAtMs: now,
      expiresAtMs: expiresInSeconds ? now + expiresInSeconds * 1000 : null,
      lastAccessedMs: null,
    };
    await store.createAppToken({ ...token, tokenHash: hashToken(code) });
    await this.s.audit.record(
      'create_app_specific_token',
      actor,
      { namespace: user.account },
      {
        app_specific_token_title: title,
        app_specific_token: token.id,
      },
    );
    return { token, code };
  }

  async list(actor: Principal) {
    return this.s.deps.store.listAppTokens(requireUser(actor, 'user:read').account.id);
  }

  async get(actor: Principal, id: string) {
    const token = (await this.list(actor)).find((t) => t.id === id);
    if (!token) throw accessError('not_found', `no app token ${id}`);
    return token;
  }

  async revoke(actor: Principal, id: string) {
    const user = requireUser(actor);
    if (!(await this.s.deps.store.deleteAppToken(user.account.id, id))) {
      throw accessError('not_found', `no app token ${id}`);
    }
    await this.s.audit.record(
      'revoke_app_specific_token',
      actor,
      { namespace: user.account },
      {
        app_specific_token: id,
      },
    );
  }
}
