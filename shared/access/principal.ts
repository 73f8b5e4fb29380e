import type { AccountRecord } from '../ports/identity-store.js';

/** Who is asking. Robots act only through explicit grants; superusers may do anything. */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'user'; account: AccountRecord; superuser: boolean }
  | { kind: 'robot'; account: AccountRecord };

export const ANONYMOUS: Principal = { kind: 'anonymous' };

export const accountOf = (p: Principal): AccountRecord | null =>
  p.kind === 'anonymous' ? null : p.account;

export const isSuperuser = (p: Principal): boolean => p.kind === 'user' && p.superuser;
