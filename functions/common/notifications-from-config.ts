import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { CredentialBox } from '../../shared/access/credential-box.js';
import { GuardedHttp } from '../../shared/adapters/notify/guarded-http.js';
import type { Database } from '../../shared/adapters/sql/schema.js';
import { SqlEventOutbox } from '../../shared/adapters/sql/sql-event-outbox.js';
import { SqlInboxStore } from '../../shared/adapters/sql/sql-inbox-store.js';
import { SqlNotificationStore } from '../../shared/adapters/sql/sql-notification-store.js';
import { AddressGuard } from '../../shared/adapters/upstream/address-guard.js';
import type { BerthConfig } from '../../shared/config/config.js';
import type { Clock } from '../../shared/ports/clock.js';
import type { EventPublisher } from '../../shared/ports/event-outbox.js';
import type { Mailer } from '../../shared/ports/notification-transport.js';
import type { Wakeups } from '../../shared/ports/wakeups.js';
import type { PublicAddress } from '../../shared/notifications/event-data.js';
import {
  DEFAULT_NOTIFICATION_WORKER,
  type NotificationDeps,
} from '../../shared/workers/notifications.js';
import { credentialKeyFrom } from './access-from-config.js';

/**
 * Where clients reach the registry, for the URLs in event data: Quay's
 * SERVER_HOSTNAME and PREFERRED_URL_SCHEME, or what the runtime knows
 * (the local server's own port); null when nothing is known.
 */
export function publicAddressFromConfig(
  config: Pick<BerthConfig, 'access'>,
  fallback: PublicAddress | null,
): PublicAddress | null {
  const url = config.access.publicUrl;
  if (!url) return fallback;
  const parsed = new URL(url);
  return { scheme: parsed.protocol.replace(/:$/, ''), host: parsed.host };
}

/** The notification worker's dependencies, for any runtime. */
export function notificationsFromConfig(
  config: Pick<BerthConfig, 'notifications' | 'outboundAllowedHosts'>,
  db: Kysely<Database>,
  wiring: {
    secret: string;
    wakeups: Wakeups;
    clock: Clock;
    mailer: Mailer | null;
    publisher: EventPublisher | null;
    address: () => PublicAddress | null;
  },
): NotificationDeps {
  return {
    store: new SqlNotificationStore(db),
    inbox: new SqlInboxStore(db),
    outbox: new SqlEventOutbox(db),
    publisher: wiring.publisher,
    http: new GuardedHttp(
      new AddressGuard(config.outboundAllowedHosts),
      config.notifications.sendTimeoutMs,
    ),
    mailer: wiring.mailer,
    secrets: new CredentialBox(credentialKeyFrom(wiring.secret)),
    wakeups: wiring.wakeups,
    clock: wiring.clock,
    newId: randomUUID,
    address: wiring.address,
    options: {
      ...DEFAULT_NOTIFICATION_WORKER,
      firstRetryMs: config.notifications.firstRetryMs,
      leaseMs: Math.max(
        DEFAULT_NOTIFICATION_WORKER.leaseMs,
        config.notifications.sendTimeoutMs * 4,
      ),
    },
  };
}
