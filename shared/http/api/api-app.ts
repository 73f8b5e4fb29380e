import { ImmutabilityService } from '../../access/immutability.js';
import { OpenAPIHono } from '@hono/zod-openapi';
import { swaggerUI } from '@hono/swagger-ui';
import { HTTPException } from 'hono/http-exception';
import { ZodError } from 'zod';
import { AppTokenService } from '../../access/app-tokens.js';
import type { AccessServices, AdminDeps } from '../../access/access-services.js';
import { OAuthService } from '../../access/oauth.js';
import { QuotaService } from '../../access/quotas.js';
import { AutoprunePolicyService } from '../../access/autoprune-policies.js';
import { MirrorService } from '../../access/mirrors.js';
import { OrganizationService } from '../../access/organizations.js';
import { RepositoryAdminService } from '../../access/repository-admin.js';
import { RobotService } from '../../access/robots.js';
import { UserService } from '../../access/users.js';
import type { Registry } from '../../registry/registry.js';
import { API_PREFIX } from '../app.js';
import type { UnknownErrorLogger } from '../render-error.js';
import { apiAuthentication } from './api-auth.js';
import type { ApiApp, ApiEnv, ApiServices } from './api-env.js';
import { quayError, renderApiError } from './api-errors.js';
import { registerLogRoutes } from './log-routes.js';
import { registerQuotaRoutes } from './quota-routes.js';
import { registerAutopruneRoutes } from './autoprune-routes.js';
import { registerImmutabilityRoutes } from './immutability-routes.js';
import { registerSearchRoutes } from './search-routes.js';
import { registerReplicationRoutes } from './replication-routes.js';
import { ReplicationAdminService } from '../../access/replication-admin.js';
import { registerMirrorRoutes } from './mirror-routes.js';
import { registerNotificationRoutes } from './notification-routes.js';
import { registerInboxRoutes } from './inbox-routes.js';
import { NotificationService } from '../../access/notifications.js';
import { InboxService } from '../../access/inbox.js';
import { AuthorizedEmailService } from '../../access/authorized-emails.js';
import { registerApplicationRoutes } from './oauth-routes.js';
import { registerOrganizationRoutes } from './organization-routes.js';
import { registerRepositoryRoutes } from './repository-routes.js';
import { registerRobotRoutes } from './robot-routes.js';
import { registerTagRoutes } from './tag-routes.js';
import { registerUserRoutes } from './user-routes.js';
import { registerSessionRoutes } from './session-routes.js';

function validationMessage(error: ZodError): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : 'body'}: ${i.message}`)
    .join('; ');
}

export function createApiServices(
  access: AccessServices,
  registry: Registry,
  admin: AdminDeps,
): ApiServices {
  return {
    access,
    registry,
    users: new UserService(access),
    organizations: new OrganizationService(access),
    robots: new RobotService(access),
    repositories: new RepositoryAdminService(access),
    appTokens: new AppTokenService(access),
    oauth: new OAuthService(access),
    quotas: new QuotaService(access, admin),
    autoprune: new AutoprunePolicyService(access, admin),
    immutability: new ImmutabilityService(access, admin),
    mirrors: new MirrorService(access, admin),
    replication: new ReplicationAdminService(access, admin, (l) =>
      registry.deps.storage.health.fresh(l),
    ),
    notifications: new NotificationService(access, admin),
    inbox: new InboxService(access, admin),
    authorizedEmails: new AuthorizedEmailService(access, admin),
  };
}

/** The OpenAPI document's header, for `/discovery` and the console's build alike. */
export const OPENAPI_INFO = {
  openapi: '3.0.3',
  info: {
    title: 'Berth REST API',
    version: '1',
    description:
      'Quay-compatible registry administration: users, organizations, teams, robots, repositories, permissions, notifications and audit logs.',
  },
  servers: [{ url: API_PREFIX }],
};

/**
 * Routes are declared without a trailing slash: the app is not strict, so
 * Quay's spellings (`/user/`, `/organization/`) reach them as well.
 *
 * Quay's REST API: same paths, JSON field names and roles. Every route is
 * declared with its schemas, from which `GET /api/v1/discovery` generates
 * the OpenAPI document; inputs are validated before a handler runs.
 */
export function createApiApp(services: ApiServices, logUnknownError: UnknownErrorLogger): ApiApp {
  const api: ApiApp = new OpenAPIHono<ApiEnv>({
    strict: false,
    defaultHook: (result, c) => {
      if (!result.success) {
        return c.json(quayError(400, 'invalid_request', validationMessage(result.error)), 400);
      }
      return undefined;
    },
  });

  api.get('/discovery', (c) => c.json(api.getOpenAPIDocument(OPENAPI_INFO)));
  api.get('/docs', swaggerUI({ url: `${API_PREFIX}/discovery` }));

  api.use('*', apiAuthentication(services));
  api.openAPIRegistry.registerComponent('securitySchemes', 'appToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'An app-specific token (POST /user/apptoken)',
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'basic', {
    type: 'http',
    scheme: 'basic',
    description: 'User password, robot token, or `$app` with an app-specific token',
  });

  registerUserRoutes(api, services);
  registerSessionRoutes(api, services);
  registerOrganizationRoutes(api, services);
  registerRobotRoutes(api, services);
  registerRepositoryRoutes(api, services);
  registerTagRoutes(api, services);
  registerApplicationRoutes(api, services);
  registerLogRoutes(api, services);
  registerQuotaRoutes(api, services);
  registerAutopruneRoutes(api, services);
  registerImmutabilityRoutes(api, services);
  registerSearchRoutes(api, services);
  registerMirrorRoutes(api, services);
  registerReplicationRoutes(api, services);
  registerNotificationRoutes(api, services);
  registerInboxRoutes(api, services);

  api.onError((error, c) => {
    const known = renderApiError(error, c);
    if (known) return known;
    if (error instanceof ZodError) {
      return c.json(quayError(400, 'invalid_request', validationMessage(error)), 400);
    }
    if (error instanceof HTTPException && error.status < 500) {
      return c.json(quayError(error.status, 'invalid_request', error.message), error.status);
    }
    const requestId = c.get('requestId') ?? 'unknown';
    logUnknownError(error, requestId);
    return c.json(quayError(500, 'internal_error', `internal error (request ${requestId})`), 500);
  });
  return api;
}
