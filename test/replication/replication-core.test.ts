import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../shared/oci/digest.js';
import { SCHEDULED_TASKS } from '../../shared/workers/scheduled-tasks.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { V2Client } from '../support/v2-client.js';

async function bytesAt(t: TestRegistry, location: string, digest: string, key: string | null) {
  const stream = await t.stores.get(location)!.read({ digest, key });
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function placements(t: TestRegistry) {
  return t.db
    .selectFrom('blob_placement')
    .select(['digest', 'location', 'storage_key'])
    .orderBy('digest')
    .orderBy('location')
    .execute();
}

describe('geo-replication between two directories', () => {
  let t: TestRegistry;
  beforeAll(async () => {
    t = await startTestRegistry({
      storage: 'fs',
      extraLocations: ['second'],
      replicateTo: ['local', 'second'],
    });
  });
  afterAll(() => t.close());

  it('queues a copy with the first placement and copies every blob, byte for byte', async () => {
    const client = new V2Client(t.app);
    await client.pushImage('team/app', 'v1', { layer: 'x'.repeat(200_000) });
    const queued = await t.db.selectFrom('blob_replication').selectAll().execute();
    expect(queued.map((q) => q.location)).toEqual(['second', 'second']);
    expect(queued.every((q) => q.state === 'pending')).toBe(true);

    expect(await SCHEDULED_TASKS.replication(t.workers)).toBe(2);

    const placed = await placements(t);
    const digests = [...new Set(placed.map((p) => p.digest))];
    expect(digests).toHaveLength(2);
    for (const digest of digests) {
      const at = placed.filter((p) => p.digest === digest);
      expect(at.map((p) => p.location)).toEqual(['local', 'second']);
      const copy = await bytesAt(t, 'second', digest, at[1]!.storage_key);
      expect(digestOf(copy)).toBe(digest);
      expect(copy).toEqual(await bytesAt(t, 'local', digest, at[0]!.storage_key));
    }
    expect(await t.db.selectFrom('blob_replication').selectAll().execute()).toEqual([]);
    const copied = await t.db
      .selectFrom('replication_location')
      .selectAll()
      .where('location', '=', 'second')
      .executeTakeFirstOrThrow();
    expect(copied).toMatchObject({ copies: 2 });
    expect(copied.bytes_copied).toBe(200_000 + 37);
  });

  it('runs a copy that is already done as a no-op', async () => {
    expect(await SCHEDULED_TASKS.replication(t.workers)).toBe(0);
  });
});
