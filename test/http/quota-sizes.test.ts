import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType } from '../../shared/oci/media-types.js';
import { SCHEDULED_TASKS } from '../../shared/workers/scheduled-tasks.js';
import { createUser, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { expectSizesMatchRecount } from '../support/quota.js';
import { V2Client } from '../support/v2-client.js';

const DAY = 24 * 60 * 60 * 1000;

describe('quota sizes', () => {
  let t: TestRegistry;
  let v2: V2Client;
  let api: ApiClient;
  const blob = (text: string) => Buffer.byteLength(text);

  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    await createUser(t, 'olivia');
    v2 = new V2Client(t.app, `olivia:${PASSWORD}`);
    api = new ApiClient(t.app, { basic: `olivia:${PASSWORD}` });
  });
  afterAll(() => t.close());

  it('count each blob once per repository and once per namespace, however many manifests share it', async () => {
    const one = await v2.pushImage('olivia/app', 'one', { layer: 'shared layer' });
    const config = blob('{"architecture":"amd64","os":"linux"}');
    let sizes = await expectSizesMatchRecount(t);
    expect(sizes['olivia/app']).toBe(one.descriptor.size + config + blob('shared layer'));

    // Same config and layer, another manifest (an annotation differs): only the manifest adds.
    const two = await v2.pushImage('olivia/app', 'two', {
      layer: 'shared layer',
      manifest: { annotations: { build: '2' } },
    });
    sizes = await expectSizesMatchRecount(t);
    expect(sizes['olivia/app']).toBe(
      one.descriptor.size + two.descriptor.size + config + blob('shared layer'),
    );

    // Another repository of the namespace with the same content: its own size counts it all,
    // the namespace only the manifest that is new to it... which is none: same digest.
    await v2.pushImage('olivia/other', 'one', { layer: 'shared layer' });
    sizes = await expectSizesMatchRecount(t);
    expect(sizes['olivia/other']).toBe(one.descriptor.size + config + blob('shared layer'));
    expect(sizes.olivia).toBe(sizes['olivia/app']);
  });

  it('count manifest lists, and retagging changes nothing', async () => {
    const before = await expectSizesMatchRecount(t);
    const manifests = await t.db
      .selectFrom('manifest')
      .innerJoin('repository', 'repository.id', 'manifest.repository_id')
      .select(['manifest.digest', 'manifest.size', 'manifest.media_type'])
      .where('repository.name', '=', 'olivia/app')
      .execute();
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: manifests.map((m) => ({
        mediaType: m.media_type,
        digest: m.digest,
        size: m.size,
        platform: { architecture: 'amd64', os: 'linux' },
      })),
    };
    const response = await v2.putManifest('olivia/app', 'multi', index, MediaType.ociIndex);
    expect(response.status).toBe(201);
    const indexSize = Buffer.byteLength(JSON.stringify(index));
    let sizes = await expectSizesMatchRecount(t);
    expect(sizes['olivia/app']).toBe(before['olivia/app']! + indexSize);
    expect(sizes.olivia).toBe(before.olivia! + indexSize);

    await v2.putManifest('olivia/app', 'again', index, MediaType.ociIndex);
    sizes = await expectSizesMatchRecount(t);
    expect(sizes['olivia/app']).toBe(before['olivia/app']! + indexSize);
  });

  it('shrink when garbage collection removes what no tag keeps any more, and only then', async () => {
    const before = await expectSizesMatchRecount(t);
    for (const tag of ['multi', 'again', 'two']) {
      const deleted = await v2.request(`/v2/olivia/app/manifests/${tag}`, { method: 'DELETE' });
      expect(deleted.status).toBe(202);
    }
    // Deleted tags stay restorable in the time machine: nothing is collected yet.
    t.clock.advance(DAY);
    await SCHEDULED_TASKS['garbage-collection'](t.workers);
    expect(await expectSizesMatchRecount(t)).toEqual(before);

    t.clock.advance(14 * DAY);
    const handled = await SCHEDULED_TASKS['garbage-collection'](t.workers);
    expect(handled).toBeGreaterThan(0);
    const after = await expectSizesMatchRecount(t);
    expect(after['olivia/app']).toBeLessThan(before['olivia/app']!);
    // `one` is still tagged in olivia/app: its manifest, config and layer remain.
    const one = await v2.request('/v2/olivia/app/manifests/one');
    expect(one.status).toBe(200);
    expect(after['olivia/app']).toBe(after['olivia/other']);
  });

  it('drop a deleted repository from its namespace, keeping what other repositories share', async () => {
    const before = await expectSizesMatchRecount(t);
    await v2.pushImage('olivia/solo', 'x', { layer: 'only in solo' });
    const grown = await expectSizesMatchRecount(t);
    expect(grown.olivia).toBeGreaterThan(before.olivia!);
    expect((await api.delete('/repository/olivia/solo')).status).toBe(204);
    expect((await expectSizesMatchRecount(t)).olivia).toBe(before.olivia);
    expect((await api.delete('/repository/olivia/other')).status).toBe(204);
    expect((await expectSizesMatchRecount(t)).olivia).toBe(before['olivia/app']);
  });

  it('are backfilled by the quota worker for content counted before them', async () => {
    const expected = await expectSizesMatchRecount(t);
    // As after a restore, or for content from before the quota tables.
    await sql`update quota_repository_size set size_bytes = 0, backfilled = false`.execute(t.db);
    await sql`update quota_namespace_size set size_bytes = 7, backfilled = false`.execute(t.db);
    // Pushes meanwhile leave unbackfilled rows alone rather than adding to a wrong base.
    await v2.pushImage('olivia/app', 'meanwhile', { layer: 'pushed during backfill' });
    expect(
      await t.workers.quota.namespaceSize((await t.access.deps.store.findAccount('olivia'))!.id),
    ).toEqual({
      sizeBytes: 7,
      backfilled: false,
    });
    const counted = await SCHEDULED_TASKS['quota-backfill'](t.workers);
    expect(counted).toBeGreaterThanOrEqual(2);
    const sizes = await expectSizesMatchRecount(t);
    expect(sizes.olivia).toBeGreaterThan(expected.olivia!);
  });

  it('include the whole registry once asked for, each digest counted once', async () => {
    await v2.pushImage('olivia/copy', 'one', { layer: 'shared layer' });
    await t.workers.quota.queueRegistrySize();
    expect((await t.workers.quota.registrySize()).queued).toBe(true);
    await SCHEDULED_TASKS['quota-backfill'](t.workers);
    const registry = await t.workers.quota.registrySize();
    expect(registry).toMatchObject({ queued: false, running: false });
    expect(registry.sizeBytes).toBe(await t.workers.quota.recount('everything'));
    expect(registry.sizeBytes).toBe((await expectSizesMatchRecount(t)).olivia);
  });
});
