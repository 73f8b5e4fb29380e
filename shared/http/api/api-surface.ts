import { API_PREFIX, type Surface } from '../app.js';
import { createApiApp, createApiServices } from './api-app.js';

/** Quay's REST API, `/api/v1`. */
export const apiSurface: Surface = (app, { registry, access, logUnknownError }) => {
  app.route(API_PREFIX, createApiApp(createApiServices(access, registry), logUnknownError));
};
