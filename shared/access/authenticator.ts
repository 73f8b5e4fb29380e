import { accessError } from '../errors/access-error.js';
import type { Clock } from '../ports/clock.js';
import type { AccountRecord, AppTokenRecord, IdentityStore } from '../ports/identity-store.js';
import type { OAuthStore } from '../ports/oauth-store.js';
import type { OAuthScope, Principal } from './principal.js';
import { hashPassword, hashToken, tokenMatches, verifyPassword } from './secrets.js';

export interface AuthenticatorOptions {
  /** Names of the superusers (Quay's SUPER_USERS). */
  superusers: ReadonlySet<string>;
  /** Failed logins allowed before the account is locked for a while. */
  maxFailedLogins: number;
}

/** Quay's app-specific tokens log in with this user name. */
export const APP_TOKEN_USER = '$app';
/** And OAuth access tokens with this one (`docker login -u '$oauthtoken'`). */
export const OAUTH_TOKEN_USER = '$oauthtoken';

const BAD_CREDENTIALS = 'invalid username or password';

// A hash to spend time on when the account does not exist, so the answer's
// timing does not tell which user names are taken.
const decoyHash = hashPassword('decoy password');

/**
 * Turns credentials into a principal. Brute force is held back per account
 * in the database (so every Lambda instance sees it): after
 * `maxFailedLogins` failures, each further attempt must wait twice as long
 * as the last, from 1 s up to 15 min, even with the right password.
 */
export class Authenticator {
  constructor(
    private readonly store: IdentityStore,
    private readonly oauth: OAuthStore,
    private readonly clock: Clock,
    private readonly options: AuthenticatorOptions,
  ) {}

  principalFor(account: AccountRecord): Principal {
    if (account.kind === 'robot') return { kind: 'robot', account };
    return { kind: 'user', account, superuser: this.options.superusers.has(account.name) };
  }

  async login(username: string, secret: string): Promise<Principal> {
    // No account name or secret holds one, and PostgreSQL refuses it in text.
    if (username.includes('\0') || secret.includes('\0')) {
      throw accessError('unauthorized', BAD_CREDENTIALS);
    }
    if (username === APP_TOKEN_USER) return this.appToken(secret);
    if (username === OAUTH_TOKEN_USER) return this.oauthToken(secret);
    const account = await this.store.findAccount(username);
    if (!account || account.kind === 'organization') {
      await verifyPassword(secret, await decoyHash);
      throw accessError('unauthorized', BAD_CREDENTIALS);
    }
    const secrets = await this.store.loginSecrets(account.id);
    const now = this.clock.now();
    const wait = this.lockedForMs(secrets.invalidLoginAttempts, secrets.lastInvalidLoginMs, now);
    if (wait > 0) {
      throw accessError('too_many_attempts', 'too many failed logins; try again later', {
        retryAfterSeconds: Math.ceil(wait / 1000),
      });
    }
    const valid =
      account.kind === 'robot'
        ? tokenMatches(secret, secrets.tokenHash)
        : secrets.passwordHash !== null && (await verifyPassword(secret, secrets.passwordHash));
    if (!valid) {
      await this.store.recordLoginFailure(account.id, now);
      throw accessError('unauthorized', BAD_CREDENTIALS);
    }
    await this.store.recordLoginSuccess(account.id, now);
    return this.principalFor(account);
  }

  /** An app-specific token, as a password (`$app`) or as an API Bearer token. */
  async appToken(code: string): Promise<Principal> {
    return this.appTokenPrincipal(await this.store.findAppTokenByHash(hashToken(code)));
  }

  private async appTokenPrincipal(token: AppTokenRecord | null): Promise<Principal> {
    const now = this.clock.now();
    if (!token || (token.expiresAtMs !== null && token.expiresAtMs <= now)) {
      throw accessError('unauthorized', 'invalid or expired token');
    }
    const account = await this.store.findAccountById(token.accountId);
    if (!account) throw accessError('unauthorized', 'invalid or expired token');
    await this.store.touchAppToken(token.id, now);
    return this.principalFor(account);
  }

  /** An API Bearer token: an app-specific token, or an OAuth access token with its scopes. */
  async bearer(token: string): Promise<Principal> {
    const appToken = await this.store.findAppTokenByHash(hashToken(token));
    return appToken ? this.appTokenPrincipal(appToken) : this.oauthToken(token);
  }

  async oauthToken(token: string): Promise<Principal> {
    const grant = await this.oauth.findAccessToken(hashToken(token));
    if (!grant || grant.expiresAtMs <= this.clock.now()) {
      throw accessError('unauthorized', 'invalid or expired token');
    }
    const account = await this.store.findAccountById(grant.accountId);
    if (!account) throw accessError('unauthorized', 'invalid or expired token');
    const scopes = new Set(grant.scope.split(' ') as OAuthScope[]);
    const principal = this.principalFor(account);
    return principal.kind === 'anonymous' ? principal : { ...principal, scopes };
  }

  private lockedForMs(attempts: number, lastFailureMs: number | null, now: number): number {
    const over = attempts - this.options.maxFailedLogins;
    if (over < 0 || lastFailureMs === null) return 0;
    const backoffMs = Math.min(1000 * 2 ** over, 15 * 60 * 1000);
    return Math.max(0, lastFailureMs + backoffMs - now);
  }
}

/** Splits an `Authorization: Basic` header; null when it is not one. */
export function parseBasic(
  header: string | undefined,
): { username: string; password: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function parseBearer(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1]! : null;
}
