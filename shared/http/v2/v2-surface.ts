import type { Surface } from '../app.js';
import { registerBaseRoutes } from './base-routes.js';
import { registerBlobRoutes } from './blob-routes.js';
import { registerListingRoutes } from './listing-routes.js';
import { registerManifestRoutes } from './manifest-routes.js';
import { registerUploadRoutes } from './upload-routes.js';

/** The OCI Distribution API, `/v2`, behind the access rules. */
export const v2Surface: Surface = (app, { registry, access }) => {
  const deps = { registry, access: access.registryAccess };
  registerBaseRoutes(app, deps);
  // Upload routes before blob routes: `/blobs/uploads/<id>` is no blob digest.
  registerUploadRoutes(app, deps);
  registerBlobRoutes(app, deps);
  registerManifestRoutes(app, deps);
  registerListingRoutes(app, deps);
};
