import type { AdminDeps } from '../../access/access-services.js';
import { API_PREFIX, type Surface } from '../app.js';
import { textInputGuard } from '../text-input-guard.js';
import { createApiApp, createApiServices } from './api-app.js';
import { quayError } from './api-errors.js';
import { registerOAuthEndpoints } from './oauth-routes.js';
import { registerCsrfEndpoint } from './session-routes.js';

/**
 * Quay's REST API, `/api/v1`, and the OAuth 2 endpoints that grant its
 * tokens, on the administration stores the entry point built.
 */
export const apiSurface =
  (admin: AdminDeps): Surface =>
  (app, { registry, access, logUnknownError }) => {
    const services = createApiServices(access, registry, admin);
    app.use(
      `${API_PREFIX}/*`,
      textInputGuard((status, message) =>
        Response.json(quayError(status, 'invalid_request', message), { status }),
      ),
    );
    app.use(
      '/oauth/*',
      textInputGuard((status, message) =>
        Response.json({ error: 'invalid_request', error_description: message }, { status }),
      ),
    );
    app.route(API_PREFIX, createApiApp(services, logUnknownError));
    registerOAuthEndpoints(app, services);
    registerCsrfEndpoint(app, services);
  };
