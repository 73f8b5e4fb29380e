import { hkdfSync, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createAccessServices, type AccessServices } from '../../shared/access/access-services.js';
import type { Database } from '../../shared/adapters/sql/schema.js';
import { createSqlIdentityStore } from '../../shared/adapters/sql/sql-identity-store.js';
import { SqlOAuthStore } from '../../shared/adapters/sql/sql-oauth-store.js';
import { SqlImmutabilityStore } from '../../shared/adapters/sql/sql-immutability.js';
import { SqlPruneStore } from '../../shared/adapters/sql/sql-prune-store.js';
import { SqlQuotaStore } from '../../shared/adapters/sql/sql-quota-store.js';
import { SqlReplicationStore } from '../../shared/adapters/sql/sql-replication-store.js';
import { SqlMirrorStore } from '../../shared/adapters/sql/sql-mirror-store.js';
import { AddressGuard } from '../../shared/adapters/upstream/address-guard.js';
import { CredentialBox } from '../../shared/access/credential-box.js';
import type { BerthConfig } from '../../shared/config/config.js';
import type { Registry } from '../../shared/registry/registry.js';
import { tickingWakeups, type Wakeups } from '../../shared/ports/wakeups.js';
import type { Mailer } from '../../shared/ports/notification-transport.js';
import { SqlNotificationStore } from '../../shared/adapters/sql/sql-notification-store.js';
import { SqlInboxStore } from '../../shared/adapters/sql/sql-inbox-store.js';
import { SqlAuthorizedEmails } from '../../shared/adapters/sql/sql-authorized-emails.js';

/** Derives the token-signing key from the registry's secret, so the secret itself signs nothing. */
export function tokenKeyFrom(secret: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, 'berth', 'registry token signing', 32));
}

/** The key mirror credentials and webhook secrets are sealed with, derived apart from the token key. */
export function credentialKeyFrom(secret: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, 'berth', 'mirror credential sealing', 32));
}

/** Identity and access on the same database as the registry, for any runtime. */
export function accessFromConfig(
  config: BerthConfig,
  db: Kysely<Database>,
  registry: Registry,
  secret: string,
  /** Long-running processes batch audit writes; Lambda, which may freeze after a response, does not. */
  runtime: 'server' | 'lambda',
  wiring: {
    wakeups?: Wakeups;
    /** Mails address confirmations; only the functions that serve `/api/v1` pass one. */
    mailer?: Mailer | null;
  } = {},
): AccessServices {
  const a = config.access;
  const guard = new AddressGuard(config.outboundAllowedHosts);
  return createAccessServices(
    {
      store: createSqlIdentityStore(db),
      oauth: new SqlOAuthStore(db),
      quota: new SqlQuotaStore(db, config.quotaManagement),
      prune: new SqlPruneStore(db, config.immutability),
      immutability: new SqlImmutabilityStore(db, config.immutability),
      mirrors: new SqlMirrorStore(db),
      replication: new SqlReplicationStore(db),
      notifications: new SqlNotificationStore(db),
      inbox: new SqlInboxStore(db),
      authorizedEmails: new SqlAuthorizedEmails(db),
      mailer: wiring.mailer ?? null,
      // Saving a mirror or a webhook only checks its host: the HTTP client stays out of the API functions.
      outbound: guard,
      upstream: guard,
      credentials: new CredentialBox(credentialKeyFrom(secret)),
      wakeups: wiring.wakeups ?? tickingWakeups,
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
