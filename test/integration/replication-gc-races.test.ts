import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../shared/ports/blob-store.js';
import { SCHEDULED_TASKS } from '../../shared/workers/scheduled-tasks.js';
import {
  skipUnlessAvailable,
  stagedUploads,
  startTestRegistry,
  type TestRegistry,
} from '../support/harness.js';
import { V2Client } from '../support/v2-client.js';

/**
 * Replication copying blobs while garbage collection deletes them, on CI's
 * PostgreSQL where the two really run at once.
 */
const databaseUrl = process.env.DATABASE_URL;
const skip = skipUnlessAvailable(Boolean(databaseUrl), 'DATABASE_URL (PostgreSQL)');

describe.skipIf(skip)('replication racing garbage collection on PostgreSQL', () => {
  let t: TestRegistry;
  beforeAll(async () => {
    t = await startTestRegistry({
      storage: 'fs',
      extraLocations: ['second'],
      replicateTo: ['local', 'second'],
      postgresUrl: databaseUrl!,
      clockStartMs: Date.now(),
      gcGraceMs: 60_000,
      // Copies take a moment, as across regions, so collections land in the middle of them.
      wrapStore: (name, store) =>
        name !== 'local'
          ? store
          : new Proxy(store, {
              get(target, property) {
                const value = Reflect.get(target, property) as unknown;
                if (property !== 'read' || typeof value !== 'function') {
                  return typeof value === 'function' ? value.bind(target) : value;
                }
                return async (...args: Parameters<BlobStore['read']>) => {
                  await new Promise((resolve) => setTimeout(resolve, Math.random() * 30));
                  return target.read(...args);
                };
              },
            }),
    });
  });
  afterAll(() => t?.close());

  const held = async (location: string) =>
    (await t.stores.get(location)!.listStored('blobs', null, 10_000)).objects.map((o) =>
      o.key.split('/').at(-1),
    );

  it('loses nothing referenced and leaves nothing unreferenced', async () => {
    const client = new V2Client(t.app);
    const kept = [];
    for (let round = 0; round < 6; round++) {
      kept.push(await client.pushImage('team/kept', `v${round}`, { layer: `kept ${round}` }));
      for (let i = 0; i < 8; i++) await client.pushBlob(`team/gone${round}`, randomBytes(2048));
      await client.request(`/v2/team/gone${round}/blobs/uploads/`, { method: 'POST' });
    }
    // The unreferenced blobs: linked into repositories that go, then past the grace period.
    await t.db.deleteFrom('repository').where('name', 'like', 'team/gone%').execute();
    t.clock.advance(2 * 60 * 60 * 1000);

    for (let i = 0; i < 4; i++) {
      await Promise.all([
        SCHEDULED_TASKS.replication(t.workers),
        SCHEDULED_TASKS['garbage-collection'](t.workers),
        SCHEDULED_TASKS.replication(t.workers),
      ]);
    }
    // Whatever a lost race left behind is swept once it is past the grace period too.
    t.clock.advance(2 * 60 * 60 * 1000);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await SCHEDULED_TASKS['garbage-collection'](t.workers);
    await SCHEDULED_TASKS.replication(t.workers);

    const rows = await t.db.selectFrom('blob').select('digest').orderBy('digest').execute();
    const referenced = [
      ...new Set(
        kept.flatMap(({ manifest }) => [
          (manifest.config as { digest: string }).digest,
          ...(manifest.layers as { digest: string }[]).map((l) => l.digest),
        ]),
      ),
    ].sort();
    expect(rows.map((r) => r.digest)).toEqual(referenced);
    const hex = referenced.map((d) => d.slice('sha256:'.length));
    expect((await held('local')).sort()).toEqual(hex);
    expect((await held('second')).sort()).toEqual(hex);
    const placements = await t.db
      .selectFrom('blob_placement')
      .select(['digest', 'location'])
      .execute();
    expect(placements).toHaveLength(referenced.length * 2);
    expect(await t.db.selectFrom('blob_replication').selectAll().execute()).toEqual([]);
    expect(await stagedUploads(t.stores.get('second')!)).toEqual([]);
    expect(await stagedUploads(t.stores.get('local')!)).toEqual([]);
  });
});
