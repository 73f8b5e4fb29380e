import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlPruneStore } from '../../shared/adapters/sql/sql-prune-store.js';
import type { PruneClaim, PruneStore } from '../../shared/ports/prune-store.js';
import { runAutoprune } from '../../shared/workers/autoprune.js';
import { collectGarbage } from '../../shared/workers/garbage-collection.js';
import { digestOf } from '../../shared/oci/digest.js';
import { createUser, identity, PASSWORD } from '../support/accounts.js';
import { skipUnlessAvailable, startTestRegistry, type TestRegistry } from '../support/harness.js';
import { expectSizesMatchRecount } from '../support/quota.js';
import { V2Client } from '../support/v2-client.js';

/**
 * Housekeeping racing itself and pushes, on CI's PostgreSQL: real
 * connections, real row locks. (Embedded Postgres runs one connection.)
 */
const databaseUrl = process.env.DATABASE_URL;
const skip = skipUnlessAvailable(Boolean(databaseUrl), 'DATABASE_URL (PostgreSQL)');

/** A prune store that remembers which namespaces are being worked on, and fails on overlap. */
class WatchedPruneStore implements PruneStore {
  readonly active = new Set<number>();
  readonly overlaps: number[] = [];
  readonly processed: number[] = [];
  constructor(private readonly inner: SqlPruneStore) {}
  async claimTask(at: Parameters<PruneStore['claimTask']>[0], token: string) {
    const claim = await this.inner.claimTask(at, token);
    if (claim) {
      if (this.active.has(claim.namespaceId)) this.overlaps.push(claim.namespaceId);
      this.active.add(claim.namespaceId);
      this.processed.push(claim.namespaceId);
    }
    return claim;
  }
  async finishTask(claim: PruneClaim, nowMs: number, status: string) {
    this.active.delete(claim.namespaceId);
    return this.inner.finishTask(claim, nowMs, status);
  }
  async deleteTask(claim: PruneClaim) {
    this.active.delete(claim.namespaceId);
    return this.inner.deleteTask(claim);
  }
  listPolicies = (...a: Parameters<PruneStore['listPolicies']>) => this.inner.listPolicies(...a);
  namespacePolicies = (id: number) => this.inner.namespacePolicies(id);
  createPolicy = (...a: Parameters<PruneStore['createPolicy']>) => this.inner.createPolicy(...a);
  updatePolicy = (...a: Parameters<PruneStore['updatePolicy']>) => this.inner.updatePolicy(...a);
  deletePolicy = (...a: Parameters<PruneStore['deletePolicy']>) => this.inner.deletePolicy(...a);
  renewClaim = (...a: Parameters<PruneStore['renewClaim']>) => this.inner.renewClaim(...a);
  taskStatus = (id: number) => this.inner.taskStatus(id);
  namespaceRepositories = (...a: Parameters<PruneStore['namespaceRepositories']>) =>
    this.inner.namespaceRepositories(...a);
  liveTags = (...a: Parameters<PruneStore['liveTags']>) => this.inner.liveTags(...a);
  pruneTags = (...a: Parameters<PruneStore['pruneTags']>) => this.inner.pruneTags(...a);
}

describe.skipIf(skip)('housekeeping races on PostgreSQL', () => {
  let t: TestRegistry;
  let v2: V2Client;
  const NAMESPACES = 12;

  beforeAll(async () => {
    t = await startTestRegistry({
      access: { enabled: true },
      postgresUrl: databaseUrl!,
      gcGraceMs: 0,
    });
    const olivia = await createUser(t, 'olivia');
    v2 = new V2Client(t.app, `olivia:${PASSWORD}`);
    const { orgs } = identity(t);
    for (let n = 0; n < NAMESPACES; n++) {
      await orgs.create(olivia, `org${n}`, null);
      for (const tag of ['a', 'b', 'c']) {
        await v2.pushImage(`org${n}/app`, tag, { layer: `org${n} ${tag}` });
        t.clock.advance(1000);
      }
      await t.workers.prune.createPolicy(
        {
          uuid: randomUUID(),
          namespaceId: (await t.access.deps.store.findAccount(`org${n}`))!.id,
          repositoryId: null,
          policy: { method: 'number_of_tags', value: 1 },
        },
        t.clock.now(),
      );
    }
  });
  afterAll(() => t.close());

  it('lets many prune workers share the namespaces, never two on one, losing none', async () => {
    const watched = new WatchedPruneStore(t.workers.prune as SqlPruneStore);
    const deps = { prune: watched, clock: t.clock, newId: randomUUID };
    const options = { leaseMs: 60_000, pageSize: 10 };
    const runs = await Promise.all(Array.from({ length: 6 }, () => runAutoprune(deps, options)));
    expect(watched.overlaps).toEqual([]);
    // Every namespace was processed exactly once across the six workers.
    expect(runs.reduce((n, r) => n + r.namespaces, 0)).toBe(NAMESPACES);
    expect(new Set(watched.processed).size).toBe(NAMESPACES);
    expect(runs.reduce((n, r) => n + r.pruned, 0)).toBe(NAMESPACES * 2);
    const tasks = await t.db.selectFrom('autoprune_task').selectAll().execute();
    expect(tasks).toHaveLength(NAMESPACES);
    for (const task of tasks) {
      expect(task).toMatchObject({ status: 'success: 2 tags pruned', claim_token: null });
    }
    // One audit entry per pruned tag: nobody pruned a tag twice.
    const logged = await t.db
      .selectFrom('audit_log')
      .select('metadata')
      .where('kind', '=', 'autoprune_tag_delete')
      .execute();
    expect(logged).toHaveLength(NAMESPACES * 2);
  });

  it('hands a task whose worker died to another once its lease lapses', async () => {
    t.clock.advance(1000);
    const dead = await t.workers.prune.claimTask(
      { nowMs: t.clock.now(), untilMs: t.clock.now() + 60_000, ranBeforeMs: t.clock.now() },
      'crashed-worker',
    );
    expect(dead).not.toBeNull();
    const deps = { prune: t.workers.prune, clock: t.clock, newId: randomUUID };
    const during = await runAutoprune(deps, { leaseMs: 60_000, pageSize: 10 });
    expect(during.namespaces).toBe(NAMESPACES - 1);
    t.clock.advance(61_000);
    const after = await runAutoprune(deps, { leaseMs: 60_000, pageSize: 10 });
    expect(after.namespaces).toBe(NAMESPACES);
    const status = await t.workers.prune.taskStatus(dead!.namespaceId);
    expect(status?.lastRanMs).toBe(t.clock.now());
  });

  it('never collects a blob that a stored manifest references, while pushes race it', async () => {
    let refused = 0;
    let stored = 0;
    for (let round = 0; round < 25; round++) {
      const collector = collectUntilStopped(t);
      await Promise.all(
        Array.from({ length: 4 }, async (_, i) => {
          const repo = `olivia/race${i}`;
          // As a client would, push again after a clean refusal.
          for (let attempt = 0; attempt < 5; attempt++) {
            // A layer every round shares (often garbage between rounds) and one of its own.
            const shared = await v2.pushBlob(repo, 'shared across rounds');
            const own = await v2.pushBlob(repo, `round ${round} pusher ${i}`);
            const config = await v2.pushBlob(repo, `{"round":${round}}`);
            const response = await v2.putManifest(repo, `r${round}`, {
              schemaVersion: 2,
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              config: { ...config, mediaType: 'application/vnd.oci.image.config.v1+json' },
              layers: [shared, own],
            });
            if (response.status === 201) {
              stored += 1;
              return;
            }
            // A lost race fails cleanly, in the protocol's terms.
            expect(response.status).toBe(400);
            const body = (await response.json()) as { errors: { code: string }[] };
            expect(body.errors[0]!.code).toBe('MANIFEST_BLOB_UNKNOWN');
            refused += 1;
          }
        }),
      );
      await collector.stop();
      await expectEveryReferencedBlobPresent(t);
    }
    expect(stored).toBeGreaterThan(0);
    console.log(`[race] ${stored} manifests stored, ${refused} refused cleanly`);
    await expectSizesMatchRecount(t);
  });

  it('points a tag at an image the repository holds without waiting on the size row new content queues on', async () => {
    // Prepare: another writer holds the repository's size row, as a push of new content does.
    const repo = 'olivia/retag-unblocked';
    const { manifest } = await v2.pushImage(repo, 'first', { layer: 'retag unblocked' });
    const repository = await t.registry.deps.metadata.findRepository(repo);
    let retag: Promise<number> | undefined;
    let answered: number | 'still waiting' = 'still waiting';

    // Act
    await t.db.transaction().execute(async (trx) => {
      await trx
        .selectFrom('quota_repository_size')
        .select('size_bytes')
        .where('repository_id', '=', repository!.id)
        .forUpdate()
        .executeTakeFirstOrThrow();
      retag = v2.putManifest(repo, 'second', manifest).then((r) => r.status);
      const bound = new Promise<'still waiting'>((resolve) =>
        setTimeout(() => resolve('still waiting'), 5_000),
      );
      answered = await Promise.race([retag, bound]);
    });

    // Assess
    await retag;
    expect(answered).toBe(201);
  });

  it('never lets garbage collection take an image while a tag is pushed to it', async () => {
    const outcomes = { tagged: 0, refused: 0 };
    for (let round = 0; round < 20; round++) {
      // Prepare: an image pushed by digest alone, so garbage as soon as it is old enough.
      const repo = 'olivia/retag-race';
      const config = await v2.pushBlob(repo, `{"retag":${round}}`);
      const layer = await v2.pushBlob(repo, `retag race layer ${round}`);
      const manifest = {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { ...config, mediaType: 'application/vnd.oci.image.config.v1+json' },
        layers: [layer],
      };
      const byDigest = await v2.putManifest(
        repo,
        digestOf(Buffer.from(JSON.stringify(manifest))),
        manifest,
      );
      expect(byDigest.status).toBe(201);
      t.clock.advance(10);

      // Act: the collector and a tag push race.
      const collector = collectUntilStopped(t);
      const response = await v2.putManifest(repo, `r${round}`, manifest);
      await collector.stop();

      // Assess: tagged and whole, or refused in the protocol's terms.
      if (response.status === 201) {
        outcomes.tagged += 1;
        expect((await v2.request(`/v2/${repo}/manifests/r${round}`)).status).toBe(200);
      } else {
        expect(response.status).toBe(400);
        const body = (await response.json()) as { errors: { code: string }[] };
        expect(body.errors[0]!.code).toBe('MANIFEST_BLOB_UNKNOWN');
        outcomes.refused += 1;
      }
      await expectEveryReferencedBlobPresent(t);
    }
    console.log(`[retag race] ${outcomes.tagged} tagged, ${outcomes.refused} refused cleanly`);
    expect(outcomes.tagged).toBeGreaterThan(0);
    await expectSizesMatchRecount(t);
  });
});

/**
 * Garbage collection pass after pass, the clock a millisecond on each time,
 * until stopped. The grace period is a few passes long, so what races it
 * meets it at its edge.
 */
function collectUntilStopped(t: TestRegistry): { stop: () => Promise<void> } {
  const deps = {
    garbage: t.workers.garbage,
    storage: t.registry.deps.storage,
    cache: t.registry.deps.cache,
    clock: t.clock,
  };
  const options = { timeMachineMs: 0, graceMs: 4, batchSize: 50 };
  let running = true;
  const passes = (async () => {
    while (running) {
      t.clock.advance(1);
      await collectGarbage(deps, options);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await passes;
    },
  };
}

/** Every blob of every manifest still stored has its row, a placement and its bytes. */
async function expectEveryReferencedBlobPresent(t: TestRegistry) {
  const referenced = await t.db
    .selectFrom('manifest_blob')
    .leftJoin('blob_placement', 'blob_placement.digest', 'manifest_blob.digest')
    .select(['manifest_blob.digest', 'blob_placement.location', 'blob_placement.storage_key'])
    .distinct()
    .execute();
  for (const { digest, location, storage_key: key } of referenced) {
    expect(location, digest).not.toBeNull();
    expect(await t.stores.get(location!)!.stat({ digest, key }), digest).not.toBeNull();
  }
}
