import { MediaType } from '../../oci/media-types.js';
import type { HttpApp } from '../http-env.js';
import { authorize } from './authorize.js';
import { nextLink } from './paths.js';
import { queryText } from './query-text.js';
import type { V2Deps } from './v2-deps.js';

export function registerListingRoutes(app: HttpApp, { registry, access }: V2Deps): void {
  app.get('/v2/:name{.+}/tags/list', async (c) => {
    const name = c.req.param('name');
    await authorize(c, access, name, 'pull');
    const page = await registry.listings.tags(name, {
      n: c.req.query('n'),
      last: queryText(c, 'last', 'TAG_INVALID'),
    });
    const link = nextLink(`/v2/${name}/tags/list`, page.next);
    if (link) c.header('Link', link);
    return c.json({ name, tags: page.items });
  });

  app.get('/v2/:name{.+}/referrers/:digest', async (c) => {
    await authorize(c, access, c.req.param('name'), 'pull');
    const artifactType = queryText(c, 'artifactType', 'MANIFEST_INVALID') || undefined;
    const manifests = await registry.listings.referrers(
      c.req.param('name'),
      c.req.param('digest'),
      artifactType,
    );
    if (artifactType) c.header('OCI-Filters-Applied', 'artifactType');
    c.header('Content-Type', MediaType.ociIndex);
    return c.body(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }));
  });
}
