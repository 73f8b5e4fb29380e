import type { Context } from 'hono';
import { isSuperuser } from '../access/principal.js';
import type { LocationState } from '../registry/location-health.js';
import type { Surface, SurfaceDeps } from './app.js';
import type { HttpEnv } from './http-env.js';

interface Check {
  status: boolean;
  message?: string;
}

/**
 * Quay's health endpoints, in its shape (`{"data": {"services": {name:
 * bool}}, "status_code"}`, 200 or 503). `/health/instance` asks whether this
 * server can do its work: the database answers and a storage location it
 * writes is healthy. `/health/endtoend` (also `/health/endpoint`, as Quay's
 * architecture guide names it, and `/status`) asks whether the whole
 * registry is well: every storage location included. Superusers also see
 * why a service failed and each location's state.
 */
export const healthSurface: Surface = (app, deps) => {
  for (const path of ['/health', '/health/instance']) {
    app.get(path, (c) => answer(c, deps, 'instance'));
  }
  for (const path of ['/status', '/health/endtoend', '/health/endpoint']) {
    app.get(path, (c) => answer(c, deps, 'endtoend'));
  }
};

async function answer(c: Context<HttpEnv>, deps: SurfaceDeps, scope: 'instance' | 'endtoend') {
  const storage = deps.registry.deps.storage;
  const [database, locations] = await Promise.all([
    check(() => deps.registry.deps.metadata.ping()),
    storage.health.probeAll(),
  ]);
  const own = locations.filter((l) => storage.writes.includes(l.name));
  const considered = scope === 'instance' ? own : locations;
  const storageCheck: Check =
    scope === 'instance'
      ? own.some((l) => l.healthy)
        ? { status: true }
        : { status: false, message: 'no storage location this server writes is healthy' }
      : considered.every((l) => l.healthy)
        ? { status: true }
        : {
            status: false,
            message: `unhealthy: ${considered
              .filter((l) => !l.healthy)
              .map((l) => l.name)
              .join(', ')}`,
          };
  const services: Record<string, Check> = { database, storage: storageCheck };
  if (scope === 'endtoend') {
    services.auth = database.status
      ? await check(() => deps.access.deps.store.countAccounts('user').then(() => undefined))
      : { status: false, message: 'the database does not answer' };
  }
  const healthy = Object.values(services).every((s) => s.status);
  const status = healthy ? 200 : 503;
  const data: Record<string, unknown> = {
    services: Object.fromEntries(Object.entries(services).map(([k, v]) => [k, v.status])),
  };
  if (await callerIsSuperuser(c, deps)) {
    data.services_expanded = Object.fromEntries(
      Object.entries(services).map(([k, v]) => [
        k,
        v.status ? { status: true } : { status: false, failure: v.message ?? 'failed' },
      ]),
    );
    data.locations = considered.map(view);
  }
  return c.json({ data, status_code: status }, status, { 'Cache-Control': 'no-store' });
}

const view = (l: LocationState) => ({
  name: l.name,
  healthy: l.healthy,
  error: l.error,
  checked_at: l.checkedAtMs === null ? null : new Date(l.checkedAtMs).toISOString(),
});

async function check(probe: () => Promise<void>): Promise<Check> {
  try {
    await probe();
    return { status: true };
  } catch (error) {
    return { status: false, message: (error as Error).message };
  }
}

/** Details are for superusers; anyone else, right credentials or not, sees the booleans. */
async function callerIsSuperuser(c: Context<HttpEnv>, deps: SurfaceDeps): Promise<boolean> {
  try {
    const principal = await deps.access.authenticator.authorization(
      c.req.header('authorization'),
      c.get('clientAddress'),
    );
    return isSuperuser(principal);
  } catch {
    return false;
  }
}
