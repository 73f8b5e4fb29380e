import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../shared/oci/digest.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { errorCode, imageManifest, V2Client } from '../support/v2-client.js';

describe('the quay.expires-after image label', () => {
  let t: TestRegistry;
  let v2: V2Client;

  beforeAll(async () => {
    t = await startTestRegistry();
    v2 = new V2Client(t.app);
  });
  afterAll(() => t.close());

  async function pushWithLabels(tag: string, labels: Record<string, string>, configType?: string) {
    const config = await v2.pushBlob(
      'labelled/app',
      JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: labels } }),
      configType ?? 'application/vnd.oci.image.config.v1+json',
    );
    const layer = await v2.pushBlob('labelled/app', `layer ${tag}`);
    const response = await v2.putManifest('labelled/app', tag, imageManifest(config, [layer]));
    expect(response.status).toBe(201);
  }
  const resolves = async (tag: string) =>
    (await v2.request(`/v2/labelled/app/manifests/${tag}`, { method: 'HEAD' })).status === 200;

  it('makes a tag pushed with it expire that long after the push', async () => {
    await pushWithLabels('short', { 'quay.expires-after': '2h', other: 'x' });
    await pushWithLabels(
      'docker',
      { 'quay.expires-after': '1h' },
      'application/vnd.docker.container.image.v1+json',
    );
    await pushWithLabels('bad', { 'quay.expires-after': 'two weeks' });
    await pushWithLabels('none', {});
    t.clock.advance(60 * 60 * 1000 + 1);
    expect(await resolves('docker')).toBe(false);
    expect(await resolves('short')).toBe(true);
    t.clock.advance(60 * 60 * 1000);
    expect(await resolves('short')).toBe(false);
    const missing = await v2.request('/v2/labelled/app/manifests/short');
    expect(await errorCode(missing)).toBe('MANIFEST_UNKNOWN');
    expect(await resolves('bad')).toBe(true);
    expect(await resolves('none')).toBe(true);
    const tags = (await (await v2.request('/v2/labelled/app/tags/list')).json()) as {
      tags: string[];
    };
    expect(tags.tags).toEqual(['bad', 'none']);
    const repository = await t.registry.deps.metadata.findRepository('labelled/app');
    const history = await t.registry.deps.metadata.tagHistory(repository!.id, 'short');
    expect(history[0]!.endMs! - history[0]!.startMs).toBe(2 * 60 * 60 * 1000);
  });

  it('starts the clock again when the tag is pushed again', async () => {
    await pushWithLabels('again', { 'quay.expires-after': '1h' });
    t.clock.advance(50 * 60 * 1000);
    await pushWithLabels('again', { 'quay.expires-after': '1h', rebuilt: 'yes' });
    t.clock.advance(50 * 60 * 1000);
    expect(await resolves('again')).toBe(true);
  });

  it('reads each config once: a tag pushed again to the same image expires even if its config can no longer be read', async () => {
    // Prepare: an image pushed once, whose config's bytes then go missing from storage.
    const config = await v2.pushBlob(
      'labelled/app',
      JSON.stringify({ os: 'linux', config: { Labels: { 'quay.expires-after': '1h' } } }),
      'application/vnd.oci.image.config.v1+json',
    );
    const layer = await v2.pushBlob('labelled/app', 'layer remembered');
    const manifest = imageManifest(config, [layer]);
    expect((await v2.putManifest('labelled/app', 'remembered-1', manifest)).status).toBe(201);
    await t.registry.deps.storage.get('local').delete({ digest: config.digest, key: null });

    // Act
    const again = await v2.putManifest('labelled/app', 'remembered-2', manifest);

    // Assess: the label came from what the first push read.
    expect(again.status).toBe(201);
    t.clock.advance(60 * 60 * 1000 + 1);
    expect(await resolves('remembered-1')).toBe(false);
    expect(await resolves('remembered-2')).toBe(false);
  });

  it('learns a config label as the config arrives whole, so its manifest push reads nothing back', async () => {
    // Prepare: a config pushed in one request, whose bytes then go missing from storage.
    const config = await v2.pushBlob(
      'labelled/app',
      JSON.stringify({ os: 'learned', config: { Labels: { 'quay.expires-after': '1h' } } }),
      'application/vnd.oci.image.config.v1+json',
    );
    const layer = await v2.pushBlob('labelled/app', 'layer learned');
    await t.registry.deps.storage.get('local').delete({ digest: config.digest, key: null });

    // Act
    const pushed = await v2.putManifest('labelled/app', 'learned', imageManifest(config, [layer]));

    // Assess: the label is what the upload saw.
    expect(pushed.status).toBe(201);
    t.clock.advance(60 * 60 * 1000 + 1);
    expect(await resolves('learned')).toBe(false);
  });

  it('reads the label of a config that arrived in chunks from storage', async () => {
    const bytes = Buffer.from(
      JSON.stringify({ os: 'chunked', config: { Labels: { 'quay.expires-after': '1h' } } }),
    );
    const started = await v2.request('/v2/labelled/app/blobs/uploads/', { method: 'POST' });
    const location = started.headers.get('location')!;
    const octets = { 'Content-Type': 'application/octet-stream' };
    const patched = await v2.request(location, {
      method: 'PATCH',
      body: bytes,
      headers: { ...octets, 'Content-Length': String(bytes.byteLength) },
    });
    expect(patched.status).toBe(202);
    const digest = digestOf(bytes);
    expect((await v2.request(`${location}?digest=${digest}`, { method: 'PUT' })).status).toBe(201);
    const config = {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest,
      size: bytes.byteLength,
    };
    const layer = await v2.pushBlob('labelled/app', 'layer chunked');

    const pushed = await v2.putManifest('labelled/app', 'chunked', imageManifest(config, [layer]));

    expect(pushed.status).toBe(201);
    t.clock.advance(60 * 60 * 1000 + 1);
    expect(await resolves('chunked')).toBe(false);
  });
});
