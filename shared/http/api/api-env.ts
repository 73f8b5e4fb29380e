import type { ImmutabilityService } from '../../access/immutability.js';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppTokenService } from '../../access/app-tokens.js';
import type { AccessServices } from '../../access/access-services.js';
import type { OAuthService } from '../../access/oauth.js';
import type { QuotaService } from '../../access/quotas.js';
import type { AutoprunePolicyService } from '../../access/autoprune-policies.js';
import type { ReplicationAdminService } from '../../access/replication-admin.js';
import type { MirrorService } from '../../access/mirrors.js';
import type { NotificationService } from '../../access/notifications.js';
import type { InboxService } from '../../access/inbox.js';
import type { AuthorizedEmailService } from '../../access/authorized-emails.js';
import type { OrganizationService } from '../../access/organizations.js';
import type { Principal } from '../../access/principal.js';
import type { ActiveSession } from '../../access/sessions.js';
import type { RepositoryAdminService } from '../../access/repository-admin.js';
import type { RobotService } from '../../access/robots.js';
import type { UserService } from '../../access/users.js';
import type { Registry } from '../../registry/registry.js';
import type { HttpEnv } from '../http-env.js';

export interface ApiEnv {
  Variables: HttpEnv['Variables'] & {
    principal: Principal;
    /** The console session the request came with, when it was the credential. */
    session?: ActiveSession;
  };
}

export type ApiApp = OpenAPIHono<ApiEnv>;

/** What the `/api/v1` routes call. */
export interface ApiServices {
  access: AccessServices;
  registry: Registry;
  users: UserService;
  organizations: OrganizationService;
  robots: RobotService;
  repositories: RepositoryAdminService;
  appTokens: AppTokenService;
  oauth: OAuthService;
  quotas: QuotaService;
  autoprune: AutoprunePolicyService;
  immutability: ImmutabilityService;
  mirrors: MirrorService;
  replication: ReplicationAdminService;
  notifications: NotificationService;
  inbox: InboxService;
  authorizedEmails: AuthorizedEmailService;
}
