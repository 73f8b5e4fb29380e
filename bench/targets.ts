import { join } from 'node:path';
import { startServerProcess } from '../test/support/server-process.js';
import { startDistribution } from './distribution.js';
import type { Target } from './http-client.js';
import { rssMiB } from './process-stats.js';

/** In the superuser's own namespace, so Berth's access control lets the bench push. */
export const BENCH_REPOSITORIES = {
  small: 'admin/small',
  tags: 'admin/tags',
  large: 'admin/large',
};
const ADMIN = { user: 'admin', password: 'bench-admin-password' };
/** What a client that skips the token dance (a script, `curl -u`) sends on every request. */
export const ADMIN_BASIC = `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}`;

export interface Running {
  target: Target;
  /** Seconds from spawn to the first answer on `/v2/`: on a new data dir, then on the same dir again. */
  startup: { fresh: number; existing: number };
  /** Resident memory a second after the (second) start, in MiB. */
  idleRssMiB: number;
  stop(): Promise<void>;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 1000));

/**
 * Berth runs with access control, as deployed: the client fetches one token
 * for every repository, as docker would, and sends it on every request.
 */
async function berthToken(baseUrl: string): Promise<string> {
  const query = new URLSearchParams({ service: 'berth' });
  for (const repo of Object.values(BENCH_REPOSITORIES))
    query.append('scope', `repository:${repo}:pull,push`);
  const response = await fetch(`${baseUrl}/v2/auth?${query.toString()}`, {
    headers: {
      Authorization: ADMIN_BASIC,
    },
  });
  if (!response.ok) throw new Error(`token: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

export async function startBerth(dataDir: string, databaseUrl: string | null): Promise<Running> {
  const env = {
    BERTH_DATA_DIR: dataDir,
    BERTH_SUPERUSER: ADMIN.user,
    BERTH_SUPERUSER_PASSWORD: ADMIN.password,
    BERTH_TOKEN_EXPIRY_SECONDS: '3600',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  const timedStart = async () => {
    const started = performance.now();
    const server = await startServerProcess(env);
    if (!(await fetch(`${server.url}/v2/`)).status) throw new Error('no answer');
    return { server, seconds: (performance.now() - started) / 1000 };
  };
  const first = await timedStart();
  await first.server.stop();
  const { server, seconds } = await timedStart();
  await settle();
  const idleRssMiB = await rssMiB(server.pid);
  const token = await berthToken(server.url);
  return {
    target: {
      name: 'berth',
      baseUrl: server.url,
      headers: { Authorization: `Bearer ${token}` },
      pid: server.pid,
    },
    startup: { fresh: first.seconds, existing: seconds },
    idleRssMiB,
    stop: () => server.stop(),
  };
}

export async function startDistributionTarget(dir: string): Promise<Running> {
  const first = await startDistribution(join(dir, 'a'), join(dir, 'storage'));
  await first.stop();
  const server = await startDistribution(join(dir, 'b'), join(dir, 'storage'));
  await settle();
  return {
    target: { name: 'distribution', baseUrl: server.url, headers: {}, pid: server.pid },
    startup: { fresh: first.seconds, existing: server.seconds },
    idleRssMiB: await rssMiB(server.pid),
    stop: server.stop,
  };
}
