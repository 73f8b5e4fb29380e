import { OrganizationService } from '../../shared/access/organizations.js';
import type { Principal } from '../../shared/access/principal.js';
import { RepositoryAdminService } from '../../shared/access/repository-admin.js';
import { RobotService } from '../../shared/access/robots.js';
import { hashPassword } from '../../shared/access/secrets.js';
import { UserService } from '../../shared/access/users.js';
import type { TestRegistry } from './harness.js';

/** The identity services of a test registry, for setting up who exists. */
export function identity(t: TestRegistry) {
  return {
    users: new UserService(t.access),
    orgs: new OrganizationService(t.access),
    robots: new RobotService(t.access),
    repos: new RepositoryAdminService(t.access),
  };
}

export const PASSWORD = 'correct horse battery';

/** A user whose password is `PASSWORD`; returns them as a principal. */
export async function createUser(t: TestRegistry, name: string): Promise<Principal> {
  const account = await t.access.deps.store.createAccount({
    name,
    kind: 'user',
    email: `${name}@example.com`,
    passwordHash: await hashPassword(PASSWORD),
    nowMs: t.clock.now(),
  });
  return t.access.authenticator.principalFor(account);
}

export const basic = (credentials: string) =>
  `Basic ${Buffer.from(credentials).toString('base64')}`;

/** Asks `/v2/auth` for a token; returns the decoded `access` claim with the token. */
export async function fetchToken(
  t: TestRegistry,
  credentials: string | null,
  ...scopes: string[]
): Promise<{ status: number; token: string; access: { name: string; actions: string[] }[] }> {
  const query = new URLSearchParams({ service: 'berth.test' });
  for (const scope of scopes) query.append('scope', scope);
  const response = await t.app.request(`/v2/auth?${query.toString()}`, {
    headers: credentials ? { Authorization: basic(credentials) } : {},
  });
  if (response.status !== 200) return { status: response.status, token: '', access: [] };
  const { token } = (await response.json()) as { token: string };
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as {
    access: { name: string; actions: string[] }[];
  };
  return { status: 200, token, access: payload.access };
}
