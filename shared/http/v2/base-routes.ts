import { isAnonymous } from '../../access/registry-access.js';
import { CATALOG_SCOPE } from '../../access/scopes.js';
import { accessError } from '../../errors/access-error.js';
import type { HttpApp } from '../http-env.js';
import { callerOf } from './authorize.js';
import { nextLink } from './paths.js';
import { queryText } from './query-text.js';
import type { V2Deps } from './v2-deps.js';

export function registerBaseRoutes(app: HttpApp, { access }: V2Deps): void {
  // Clients probe `/v2/` to learn how to authenticate: anonymous callers of
  // an access-controlled registry get the Bearer challenge here.
  app.get('/v2', async (c) => {
    const caller = await callerOf(c, access);
    if (access.enforcing && isAnonymous(caller) && !caller.token) {
      throw accessError('unauthorized', 'authentication required');
    }
    return c.json({});
  });

  app.get('/v2/auth', async (c) => {
    const issued = await access.issueToken(
      c.req.header('authorization'),
      { service: c.req.query('service'), scopes: c.req.queries('scope') ?? [] },
      c.get('clientAddress'),
    );
    c.header('Cache-Control', 'no-store');
    return c.json(issued);
  });

  app.get('/v2/_catalog', async (c) => {
    const caller = await callerOf(c, access);
    // As Distribution does: challenge first, so a logged-in client sends its token.
    if (access.enforcing && isAnonymous(caller) && !caller.token) {
      throw accessError('unauthorized', 'authentication required', { scope: CATALOG_SCOPE });
    }
    const page = await access.catalog(caller, {
      n: c.req.query('n'),
      last: queryText(c, 'last', 'NAME_INVALID'),
    });
    const link = nextLink('/v2/_catalog', page.next);
    if (link) c.header('Link', link);
    return c.json({ repositories: page.items });
  });
}
