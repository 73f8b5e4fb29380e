import type { Generated } from 'kysely';
import type { Job } from '../../ports/job-queue.js';
import type { SyncRun } from '../../ports/mirror-store.js';

/** The metadata tables, as Kysely sees them. Migrations in `migrations/` define them. */
export interface Database {
  repository: RepositoryTable;
  blob: BlobTable;
  blob_placement: BlobPlacementTable;
  repository_blob: RepositoryBlobTable;
  blob_upload: BlobUploadTable;
  manifest: ManifestTable;
  manifest_blob: ManifestBlobTable;
  manifest_child: ManifestChildTable;
  tag: TagTable;
  immutability_policy: ImmutabilityPolicyTable;
  repository_star: RepositoryStarTable;
  account: AccountTable;
  team: TeamTable;
  team_member: TeamMemberTable;
  repository_permission: RepositoryPermissionTable;
  default_permission: DefaultPermissionTable;
  app_token: AppTokenTable;
  audit_log: AuditLogTable;
  manifest_label: ManifestLabelTable;
  oauth_application: OAuthApplicationTable;
  oauth_access_token: OAuthAccessTokenTable;
  oauth_authorization_code: OAuthAuthorizationCodeTable;
  quota_repository_size: QuotaRepositorySizeTable;
  quota_namespace_size: QuotaNamespaceSizeTable;
  quota_registry_size: QuotaRegistrySizeTable;
  namespace_quota: NamespaceQuotaTable;
  quota_limit: QuotaLimitTable;
  registry_event: RegistryEventTable;
  namespace_autoprune_policy: NamespaceAutoprunePolicyTable;
  repository_autoprune_policy: RepositoryAutoprunePolicyTable;
  autoprune_task: AutopruneTaskTable;
  repo_mirror: RepoMirrorTable;
  job: JobTable;
  login_throttle: LoginThrottleTable;
  console_session: ConsoleSessionTable;
  blob_replication: BlobReplicationTable;
  replication_location: ReplicationLocationTable;
  notification: NotificationTable;
  notification_delivery: NotificationDeliveryTable;
  user_notification: UserNotificationTable;
  notification_tag_expiry: NotificationTagExpiryTable;
  repository_authorized_email: RepositoryAuthorizedEmailTable;
}

/** A signed-in web console session (`0015-console-sessions`). */
export interface ConsoleSessionTable {
  /** SHA-256 of the cookie's value; the value itself is never stored. */
  token_hash: string;
  account_id: number;
  /** What `X-CSRF-Token` must carry on the session's writes. */
  csrf_token: string;
  created_at_ms: number;
  expires_at_ms: number;
}

export interface LoginThrottleTable {
  /** The login name as given, whether or not an account has it. */
  name: string;
  /** The client's address as the registry determined it; '' when unknown. */
  source: string;
  /** Wrong guesses in this window. */
  failures: number;
  /** Guesses being checked right now. */
  pending: number;
  window_start_ms: number;
}

export interface RepositoryTable {
  id: Generated<number>;
  name: string;
  created_at_ms: number;
  /** The user or organization owning it; null for repositories from before access control. */
  namespace_id: number | null;
  visibility: Generated<'public' | 'private'>;
  state: Generated<'NORMAL' | 'READ_ONLY' | 'MIRROR'>;
  description: Generated<string>;
  /** The only account that may write to a repository in state MIRROR. */
  mirror_robot_id: number | null;
}

export interface BlobTable {
  digest: string;
  size: number;
  created_at_ms: number;
  /** Last push or upload finish of these bytes; garbage collection spares recent ones. */
  last_pushed_ms: number | null;
}

/** Which storage locations hold a blob's bytes (geo-replication adds rows here). */
export interface BlobPlacementTable {
  digest: string;
  location: string;
  created_at_ms: number;
  /** The object's key when it is not the digest's canonical key (a published multipart upload). */
  storage_key: string | null;
}

/** A blob is readable through a repository only when linked into it. */
export interface RepositoryBlobTable {
  repository_id: number;
  digest: string;
  created_at_ms: number;
}

/** An upload session; its row is the commit point of every append (see migration 0008). */
export interface BlobUploadTable {
  id: string;
  repository_id: number;
  location: string;
  size: number;
  created_at_ms: number;
  updated_at_ms: number;
  /** The blob store's own state of the session, opaque here. */
  store_state: Record<string, unknown> | null;
  /** The running SHA-256 state after exactly `size` bytes, when the hash engine saves one. */
  digest_state: Uint8Array | null;
  /** The request that holds the session, and until when. */
  claim_token: string | null;
  claimed_until_ms: number | null;
}

export interface ManifestTable {
  id: Generated<number>;
  repository_id: number;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  subject_digest: string | null;
  annotations: Record<string, string> | null;
  size: number;
  /** The sum of the image's layer sizes; null for an index. */
  layers_size: number | null;
  /** The manifest's bytes, or null when they are kept in blob storage (large manifests). */
  content: Uint8Array | null;
  created_at_ms: number;
  /** Set when deleted; the row stays for tag history until garbage collection. */
  deleted_at_ms: number | null;
}

export interface ManifestBlobTable {
  manifest_id: number;
  digest: string;
  /** The manifest's repository, copied so quota checks find a digest per repository by index (`0016`). */
  repository_id: number;
}

export interface ManifestChildTable {
  manifest_id: number;
  child_id: number;
}

/**
 * One row per lifetime of a tag: moving or deleting a tag ends the live row
 * (`lifetime_end_ms`) and, for a move, starts another. At most one live row
 * per (repository, name).
 */
export interface TagTable {
  id: Generated<number>;
  repository_id: number;
  name: string;
  manifest_id: number;
  lifetime_start_ms: number;
  lifetime_end_ms: number | null;
  /** Set through the tag API; policies can make a tag immutable too. */
  immutable: Generated<boolean>;
}

export interface RepositoryStarTable {
  account_id: number;
  repository_id: number;
  created_at_ms: number;
}

export interface ImmutabilityPolicyTable {
  uuid: string;
  namespace_id: number;
  /** Null for a policy over the whole namespace. */
  repository_id: number | null;
  tag_pattern: string;
  tag_pattern_matches: boolean;
  created_at_ms: number;
}

/** Users, organizations and robots share one name space, as in Quay. */
export interface AccountTable {
  id: Generated<number>;
  name: string;
  kind: 'user' | 'organization' | 'robot';
  email: string | null;
  password_hash: string | null;
  /** Robots: SHA-256 of the token; only the hash is kept. */
  token_hash: string | null;
  robot_owner_id: number | null;
  description: Generated<string>;
  created_at_ms: number;
  last_accessed_ms: number | null;
  /** The namespace's time-machine window in seconds; null: the registry's default. */
  tag_expiration_s: number | null;
}

export interface TeamTable {
  id: Generated<number>;
  organization_id: number;
  name: string;
  role: 'member' | 'creator' | 'admin';
  description: Generated<string>;
}

export interface TeamMemberTable {
  team_id: number;
  account_id: number;
}

/** Exactly one of `account_id` and `team_id` is set. */
export interface RepositoryPermissionTable {
  id: Generated<number>;
  repository_id: number;
  account_id: number | null;
  team_id: number | null;
  role: 'read' | 'write' | 'admin';
}

export interface DefaultPermissionTable {
  id: string;
  organization_id: number;
  account_id: number | null;
  team_id: number | null;
  role: 'read' | 'write' | 'admin';
}

export interface AppTokenTable {
  id: string;
  account_id: number;
  title: string;
  token_hash: string;
  created_at_ms: number;
  expires_at_ms: number | null;
  last_accessed_ms: number | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  kind: string;
  performer_id: number | null;
  performer_name: string | null;
  namespace_id: number | null;
  namespace_name: string | null;
  repository_id: number | null;
  repository_name: string | null;
  ip: string | null;
  metadata: Record<string, unknown>;
  created_at_ms: number;
}

export interface ManifestLabelTable {
  id: string;
  manifest_id: number;
  key: string;
  value: string;
  media_type: string;
  /** `api` for labels set through `/api/v1`. */
  source_type: string;
  created_at_ms: number;
}

export interface OAuthApplicationTable {
  id: Generated<number>;
  organization_id: number;
  client_id: string;
  client_secret_hash: string;
  name: string;
  description: Generated<string>;
  redirect_uri: string;
  application_uri: Generated<string>;
  created_at_ms: number;
}

export interface OAuthAccessTokenTable {
  id: string;
  application_id: number;
  account_id: number;
  token_hash: string;
  /** Space-separated OAuth scopes. */
  scope: string;
  created_at_ms: number;
  expires_at_ms: number;
}

export interface OAuthAuthorizationCodeTable {
  code_hash: string;
  application_id: number;
  account_id: number;
  scope: string;
  redirect_uri: string;
  expires_at_ms: number;
}

/**
 * Sizes count each digest (manifest or blob) once per repository and once
 * per namespace. `backfilled` is false until the backfill worker has
 * counted content that predates the row; until then pushes leave it alone.
 */
export interface QuotaRepositorySizeTable {
  repository_id: number;
  size_bytes: number;
  backfilled: boolean;
}

export interface QuotaNamespaceSizeTable {
  namespace_id: number;
  size_bytes: number;
  backfilled: boolean;
}

/** One row: the registry's total, computed on request by the quota worker. */
export interface QuotaRegistrySizeTable {
  id: number;
  size_bytes: number;
  last_ran_ms: number | null;
  queued: boolean;
  running: boolean;
}

export interface NamespaceQuotaTable {
  id: Generated<number>;
  namespace_id: number;
  limit_bytes: number;
  created_at_ms: number;
}

export interface QuotaLimitTable {
  id: Generated<number>;
  quota_id: number;
  kind: 'Warning' | 'Reject';
  threshold_percent: number;
}

export interface RegistryEventTable {
  id: Generated<number>;
  kind: string;
  namespace_id: number | null;
  repository_id: number | null;
  payload: Record<string, unknown>;
  created_at_ms: number;
  /** When the event reached the event bus; null until then (or with no bus). */
  delivered_at_ms: number | null;
  /** A publisher's claim, so two do not send the same event at once. */
  claim_token: string | null;
  claimed_until_ms: number | null;
}

export interface NamespaceAutoprunePolicyTable {
  uuid: string;
  namespace_id: number;
  policy: Record<string, unknown>;
  created_at_ms: number;
}

export interface RepositoryAutoprunePolicyTable {
  uuid: string;
  namespace_id: number;
  repository_id: number;
  policy: Record<string, unknown>;
  created_at_ms: number;
}

/** One row per namespace with a policy; workers claim it with FOR UPDATE SKIP LOCKED. */
export interface AutopruneTaskTable {
  namespace_id: number;
  last_ran_ms: number | null;
  status: string | null;
  /** Which worker holds the claim, and until when; a lapsed claim is free again. */
  claim_token: string | null;
  claimed_until_ms: number | null;
}

export interface RepoMirrorTable {
  repository_id: number;
  is_enabled: boolean;
  /** `host[:port]/path` of the upstream repository, as Quay writes it. */
  external_reference: string;
  /** Sealed with the registry's credential key (see `access/credential-box.ts`). */
  username_sealed: string | null;
  password_sealed: string | null;
  verify_tls: boolean;
  proxy: {
    http_proxy?: string | null;
    https_proxy?: string | null;
    no_proxy?: string | null;
  } | null;
  rule_globs: string[];
  robot_id: number | null;
  sync_interval_s: number;
  /** When the next sync is due (Quay's sync_start_date). */
  sync_start_ms: number;
  /** The running sync's lease. */
  sync_expiration_ms: number | null;
  sync_retries_remaining: number;
  sync_status: 'NEVER_RUN' | 'SYNC_NOW' | 'SYNCING' | 'SUCCESS' | 'FAIL' | 'CANCEL';
  sync_token: string | null;
  /** A running sync's plan and progress, so a later invocation can carry it on. */
  sync_run: SyncRun | null;
  queued_at_ms: number | null;
  last_sync_ms: number | null;
  last_error: string | null;
  created_at_ms: number;
}

export interface JobTable {
  id: Generated<number>;
  queue: string;
  body: Job;
  visible_at_ms: number;
  receive_count: number;
  receipt: string | null;
  created_at_ms: number;
}

/** A copy of a blob a location still needs (`0010-storage-replication`). */
export interface BlobReplicationTable {
  digest: string;
  location: string;
  state: 'pending' | 'failed';
  attempts: Generated<number>;
  next_attempt_ms: number;
  claim_token: string | null;
  claimed_until_ms: number | null;
  last_error: string | null;
  created_at_ms: number;
}

export interface ReplicationLocationTable {
  location: string;
  bytes_copied: Generated<number>;
  copies: Generated<number>;
  backfill_after: string | null;
  backfill_done: Generated<boolean>;
  backfill_queued: Generated<number>;
}

/** A repository's or namespace's notification (`0014-notifications`). */
export interface NotificationTable {
  id: Generated<number>;
  uuid: string;
  namespace_id: number;
  /** Null: a namespace notification. */
  repository_id: number | null;
  event: string;
  method: string;
  config: Record<string, unknown>;
  event_config: Record<string, unknown>;
  title: string | null;
  /** The webhook signing secret, sealed; null for methods that sign nothing. */
  secret_sealed: string | null;
  number_of_failures: Generated<number>;
  created_at_ms: number;
}

/** One event to send to one notification, until it is delivered or given up on. */
export interface NotificationDeliveryTable {
  id: Generated<number>;
  uuid: string;
  notification_id: number;
  event: string;
  payload: Record<string, unknown>;
  state: 'pending' | 'delivered' | 'failed';
  attempts: Generated<number>;
  next_attempt_ms: number;
  claim_token: string | null;
  claimed_until_ms: number | null;
  last_error: string | null;
  created_at_ms: number;
  finished_at_ms: number | null;
}

/** An in-app notification (Quay's `quay_notification` method). */
export interface UserNotificationTable {
  id: Generated<number>;
  uuid: string;
  account_id: number;
  kind: string;
  metadata: Record<string, unknown>;
  dismissed: Generated<boolean>;
  created_at_ms: number;
}

/** A tag and expiry an expiry notification has announced. */
export interface NotificationTagExpiryTable {
  notification_id: number;
  tag: string;
  expires_at_ms: number;
}

/** An e-mail address a repository's notifications may write to, once confirmed. */
export interface RepositoryAuthorizedEmailTable {
  repository_id: number;
  email: string;
  code: string;
  confirmed: Generated<boolean>;
  created_at_ms: number;
}
