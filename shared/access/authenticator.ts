import { accessError } from '../errors/access-error.js';
import type { Clock } from '../ports/clock.js';
import type {
  AccountRecord,
  AppTokenRecord,
  IdentityStore,
  LoginAttemptKey,
} from '../ports/identity-store.js';
import type { OAuthStore } from '../ports/oauth-store.js';
import { ANONYMOUS, type OAuthScope, type Principal } from './principal.js';
import { hashPassword, hashToken, tokenMatches, verifyPassword } from './secrets.js';

export interface AuthenticatorOptions {
  /** Names of the superusers (Quay's SUPER_USERS). */
  superusers: ReadonlySet<string>;
  /** Password guesses allowed per login name and source address in one window. */
  maxFailedLogins: number;
  /** The window those guesses are counted in (default 15 minutes). */
  loginWindowMs?: number;
}

/** Quay's app-specific tokens log in with this user name. */
export const APP_TOKEN_USER = '$app';
/** And OAuth access tokens with this one (`docker login -u '$oauthtoken'`). */
export const OAUTH_TOKEN_USER = '$oauthtoken';

const BAD_CREDENTIALS = 'invalid username or password';
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;
/** How long a login waits for other checks of the same name and address to finish. */
const BUSY_WAIT_MS = 10_000;
/** No account name is longer; a longer one is refused without counting it anywhere. */
const MAX_LOGIN_NAME_LENGTH = 255;

// Secrets to spend the same time on when the account does not exist, so the
// answer's timing does not tell which names are taken.
const decoyHash = hashPassword('decoy password');
const DECOY_TOKEN_HASH = hashToken('decoy robot token');

/** Robots (`namespace+robot`) log in with generated tokens, users with passwords. */
const isRobotName = (name: string) => name.includes('+');

/**
 * Turns credentials into a principal. Password guesses are counted per login
 * name and source address, in the database (so every Lambda instance sees
 * them), before they are checked: at most `maxFailedLogins` per window,
 * however many arrive at once, and a guess from one address never locks the
 * account out for another. Names that do not exist are counted alike. Robot,
 * app and OAuth tokens are generated and long, so guessing them is hopeless:
 * they are never throttled, and a flood of bad ones cannot stop a pipeline.
 */
export class Authenticator {
  private readonly windowMs: number;

  constructor(
    private readonly store: IdentityStore,
    private readonly oauth: OAuthStore,
    private readonly clock: Clock,
    private readonly options: AuthenticatorOptions,
  ) {
    this.windowMs = options.loginWindowMs ?? LOGIN_WINDOW_MS;
  }

  principalFor(account: AccountRecord): Principal {
    if (account.kind === 'robot') return { kind: 'robot', account };
    return { kind: 'user', account, superuser: this.options.superusers.has(account.name) };
  }

  /** `source`: the client's address, as the HTTP layer determined it (null when unknown). */
  async login(username: string, secret: string, source: string | null = null): Promise<Principal> {
    // No account name or secret holds one, and PostgreSQL refuses it in text.
    if (username.includes('\0') || secret.includes('\0')) {
      throw accessError('unauthorized', BAD_CREDENTIALS);
    }
    if (username === APP_TOKEN_USER) return this.appToken(secret);
    if (username === OAUTH_TOKEN_USER) return this.oauthToken(secret);
    if (username.length > MAX_LOGIN_NAME_LENGTH) throw accessError('unauthorized', BAD_CREDENTIALS);
    if (isRobotName(username)) return this.robotLogin(username, secret);

    const key = { name: username, source: source ?? '' };
    await this.reserveGuess(key);
    const account = await this.store.findAccount(username);
    const passwordHash =
      account?.kind === 'user' ? (await this.store.loginSecrets(account.id)).passwordHash : null;
    const valid = await verifyPassword(secret, passwordHash ?? (await decoyHash));
    const right = valid && account !== null && passwordHash !== null;
    const now = this.clock.now();
    await this.store.settleLoginAttempt(key, right ? 'right' : 'wrong', this.windowMs, now);
    if (!right) throw accessError('unauthorized', BAD_CREDENTIALS);
    await this.store.recordLogin(account.id, now);
    return this.principalFor(account);
  }

  /**
   * A slot to check one guess in. While other guesses for the same name and
   * address are being checked (a script logging in many times at once), it
   * waits for them rather than refuse: only wrong guesses fill the window.
   */
  private async reserveGuess(key: LoginAttemptKey): Promise<void> {
    const deadline = Date.now() + BUSY_WAIT_MS;
    for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
      const reservation = await this.store.reserveLoginAttempt(
        key,
        this.options.maxFailedLogins,
        this.windowMs,
        this.clock.now(),
      );
      if (reservation.allowed) return;
      if (!reservation.busy || Date.now() + pause > deadline) {
        throw accessError('too_many_attempts', 'too many failed logins; try again later', {
          retryAfterSeconds: reservation.busy ? 1 : Math.ceil(reservation.retryAfterMs / 1000),
        });
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  private async robotLogin(username: string, token: string): Promise<Principal> {
    const account = await this.store.findAccount(username);
    const tokenHash =
      account?.kind === 'robot' ? (await this.store.loginSecrets(account.id)).tokenHash : null;
    const valid = tokenMatches(token, tokenHash ?? DECOY_TOKEN_HASH);
    if (!valid || !account || tokenHash === null) {
      throw accessError('unauthorized', BAD_CREDENTIALS);
    }
    await this.store.recordLogin(account.id, this.clock.now());
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

  /**
   * Who an `Authorization` header of the REST API's kinds names: a Bearer
   * token, Basic credentials, or nobody when there is none. Throws
   * `unauthorized` for wrong credentials and other schemes.
   */
  async authorization(header: string | undefined, source: string | null): Promise<Principal> {
    const bearer = parseBearer(header);
    if (bearer) return this.bearer(bearer);
    const basic = parseBasic(header);
    if (basic) return this.login(basic.username, basic.password, source);
    if (header) throw accessError('unauthorized', 'unsupported authorization scheme');
    return ANONYMOUS;
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
