import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { accessError } from '../errors/access-error.js';
import type { Clock } from '../ports/clock.js';
import type { AccessGrant } from './scopes.js';
import { BoundedMemo } from '../registry/bounded-memo.js';

export interface RegistryTokenOptions {
  /** HMAC key; only this registry issues and checks its tokens. */
  key: Uint8Array;
  /** The `service` clients name in `/v2/auth`; the token's audience. */
  service: string;
  expirySeconds: number;
  clock: Clock;
}

export interface VerifiedToken {
  /** Account id of the subject; null for an anonymous token. */
  accountId: number | null;
  subject: string;
  access: AccessGrant[];
  /** The OAuth scopes the token was issued under, if it came from an OAuth token. */
  scopes: string[] | undefined;
}

const ISSUER = 'berth';
const ALGORITHM = 'HS256';
/** Distinct tokens remembered as verified; a client sends one token for a whole push or pull. */
const VERIFIED_TOKENS = 10_000;

interface Verified {
  token: VerifiedToken;
  notBeforeMs: number;
  expiresMs: number;
}

/**
 * Docker registry tokens: JWTs whose `access` claim lists exactly what the
 * caller may do. HS256 only; `alg: none`, other algorithms, other keys,
 * other audiences and expired tokens are all refused.
 *
 * A token's signature and claims never change, so once verified it is
 * remembered until it expires: the requests of one push or pull verify it
 * once instead of once each. Its time window is still checked every time.
 */
export class RegistryTokens {
  private readonly verified = new BoundedMemo<Verified>(VERIFIED_TOKENS);

  constructor(private readonly options: RegistryTokenOptions) {}

  get service(): string {
    return this.options.service;
  }

  async issue(
    subject: { id: number; name: string } | null,
    access: AccessGrant[],
    scopes?: string[],
  ): Promise<{ token: string; expiresIn: number; issuedAt: string }> {
    const nowSeconds = Math.floor(this.options.clock.now() / 1000);
    const claims = {
      access,
      ...(subject ? { account_id: subject.id } : {}),
      ...(scopes ? { scopes } : {}),
    };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(this.options.service)
      .setSubject(subject?.name ?? '')
      .setIssuedAt(nowSeconds)
      .setNotBefore(nowSeconds)
      .setExpirationTime(nowSeconds + this.options.expirySeconds)
      .setJti(crypto.randomUUID())
      .sign(this.options.key);
    return {
      token,
      expiresIn: this.options.expirySeconds,
      issuedAt: new Date(nowSeconds * 1000).toISOString(),
    };
  }

  async verify(token: string): Promise<VerifiedToken> {
    const now = this.options.clock.now();
    const known = this.verified.get(token);
    if (known && now >= known.notBeforeMs && now < known.expiresMs) return known.token;
    try {
      const { payload } = await jwtVerify(token, this.options.key, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience: this.options.service,
        currentDate: new Date(now),
        requiredClaims: ['exp', 'sub'],
      });
      const access = Array.isArray(payload.access) ? (payload.access as AccessGrant[]) : [];
      const accountId = typeof payload.account_id === 'number' ? payload.account_id : null;
      const scopes = Array.isArray(payload.scopes) ? (payload.scopes as string[]) : undefined;
      const verified = { accountId, subject: payload.sub ?? '', access, scopes };
      this.verified.set(token, {
        token: verified,
        // Seconds, as JWTs count; a token without `nbf` is good from the start.
        notBeforeMs: (payload.nbf ?? 0) * 1000,
        expiresMs: payload.exp! * 1000,
      });
      return verified;
    } catch (error) {
      this.verified.delete(token);
      const expired = error instanceof joseErrors.JWTExpired;
      throw accessError('unauthorized', expired ? 'token expired' : 'invalid token', {
        challengeError: 'invalid_token',
        cause: error,
      });
    }
  }
}
