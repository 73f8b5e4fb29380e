import type { ImmutabilityStore } from '../ports/immutability-store.js';
import type { Clock } from '../ports/clock.js';
import type { IdentityStore } from '../ports/identity-store.js';
import type { OAuthStore } from '../ports/oauth-store.js';
import type { MirrorStore } from '../ports/mirror-store.js';
import type { PruneStore } from '../ports/prune-store.js';
import type { UpstreamConnector } from '../ports/upstream-registry.js';
import type { CredentialBox } from './credential-box.js';
import type { Wakeups } from '../ports/wakeups.js';
import type { ReplicationStore } from '../ports/replication-store.js';
import type { NotificationStore } from '../ports/notification-store.js';
import type { InboxStore } from '../ports/inbox-store.js';
import type { AuthorizedEmailStore } from '../ports/authorized-email-store.js';
import type { Mailer } from '../ports/notification-transport.js';
import type { QuotaStore } from '../ports/quota-store.js';
import type { ListingService } from '../registry/listings.js';
import { AuditLog } from './audit.js';
import { Authenticator } from './authenticator.js';
import { ConsoleSessions, DEFAULT_SESSION_LIFETIME_S } from './sessions.js';
import { OpenRegistryAccess } from './open-registry-access.js';
import { AccountRegistryAccess, type RegistryAccess } from './registry-access.js';
import { RegistryTokens } from './registry-tokens.js';
import { RepositoryAccess } from './repository-access.js';

export interface AccessOptions {
  /** False: an open registry without accounts (`BERTH_ACCESS_CONTROL=false`). */
  enabled: boolean;
  superusers: string[];
  superusersFullAccess: boolean;
  /** Quay's FEATURE_USER_INITIALIZE: the first user is made through `POST /api/v1/user/initialize`. */
  userInitialize: boolean;
  tokenService: string;
  tokenExpirySeconds: number;
  maxFailedLogins: number;
  /** How long a web console session lasts (PERMANENT_SESSION_LIFETIME); 31 days unless set. */
  sessionLifetimeS?: number;
  /** Quay's FEATURE_REPO_MIRROR. */
  mirrorEnabled?: boolean;
  /** Quay's FEATURE_QUOTA_MANAGEMENT: quotas, their API and the sizes shown. */
  quotaEnabled?: boolean;
  /** Quay's FEATURE_AUTO_PRUNE: auto-prune policies and their API. */
  autopruneEnabled?: boolean;
  /** The time-machine windows a namespace may choose (TAG_EXPIRATION_OPTIONS), and the default, in seconds. */
  tagExpiration?: { optionsS: number[]; defaultS: number };
  /** Quay's FEATURE_IMMUTABLE_TAGS: the flag and policies, and their API. */
  immutableTags?: boolean;
  /** See `AuditOptions.batchDelayMs`: 0 on Lambda, which may freeze between requests. */
  auditBatchDelayMs?: number;
  /** Locations every blob is copied to; empty when geo-replication is off. */
  replicateTo?: string[];
}

export interface AccessDeps {
  store: IdentityStore;
  oauth: OAuthStore;
  /** Namespace quotas: pushes are refused past a Reject limit. */
  quota: QuotaStore;
  clock: Clock;
  newId: () => string;
  /** 32 bytes that sign this registry's tokens; never leaves the process. */
  tokenKey: Uint8Array;
  options: AccessOptions;
}

/**
 * What only the administration API (`/api/v1`) uses besides identity and
 * access: its stores, the checks of outbound hosts, the sealing of
 * credentials. Only the entry points that serve the API build these, so
 * the registry's own function carries none of them.
 */
export interface AdminDeps {
  /** Auto-prune policies. */
  prune: PruneStore;
  /** Immutability policies and tags' own flags. */
  immutability: ImmutabilityStore;
  /** Repository mirrors: their settings, sealed credentials, and the check of upstream hosts. */
  mirrors: MirrorStore;
  /** Geo-replication's bookkeeping, which superusers watch through the API. */
  replication: ReplicationStore;
  /** Notifications, their deliveries and the addresses they may mail. */
  notifications: NotificationStore;
  inbox: InboxStore;
  authorizedEmails: AuthorizedEmailStore;
  /** Mails address confirmations; null when e-mail is not set up, which e-mail notifications need. */
  mailer: Mailer | null;
  /** Checks outbound URLs (webhooks) against the address guard when they are saved. */
  outbound: { urlRefusal(url: string): Promise<string | null> };
  upstream: Pick<UpstreamConnector, 'refusal'>;
  credentials: CredentialBox;
  /** Runs what people ask for (a sync now, a registry size, a new prune policy) soon, not at the next sweep. */
  wakeups: Wakeups;
}

/** Identity and access, assembled once per process from its ports. */
export interface AccessServices {
  deps: AccessDeps;
  rules: RepositoryAccess;
  authenticator: Authenticator;
  sessions: ConsoleSessions;
  audit: AuditLog;
  registryAccess: RegistryAccess;
}

export function createAccessServices(deps: AccessDeps, listings: ListingService): AccessServices {
  const { store, clock, options } = deps;
  const rules = new RepositoryAccess(store, options);
  const authenticator = new Authenticator(store, deps.oauth, clock, {
    superusers: new Set(options.superusers),
    maxFailedLogins: options.maxFailedLogins,
  });
  const sessions = new ConsoleSessions(store, authenticator, clock, {
    lifetimeMs: (options.sessionLifetimeS ?? DEFAULT_SESSION_LIFETIME_S) * 1000,
  });
  const audit = new AuditLog(store, clock, {
    batchDelayMs: options.auditBatchDelayMs ?? 0,
    onFlushError: (error) => console.error('[berth] audit log write failed:', error),
  });
  const tokens = new RegistryTokens({
    key: deps.tokenKey,
    service: options.tokenService,
    expirySeconds: options.tokenExpirySeconds,
    clock,
  });
  const registryAccess: RegistryAccess = options.enabled
    ? new AccountRegistryAccess({
        store,
        rules,
        authenticator,
        tokens,
        audit,
        quota: deps.quota,
        clock,
      })
    : new OpenRegistryAccess(listings);
  return { deps, rules, authenticator, sessions, audit, registryAccess };
}
