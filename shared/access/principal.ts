import type { AccountRecord } from '../ports/identity-store.js';

/** Quay's OAuth scopes: what a token granted to an application lets it do. */
export const OAUTH_SCOPES = [
  'repo:read',
  'repo:write',
  'repo:admin',
  'repo:create',
  'user:read',
  'user:admin',
  'org:admin',
  'super:user',
] as const;
export type OAuthScope = (typeof OAUTH_SCOPES)[number];

/**
 * Who is asking. Robots act only through explicit grants; superusers may do
 * anything. A principal acting through an OAuth token carries its scopes,
 * which cap what its account could otherwise do; without scopes nothing is
 * capped (passwords, robot tokens, app tokens).
 */
export type Principal =
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      account: AccountRecord;
      superuser: boolean;
      scopes?: ReadonlySet<OAuthScope>;
    }
  | { kind: 'robot'; account: AccountRecord; scopes?: ReadonlySet<OAuthScope> };

export const ANONYMOUS: Principal = { kind: 'anonymous' };

export const accountOf = (p: Principal): AccountRecord | null =>
  p.kind === 'anonymous' ? null : p.account;

export const hasScope = (p: Principal, scope: OAuthScope): boolean =>
  p.kind !== 'anonymous' && (p.scopes === undefined || p.scopes.has(scope));

export const isSuperuser = (p: Principal): boolean =>
  p.kind === 'user' && p.superuser && hasScope(p, 'super:user');
