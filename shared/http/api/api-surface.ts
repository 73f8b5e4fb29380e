import { API_PREFIX, type Surface } from '../app.js';
import { createApiApp, createApiServices } from './api-app.js';
import { registerOAuthEndpoints } from './oauth-routes.js';

/** Quay's REST API, `/api/v1`, and the OAuth 2 endpoints that grant its tokens. */
export const apiSurface: Surface = (app, { registry, access, logUnknownError }) => {
  const services = createApiServices(access, registry);
  app.route(API_PREFIX, createApiApp(services, logUnknownError));
  registerOAuthEndpoints(app, services);
};
