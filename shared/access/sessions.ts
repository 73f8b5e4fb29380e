import { timingSafeEqual } from 'node:crypto';
import { accessError } from '../errors/access-error.js';
import type { Clock } from '../ports/clock.js';
import type { IdentityStore } from '../ports/identity-store.js';
import { APP_TOKEN_USER, OAUTH_TOKEN_USER, type Authenticator } from './authenticator.js';
import type { Principal } from './principal.js';
import { hashToken, randomToken } from './secrets.js';

/** Quay's PERMANENT_SESSION_LIFETIME default: 31 days. */
export const DEFAULT_SESSION_LIFETIME_S = 2_678_400;

/** A session the cookie named, as a request sees it. */
export interface ActiveSession {
  principal: Principal;
  tokenHash: string;
  csrfToken: string;
}

export interface NewSession {
  /** The cookie's value: known to the browser only, stored as its hash. */
  token: string;
  csrfToken: string;
  expiresAtMs: number;
}

/**
 * Web console sessions. Only users sign in, with their password, through
 * the same throttled check as every other login; robots and tokens are for
 * machines. A session lives in the database, so every instance sees it and
 * signing out ends it at once; its writes must also carry its CSRF token,
 * which another site's page can never read.
 */
export class ConsoleSessions {
  constructor(
    private readonly store: IdentityStore,
    private readonly authenticator: Authenticator,
    private readonly clock: Clock,
    private readonly options: { lifetimeMs: number },
  ) {}

  async signIn(username: string, password: string, source: string | null): Promise<NewSession> {
    if (username === APP_TOKEN_USER || username === OAUTH_TOKEN_USER || username.includes('+')) {
      throw accessError('unauthorized', 'only users sign in to the console');
    }
    const principal = await this.authenticator.login(username, password, source);
    if (principal.kind !== 'user')
      throw accessError('unauthorized', 'invalid username or password');
    const now = this.clock.now();
    const session = {
      token: randomToken(48),
      csrfToken: randomToken(32),
      expiresAtMs: now + this.options.lifetimeMs,
    };
    await this.store.createSession({
      tokenHash: hashToken(session.token),
      accountId: principal.account.id,
      csrfToken: session.csrfToken,
      createdAtMs: now,
      expiresAtMs: session.expiresAtMs,
    });
    return session;
  }

  /** The live session the cookie names; null for an unknown, ended or lapsed one. */
  async resolve(token: string): Promise<ActiveSession | null> {
    const tokenHash = hashToken(token);
    const session = await this.store.findSession(tokenHash);
    if (!session || session.expiresAtMs <= this.clock.now()) return null;
    const account = await this.store.findAccountById(session.accountId);
    if (!account || account.kind !== 'user') return null;
    return {
      principal: this.authenticator.principalFor(account),
      tokenHash,
      csrfToken: session.csrfToken,
    };
  }

  async signOut(token: string): Promise<void> {
    await this.store.deleteSession(hashToken(token));
  }

  /**
   * Ends the account's sessions but `keep`: a password change keeps the one
   * that made it, a sign-out (as Quay's) keeps none.
   */
  async endAll(accountId: number, keep: ActiveSession | undefined): Promise<void> {
    await this.store.deleteSessionsOf(accountId, keep?.tokenHash);
  }
}

/** Whether a write's `X-CSRF-Token` is its session's, compared in constant time. */
export function csrfMatches(session: ActiveSession, header: string | undefined): boolean {
  if (!header) return false;
  const given = Buffer.from(header);
  const expected = Buffer.from(session.csrfToken);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
