import { accessError } from '../errors/access-error.js';
import type { AccountRecord } from '../ports/identity-store.js';
import type { AccessServices } from './access-services.js';
import type { AuditKind } from './audit.js';
import type { Principal } from './principal.js';

const DEFAULT_OPTIONS_S = [0, 86_400, 7 * 86_400, 14 * 86_400, 28 * 86_400];

/** The namespace's time-machine window in seconds: its own, else the registry's. */
export function tagExpirationOf(s: AccessServices, namespace: AccountRecord): number {
  return namespace.tagExpirationS ?? s.deps.options.tagExpiration?.defaultS ?? 14 * 86_400;
}

/**
 * Sets how long the namespace's deleted and moved tags stay restorable (and
 * garbage collection keeps their manifests): one of the registry's
 * TAG_EXPIRATION_OPTIONS, as Quay allows.
 */
export async function changeTagExpiration(
  s: AccessServices,
  actor: Principal,
  namespace: AccountRecord,
  seconds: number,
  audit: AuditKind,
): Promise<void> {
  const options = s.deps.options.tagExpiration?.optionsS ?? DEFAULT_OPTIONS_S;
  if (!options.includes(seconds)) {
    throw accessError(
      'invalid_request',
      `tag_expiration_s must be one of ${options.join(', ')} (TAG_EXPIRATION_OPTIONS)`,
    );
  }
  await s.deps.store.updateAccount(namespace.id, { tagExpirationS: seconds });
  await s.audit.record(audit, actor, { namespace }, { tag_expiration: seconds });
}
