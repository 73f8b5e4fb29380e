import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, identity, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { errorCode, imageManifest, V2Client } from '../support/v2-client.js';
import { digestOf } from '../../shared/oci/digest.js';
import { MediaType } from '../../shared/oci/media-types.js';
import { SCHEDULED_TASKS } from '../../shared/workers/scheduled-tasks.js';

describe('REST API v1: tags, manifests and labels', () => {
  let t: TestRegistry;
  let owner: ApiClient;
  let reader: ApiClient;
  let v2: V2Client;
  let first: string;
  let second: string;
  const tags = '/repository/olivia/app/tag';

  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    const olivia = await createUser(t, 'olivia');
    await createUser(t, 'rita');
    owner = new ApiClient(t.app, { basic: `olivia:${PASSWORD}` });
    reader = new ApiClient(t.app, { basic: `rita:${PASSWORD}` });
    v2 = new V2Client(t.app, `olivia:${PASSWORD}`);
    first = (await v2.pushImage('olivia/app', 'v1', { layer: 'first' })).descriptor.digest;
    t.clock.advance(1000);
    second = (await v2.pushImage('olivia/app', 'v2', { layer: 'second' })).descriptor.digest;
    await identity(t).repos.setPermission(olivia, 'olivia/app', 'account', 'rita', 'read');
  });
  afterAll(() => t.close());

  const resolves = async (tag: string) => {
    const response = await v2.request(`/v2/olivia/app/manifests/${tag}`, { method: 'HEAD' });
    return response.status === 200 ? response.headers.get('docker-content-digest') : null;
  };

  it('lists live tags newest first, with their manifests', async () => {
    const { status, body } = await reader.get(`${tags}?onlyActiveTags=true`);
    expect(status).toBe(200);
    expect(body.tags.map((x: { name: string }) => x.name)).toEqual(['v2', 'v1']);
    expect(body.tags[1]).toMatchObject({
      name: 'v1',
      manifest_digest: first,
      is_manifest_list: false,
      start_ts: Math.floor((t.clock.now() - 1000) / 1000),
      reversion: false,
    });
    expect(body.tags[1].end_ts).toBeUndefined();
    expect(body).toMatchObject({ page: 1, has_additional: false });
    const paged = await reader.get(`${tags}?onlyActiveTags=true&limit=1&page=2`);
    expect(paged.body).toMatchObject({ page: 2, has_additional: false });
    expect(paged.body.tags.map((x: { name: string }) => x.name)).toEqual(['v1']);
    expect((await reader.get(`${tags}?limit=500`)).status).toBe(400);
  });

  it('creates and moves a tag, keeping its history', async () => {
    expect((await owner.put(`${tags}/latest`, { manifest_digest: first })).status).toBe(201);
    t.clock.advance(1000);
    expect((await owner.put(`${tags}/latest`, { manifest_digest: second })).status).toBe(201);
    expect(await resolves('latest')).toBe(second);
    const history = await owner.get(`${tags}?specificTag=latest`);
    expect(
      history.body.tags.map((x: { manifest_digest: string; end_ts?: number }) => [
        x.manifest_digest,
        x.end_ts !== undefined,
      ]),
    ).toEqual([
      [second, false],
      [first, true],
    ]);
    const logs = await owner.get('/repository/olivia/app/logs');
    expect(logs.body.logs.slice(0, 2).map((l: { kind: string }) => l.kind)).toEqual([
      'move_tag',
      'create_tag',
    ]);
  });

  it('refuses bad input and unknown manifests, changing nothing', async () => {
    expect((await owner.put(`${tags}/latest`, { manifest_digest: 'sha256:nothex' })).status).toBe(
      400,
    );
    expect(
      (await owner.put(`${tags}/latest`, { manifest_digest: first, force: true })).status,
    ).toBe(400);
    expect((await owner.put(`${tags}/latest`, {})).status).toBe(400);
    const unknown = await owner.put(`${tags}/latest`, {
      manifest_digest: `sha256:${'0'.repeat(64)}`,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error_type).toBe('not_found');
    expect((await owner.put(`${tags}/bad tag!`, { manifest_digest: first })).status).toBe(400);
    expect(await resolves('latest')).toBe(second);
  });

  it('deletes a tag and restores it within the time-machine window', async () => {
    expect((await owner.delete(`${tags}/latest`)).status).toBe(204);
    expect(await resolves('latest')).toBeNull();
    expect((await owner.delete(`${tags}/latest`)).status).toBe(404);
    const never = await owner.post(`${tags}/v2/restore`, { manifest_digest: first });
    expect(never.status).toBe(404);
    expect((await owner.post(`${tags}/latest/restore`, { manifest_digest: second })).status).toBe(
      200,
    );
    expect(await resolves('latest')).toBe(second);

    await owner.delete(`${tags}/latest`);
    t.clock.advance(15 * 24 * 3600 * 1000);
    expect((await owner.post(`${tags}/latest/restore`, { manifest_digest: second })).status).toBe(
      404,
    );
  });

  it("keeps each namespace's own time machine (tag_expiration_s): restores and collections follow it", async () => {
    const window = (await owner.get('/user/')).body.tag_expiration_s;
    expect(window).toBe(14 * 24 * 3600);
    expect((await owner.put('/user/', { tag_expiration_s: 12345 })).status).toBe(400);
    expect((await owner.put('/user/', { tag_expiration_s: 86_400 })).body.tag_expiration_s).toBe(
      86_400,
    );
    expect((await reader.get('/repository/olivia/app')).body.tag_expiration_s).toBe(86_400);

    const pushed = await v2.pushImage('olivia/app', 'short', { layer: 'short window' });
    expect((await owner.delete(`${tags}/short`)).status).toBe(204);
    t.clock.advance(2 * 24 * 3600 * 1000);
    // Two days on: past this namespace's one-day window, inside the registry's two weeks.
    const late = await owner.post(`${tags}/short/restore`, {
      manifest_digest: pushed.descriptor.digest,
    });
    expect(late.status).toBe(404);
    expect((await owner.put('/user/', { tag_expiration_s: 14 * 86_400 })).status).toBe(200);
    const restored = await owner.post(`${tags}/short/restore`, {
      manifest_digest: pushed.descriptor.digest,
    });
    expect(restored.status).toBe(200);
  });

  it('carries the newest live tags in the repository view, as Quay does, unless includeTags=false', async () => {
    const { status, body } = await reader.get('/repository/olivia/app');
    expect(status).toBe(200);
    expect(body.tags.v1).toMatchObject({ name: 'v1', manifest_digest: first });
    expect(body.tags.v1.size).toBeGreaterThan(0);
    expect(body.tags.v1.last_modified).toMatch(/GMT$/);
    const without = await reader.get('/repository/olivia/app?includeTags=false');
    expect(without.body).not.toHaveProperty('tags');
  });

  it("shows a tag's image size (its layers summed, as Quay's layers_compressed_size), and none for an index", async () => {
    const config = await v2.pushBlob(
      'olivia/sized',
      '{"architecture":"amd64","os":"linux"}',
      'application/vnd.oci.image.config.v1+json',
    );
    const layerType = 'application/vnd.oci.image.layer.v1.tar+gzip';
    const layers = [
      await v2.pushBlob('olivia/sized', 'x'.repeat(300_000), layerType),
      await v2.pushBlob('olivia/sized', 'y'.repeat(12_345), layerType),
    ];
    const image = imageManifest(config, layers);
    expect((await v2.putManifest('olivia/sized', 'image', image)).status).toBe(201);
    const imageBytes = Buffer.from(JSON.stringify(image));
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        {
          mediaType: MediaType.ociManifest,
          digest: digestOf(imageBytes),
          size: imageBytes.byteLength,
          platform: { architecture: 'amd64', os: 'linux' },
        },
      ],
    };
    const multi = await v2.putManifest('olivia/sized', 'multi', index, MediaType.ociIndex);
    expect(multi.status).toBe(201);
    const { body } = await owner.get('/repository/olivia/sized/tag/?onlyActiveTags=true');
    const sizes = Object.fromEntries(
      body.tags.map((x: { name: string; size: number | null }) => [x.name, x.size]),
    );
    expect(sizes).toEqual({ image: 312_345, multi: null });
  });

  it('undoes a manifest deleted by digest: each of its tags restores, until the window has passed and it is collected', async () => {
    const undo = '/repository/olivia/undo/tag';
    const pushed = await v2.pushImage('olivia/undo', 'a', { layer: 'undoable' });
    const digest = pushed.descriptor.digest;
    expect((await owner.put(`${undo}/b`, { manifest_digest: digest })).status).toBe(201);
    t.clock.advance(1000);
    const deleted = await v2.request(`/v2/olivia/undo/manifests/${digest}`, { method: 'DELETE' });
    expect(deleted.status).toBe(202);
    const byDigest = () => v2.request(`/v2/olivia/undo/manifests/${digest}`, { method: 'HEAD' });
    expect((await byDigest()).status).toBe(404);
    // A collection inside the window keeps the deleted manifest for the time machine.
    await SCHEDULED_TASKS['garbage-collection'](t.workers);
    for (const tag of ['a', 'b']) {
      const restored = await owner.post(`${undo}/${tag}/restore`, { manifest_digest: digest });
      expect(restored.status).toBe(200);
    }
    expect((await byDigest()).status).toBe(200);
    const pulled = await v2.request('/v2/olivia/undo/manifests/b');
    expect(pulled.headers.get('docker-content-digest')).toBe(digest);

    // Deleted again, past the window and collected: nothing left to restore.
    await v2.request(`/v2/olivia/undo/manifests/${digest}`, { method: 'DELETE' });
    t.clock.advance(15 * 24 * 3600 * 1000);
    await SCHEDULED_TASKS['garbage-collection'](t.workers);
    const late = await owner.post(`${undo}/a/restore`, { manifest_digest: digest });
    expect(late.status).toBe(404);
    expect((await byDigest()).status).toBe(404);
  });

  it('expires a tag: it resolves until the expiry, then only its history remains', async () => {
    const expiration = Math.floor(t.clock.now() / 1000) + 60;
    expect((await owner.put(`${tags}/v1`, { expiration })).status).toBe(201);
    expect(await resolves('v1')).toBe(first);
    const listed = await owner.get(`${tags}?onlyActiveTags=true&specificTag=v1`);
    expect(listed.body.tags[0].end_ts).toBe(expiration);
    expect(listed.body.tags[0].expiration).toBe(new Date(expiration * 1000).toUTCString());
    t.clock.advance(61_000);
    expect(await resolves('v1')).toBeNull();
    expect((await owner.get(`${tags}?onlyActiveTags=true&specificTag=v1`)).body.tags).toEqual([]);
    const past = Math.floor(t.clock.now() / 1000) - 1;
    expect((await owner.put(`${tags}/v2`, { expiration: past })).status).toBe(400);
  });

  it('serves a manifest by digest with its bytes, and manages its labels', async () => {
    const manifest = await reader.get(`/repository/olivia/app/manifest/${second}`);
    expect(manifest.status).toBe(200);
    const raw = await v2.request(`/v2/olivia/app/manifests/${second}`);
    expect(manifest.body).toMatchObject({
      digest: second,
      is_manifest_list: false,
      manifest_data: await raw.text(),
      labels: [],
    });

    const labels = `/repository/olivia/app/manifest/${second}/labels`;
    const added = await owner.post(labels, { key: 'team', value: 'web' });
    expect(added.status).toBe(201);
    expect(added.body.label).toMatchObject({
      key: 'team',
      value: 'web',
      source_type: 'api',
      media_type: 'text/plain',
    });
    await owner.post(labels, { key: 'config', value: '{"a":1}', media_type: 'application/json' });
    expect(
      (await owner.post(labels, { key: 'broken', value: '{', media_type: 'application/json' }))
        .status,
    ).toBe(400);
    expect((await reader.post(labels, { key: 'x', value: 'y' })).status).toBe(403);
    const listed = await reader.get(`${labels}?filter=te`);
    expect(listed.body.labels.map((l: { key: string }) => l.key)).toEqual(['team']);
    expect((await owner.delete(`${labels}/${added.body.label.id}`)).status).toBe(204);
    expect((await owner.delete(`${labels}/${added.body.label.id}`)).status).toBe(404);
    expect((await reader.get(labels)).body.labels.map((l: { key: string }) => l.key)).toEqual([
      'config',
    ]);
  });

  it('lets readers read but not change tags, hides them from outsiders, obeys READ_ONLY', async () => {
    expect((await reader.put(`${tags}/x`, { manifest_digest: first })).status).toBe(403);
    expect((await reader.delete(`${tags}/v2`)).status).toBe(403);
    await createUser(t, 'oscar');
    const outsider = new ApiClient(t.app, { basic: `oscar:${PASSWORD}` });
    expect((await outsider.get(tags)).status).toBe(404);
    expect((await outsider.get(`/repository/olivia/app/manifest/${first}`)).status).toBe(404);
    await owner.put('/repository/olivia/app/changestate', { state: 'READ_ONLY' });
    const frozen = await owner.put(`${tags}/x`, { manifest_digest: first });
    expect(frozen.status).toBe(403);
    expect(frozen.body.error_message).toBe('the repository is read-only');
    await owner.put('/repository/olivia/app/changestate', { state: 'NORMAL' });
    expect(await errorCode(await v2.request('/v2/olivia/app/manifests/x'))).toBe(
      'MANIFEST_UNKNOWN',
    );
  });
});
