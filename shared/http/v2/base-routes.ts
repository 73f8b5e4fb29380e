import type { HttpApp } from '../http-env.js';
import type { Registry } from '../../registry/registry.js';
import { nextLink } from './paths.js';

export function registerBaseRoutes(app: HttpApp, registry: Registry): void {
  app.get('/v2', (c) => c.json({}));

  app.get('/v2/_catalog', async (c) => {
    const page = await registry.listings.catalog({
      n: c.req.query('n'),
      last: c.req.query('last'),
    });
    const link = nextLink('/v2/_catalog', page.next);
    if (link) c.header('Link', link);
    return c.json({ repositories: page.items });
  });
}
