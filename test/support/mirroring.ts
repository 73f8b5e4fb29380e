import type { AddressInfo } from 'node:net';
import { createServer as createHttpsServer } from 'node:https';
import { serve } from '@hono/node-server';
import { expect } from 'vitest';
import type { HttpApp } from '../../shared/http/http-env.js';
import { SCHEDULED_TASKS } from '../../shared/workers/scheduled-tasks.js';
import { handleJob, type JobResult } from '../../shared/workers/jobs.js';
import { ApiClient } from './api-client.js';
import { createUser, identity, PASSWORD } from './accounts.js';
import type { TestRegistry } from './harness.js';

export interface LoopbackServer {
  host: string;
  close(): Promise<void>;
}

/**
 * An in-process app on a real loopback port, as an upstream the mirror
 * worker reaches over HTTP. `intercept` sees each request first and may
 * answer it instead of the app.
 */
export async function serveOnLoopback(
  app: HttpApp,
  intercept?: (request: Request) => Promise<Response | undefined> | Response | undefined,
  tls?: { key: string; cert: string },
): Promise<LoopbackServer> {
  const fetch = async (request: Request) => (await intercept?.(request)) ?? app.fetch(request);
  const server = tls
    ? serve({
        fetch,
        port: 0,
        hostname: '127.0.0.1',
        createServer: createHttpsServer,
        serverOptions: tls,
      })
    : serve({ fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** A downstream organization `mirrors` owned by `owner`, with robot `mirrors+sync` and repository `mirrors/<name>`. */
export async function mirrorSetup(t: TestRegistry, repository = 'app') {
  const { orgs, robots, repos } = identity(t);
  const owner = await createUser(t, 'owner');
  await orgs.create(owner, 'mirrors', null);
  const robot = await robots.create(owner, 'mirrors', 'sync', 'mirror writer');
  await repos.create(owner, {
    namespace: 'mirrors',
    repository,
    visibility: 'private',
    description: '',
  });
  return {
    owner,
    robot,
    api: new ApiClient(t.app, { basic: `owner:${PASSWORD}` }),
    path: `/repository/mirrors/${repository}/mirror`,
  };
}

/** Quay's date format for `sync_start_date`. */
export const quayDate = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** What the scheduler's tick and the job consumers do: queue due mirrors, then run every queued job. */
export async function runMirrorTick(t: TestRegistry): Promise<JobResult[]> {
  await SCHEDULED_TASKS['mirror-schedule'](t.workers);
  const results: JobResult[] = [];
  for (;;) {
    const [received] = await t.queue.receive(1, 60_000);
    if (!received) return results;
    results.push(await handleJob(t.workers, received.job));
    await t.queue.delete(received.receipt);
  }
}

export function expectFinished(result: JobResult | undefined, status: 'SUCCESS' | 'FAIL') {
  expect(result?.kind).toBe('finished');
  if (result?.kind !== 'finished') throw new Error('not finished');
  expect(result.outcome.status, result.outcome.error ?? '').toBe(status);
  return result;
}

/** Live tags and the digests they resolve to, through `/v2` of the given app. */
export async function tagDigests(
  request: (path: string, init?: RequestInit) => Promise<Response>,
  repository: string,
): Promise<Record<string, string>> {
  const list = await request(`/v2/${repository}/tags/list`);
  if (list.status === 404) return {};
  const { tags } = (await list.json()) as { tags: string[] | null };
  const result: Record<string, string> = {};
  for (const tag of tags ?? []) {
    const head = await request(`/v2/${repository}/manifests/${tag}`, {
      method: 'HEAD',
      headers: {
        Accept: [
          'application/vnd.oci.image.index.v1+json',
          'application/vnd.oci.image.manifest.v1+json',
          'application/vnd.docker.distribution.manifest.list.v2+json',
          'application/vnd.docker.distribution.manifest.v2+json',
        ].join(', '),
      },
    });
    result[tag] = head.headers.get('docker-content-digest') ?? `status ${head.status}`;
  }
  return result;
}

/** A mirror of `alice/app` on a test upstream, as `POST …/mirror` takes it; `overrides` replace fields. */
export function mirrorConfig(
  t: TestRegistry,
  host: string,
  overrides: { globs?: string[]; password?: string; registryConfig?: Record<string, unknown> } = {},
) {
  return {
    external_reference: `${host}/alice/app`,
    external_registry_username: 'alice',
    external_registry_password: overrides.password ?? PASSWORD,
    sync_interval: 3600,
    sync_start_date: quayDate(t.clock.now()),
    robot_username: 'mirrors+sync',
    root_rule: { rule_kind: 'tag_glob_csv', rule_value: overrides.globs ?? ['*'] },
    external_registry_config: overrides.registryConfig ?? { verify_tls: false },
  };
}
