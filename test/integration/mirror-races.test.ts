import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../shared/registry/registry.js';
import { handleJob } from '../../shared/workers/jobs.js';
import type { JobResult } from '../../shared/workers/jobs.js';
import { SCHEDULED_TASKS } from '../../shared/workers/scheduled-tasks.js';
import type { WorkerDeps } from '../../shared/workers/worker-deps.js';
import { SqlJobQueue } from '../../shared/adapters/queue/sql-job-queue.js';
import { SqlMirrorStore } from '../../shared/adapters/sql/sql-mirror-store.js';
import { createUser, PASSWORD } from '../support/accounts.js';
import { skipUnlessAvailable, startTestRegistry, type TestRegistry } from '../support/harness.js';
import {
  mirrorConfig,
  mirrorSetup,
  serveOnLoopback,
  type LoopbackServer,
} from '../support/mirroring.js';
import { V2Client } from '../support/v2-client.js';
import { identity } from '../support/accounts.js';

/**
 * Mirror workers racing each other on CI's PostgreSQL: real connections,
 * real row locks. The upstream counts requests in flight per repository,
 * so two workers syncing one repository at once would show.
 */
const databaseUrl = process.env.DATABASE_URL;
const skip = skipUnlessAvailable(Boolean(databaseUrl), 'DATABASE_URL (PostgreSQL)');

describe.skipIf(skip)('mirror workers on PostgreSQL', () => {
  let upstream: TestRegistry;
  let downstream: TestRegistry;
  let server: LoopbackServer;
  const inFlight = new Map<string, number>();
  const overlaps: string[] = [];
  const REPOSITORIES = 6;

  /** A second worker process: its own stores, queue and registry services on the same database. */
  const secondWorker = (): WorkerDeps => {
    const registry = createRegistry(downstream.registry.deps);
    return {
      ...downstream.workers,
      mirror: {
        ...downstream.workers.mirror,
        registry,
        mirrors: new SqlMirrorStore(downstream.db),
        queue: new SqlJobQueue(downstream.db, downstream.clock),
      },
    };
  };

  beforeAll(async () => {
    upstream = await startTestRegistry({ access: { enabled: true } });
    downstream = await startTestRegistry({ access: { enabled: true }, postgresUrl: databaseUrl! });
    await createUser(upstream, 'alice');
    const pusher = new V2Client(upstream.app, `alice:${PASSWORD}`);
    server = await serveOnLoopback(upstream.app, async (request) => {
      const repository = /\/v2\/(alice\/[^/]+)\//.exec(new URL(request.url).pathname)?.[1];
      if (!repository) return undefined;
      const n = (inFlight.get(repository) ?? 0) + 1;
      inFlight.set(repository, n);
      if (n > 1) overlaps.push(repository);
      try {
        // Slow enough that overlapping syncs would overlap here.
        await new Promise((resolve) => setTimeout(resolve, 15));
        return await upstream.app.fetch(request);
      } finally {
        inFlight.set(repository, inFlight.get(repository)! - 1);
      }
    });
    const { api } = await mirrorSetup(downstream, 'r0');
    const owner = (await downstream.access.deps.store.findAccount('owner'))!;
    const ownerPrincipal = await downstream.access.authenticator.principalFor(owner);
    for (let i = 0; i < REPOSITORIES; i++) {
      for (const tag of ['a', 'b', 'c'])
        await pusher.pushImage(`alice/r${i}`, tag, { layer: `${i}${tag}` });
      if (i > 0) {
        await identity(downstream).repos.create(ownerPrincipal, {
          namespace: 'mirrors',
          repository: `r${i}`,
          visibility: 'private',
          description: '',
        });
      }
      const created = await api.post(`/repository/mirrors/r${i}/mirror`, {
        ...mirrorConfig(downstream, server.host),
        external_reference: `${server.host}/alice/r${i}`,
      });
      expect(created.status).toBe(201);
    }
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await upstream?.close();
    await downstream?.close();
  });

  it('two schedulers at once queue each due repository once', async () => {
    const [one, two] = await Promise.all([
      SCHEDULED_TASKS['mirror-schedule'](downstream.workers),
      SCHEDULED_TASKS['mirror-schedule'](secondWorker()),
    ]);

    expect(one + two).toBe(REPOSITORIES);
    expect(await downstream.queue.depth()).toBe(REPOSITORIES);
  });

  it('two workers draining the queue sync every repository once, never one repository twice at once', async () => {
    // Prepare: a duplicate job for every repository, as an at-least-once queue may deliver.
    const ids = await downstream.db.selectFrom('repo_mirror').select('repository_id').execute();
    await downstream.queue.send(
      ids.map((r) => ({ kind: 'mirror-sync', repositoryId: Number(r.repository_id) })),
    );
    const workers = [downstream.workers, secondWorker()];
    const results: JobResult[][] = [[], []];

    // Act
    await Promise.all(
      workers.map(async (deps, w) => {
        const queue = deps.mirror.queue as SqlJobQueue;
        for (;;) {
          const [received] = await queue.receive(1, 60_000);
          if (!received) return;
          results[w]!.push(await handleJob(deps, received.job));
          await queue.delete(received.receipt);
        }
      }),
    );

    // Assess
    const all = results.flat();
    expect(overlaps).toEqual([]);
    expect(all.filter((r) => r.kind === 'finished')).toHaveLength(REPOSITORIES);
    expect(all.filter((r) => r.kind === 'skipped')).toHaveLength(REPOSITORIES);
    expect(results[0]!.some((r) => r.kind === 'finished')).toBe(true);
    expect(results[1]!.some((r) => r.kind === 'finished')).toBe(true);
    const started = await downstream.db
      .selectFrom('registry_event')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('kind', '=', 'repo_mirror_sync_started')
      .executeTakeFirstOrThrow();
    expect(Number(started.n)).toBe(REPOSITORIES);
  }, 120_000);

  it('of eight workers claiming one mirror at the same instant, exactly one wins', async () => {
    const mirrors = Array.from({ length: 8 }, () => new SqlMirrorStore(downstream.db));
    const id = Number(
      (
        await downstream.db
          .selectFrom('repo_mirror')
          .select('repository_id')
          .executeTakeFirstOrThrow()
      ).repository_id,
    );
    await mirrors[0]!.requestSync(id, downstream.clock.now());

    const claims = await Promise.all(
      mirrors.map((m) =>
        m.claim(id, randomUUID(), downstream.clock.now(), downstream.clock.now() + 60_000),
      ),
    );

    expect(claims.filter(Boolean)).toHaveLength(1);
  });
});
