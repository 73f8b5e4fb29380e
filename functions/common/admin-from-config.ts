import type { Kysely } from 'kysely';
import type { AdminDeps } from '../../shared/access/access-services.js';
import { CredentialBox } from '../../shared/access/credential-box.js';
import type { Database } from '../../shared/adapters/sql/schema.js';
import { SqlAuthorizedEmails } from '../../shared/adapters/sql/sql-authorized-emails.js';
import { SqlImmutabilityStore } from '../../shared/adapters/sql/sql-immutability.js';
import { SqlInboxStore } from '../../shared/adapters/sql/sql-inbox-store.js';
import { SqlMirrorStore } from '../../shared/adapters/sql/sql-mirror-store.js';
import { SqlNotificationStore } from '../../shared/adapters/sql/sql-notification-store.js';
import { SqlPruneStore } from '../../shared/adapters/sql/sql-prune-store.js';
import { SqlReplicationStore } from '../../shared/adapters/sql/sql-replication-store.js';
import { AddressGuard } from '../../shared/adapters/upstream/address-guard.js';
import type { BerthConfig } from '../../shared/config/config.js';
import type { Mailer } from '../../shared/ports/notification-transport.js';
import type { Wakeups } from '../../shared/ports/wakeups.js';
import { credentialKeyFrom } from './access-from-config.js';

/**
 * The administration API's stores on the registry's database, for the
 * entry points that serve `/api/v1` (the local server, the REST function).
 */
export function adminFromConfig(
  config: BerthConfig,
  db: Kysely<Database>,
  secret: string,
  wiring: {
    /** Runs what people ask for soon: a sync now, a registry size, a test notification. */
    wakeups: Wakeups;
    /** Mails address confirmations; null when e-mail is not set up. */
    mailer: Mailer | null;
  },
): AdminDeps {
  // Saving a mirror or a webhook only checks its host: the HTTP clients stay out of the API.
  const guard = new AddressGuard(config.outboundAllowedHosts);
  return {
    prune: new SqlPruneStore(db, config.immutability),
    immutability: new SqlImmutabilityStore(db, config.immutability),
    mirrors: new SqlMirrorStore(db),
    replication: new SqlReplicationStore(db),
    notifications: new SqlNotificationStore(db),
    inbox: new SqlInboxStore(db),
    authorizedEmails: new SqlAuthorizedEmails(db),
    mailer: wiring.mailer,
    outbound: guard,
    upstream: guard,
    credentials: new CredentialBox(credentialKeyFrom(secret)),
    wakeups: wiring.wakeups,
  };
}
