import { hkdfSync, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createAccessServices, type AccessServices } from '../../shared/access/access-services.js';
import type { Database } from '../../shared/adapters/sql/schema.js';
import { createSqlIdentityStore } from '../../shared/adapters/sql/sql-identity-store.js';
import { SqlOAuthStore } from '../../shared/adapters/sql/sql-oauth-store.js';
import { SqlQuotaStore } from '../../shared/adapters/sql/sql-quota-store.js';
import type { BerthConfig } from '../../shared/config/config.js';
import type { Registry } from '../../shared/registry/registry.js';

/** Derives the token-signing key from the registry's secret, so the secret itself signs nothing. */
export function tokenKeyFrom(secret: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, 'berth', 'registry token signing', 32));
}

/** The key mirror credentials and webhook secrets are sealed with, derived apart from the token key. */
export function credentialKeyFrom(secret: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, 'berth', 'mirror credential sealing', 32));
}

/**
 * Identity and access on the same database as the registry, for any
 * runtime. The administration API's own stores are `adminFromConfig`'s.
 */
export function accessFromConfig(
  config: BerthConfig,
  db: Kysely<Database>,
  registry: Registry,
  secret: string,
  /** Long-running processes batch audit writes; Lambda, which may freeze after a response, does not. */
  runtime: 'server' | 'lambda',
): AccessServices {
  const a = config.access;
  return createAccessServices(
    {
      store: createSqlIdentityStore(db),
      oauth: new SqlOAuthStore(db),
      quota: new SqlQuotaStore(db, config.quotaManagement),
      clock: registry.deps.clock,
      newId: randomUUID,
      tokenKey: tokenKeyFrom(secret),
      options: {
        enabled: a.enabled,
        superusers: a.superusers,
        superusersFullAccess: a.superusersFullAccess,
        userInitialize: a.userInitialize,
        tokenService: a.tokenService,
        tokenExpirySeconds: a.tokenExpirySeconds,
        maxFailedLogins: a.maxFailedLogins,
        sessionLifetimeS: a.sessionLifetimeS,
        mirrorEnabled: config.mirror.enabled,
        quotaEnabled: config.quotaManagement,
        autopruneEnabled: config.autoprune,
        immutableTags: config.immutability.enabled,
        tagExpiration: {
          optionsS: config.tagExpirationOptionsS,
          defaultS: config.timeMachineMs / 1000,
        },
        auditBatchDelayMs: runtime === 'server' ? a.auditBatchMs : 0,
        replicateTo: config.replicateTo,
      },
    },
    registry.listings,
  );
}
