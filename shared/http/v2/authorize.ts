import type { Context } from 'hono';
import type {
  AuthorizeOptions,
  Caller,
  RegistryAccess,
  RegistryOperation,
} from '../../access/registry-access.js';
import { scopeString } from '../../access/scopes.js';
import { AccessError, accessError } from '../../errors/access-error.js';
import type { RepositoryRecord } from '../../ports/metadata-store.js';
import { assertRepositoryName } from '../../registry/repositories.js';
import type { HttpEnv } from '../http-env.js';

/** Authenticates the request once and remembers the caller for the rest of it. */
export async function callerOf(c: Context<HttpEnv>, access: RegistryAccess): Promise<Caller> {
  const known = c.get('caller');
  if (known) return known;
  const caller = await access.identify(c.req.header('authorization'), c.get('clientAddress'));
  c.set('caller', caller);
  return caller;
}

export interface Authorized {
  caller: Caller;
  /** The repository as the check read it, for the registry to act on without reading it again. */
  repository: RepositoryRecord | null;
}

export async function authorize(
  c: Context<HttpEnv>,
  access: RegistryAccess,
  name: string,
  operation: RegistryOperation,
  options?: AuthorizeOptions,
): Promise<Authorized> {
  // Before anything is looked up or created on push: a refused name leaves nothing behind.
  assertRepositoryName(name);
  let caller: Caller;
  try {
    caller = await callerOf(c, access);
  } catch (error) {
    // An expired or bad token: the challenge must still name the scope, or
    // the client fetches a token that grants nothing.
    if (error instanceof AccessError && error.kind === 'unauthorized' && !error.options.scope) {
      const actions = operation === 'pull' ? ['pull'] : ['pull', 'push'];
      throw accessError('unauthorized', error.message, {
        ...error.options,
        scope: scopeString(name, actions),
      });
    }
    throw error;
  }
  const repository = await access.authorize(caller, name, operation, options);
  return { caller, repository };
}
