import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../shared/oci/digest.js';
import { MediaType } from '../../shared/oci/media-types.js';
import type { Descriptor } from '../../shared/oci/manifest.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { errorCode, imageManifest, V2Client } from '../support/v2-client.js';

let t: TestRegistry;
let v2: V2Client;
beforeAll(async () => {
  t = await startTestRegistry();
  v2 = new V2Client(t.app);
});
afterAll(() => t.close());

async function tagAll(name: string, tags: string[]) {
  const { manifest } = await v2.pushImage(name, tags[0]!);
  for (const tag of tags.slice(1)) await v2.putManifest(name, tag, manifest);
}

describe('GET /v2/<name>/tags/list', () => {
  beforeAll(() => tagAll('list/app', ['v2', 'latest', 'V1', 'v10', '_edge']));

  it('lists every live tag in byte order', async () => {
    const response = await v2.request('/v2/list/app/tags/list');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      name: 'list/app',
      tags: ['V1', '_edge', 'latest', 'v10', 'v2'],
    });
    expect(response.headers.get('link')).toBeNull();
  });

  it('pages with n and last, linking to the next page', async () => {
    const first = await v2.request('/v2/list/app/tags/list?n=2');
    expect(((await first.json()) as { tags: string[] }).tags).toEqual(['V1', '_edge']);
    expect(first.headers.get('link')).toBe('</v2/list/app/tags/list?n=2&last=_edge>; rel="next"');

    const second = await v2.request('/v2/list/app/tags/list?n=2&last=_edge');
    expect(((await second.json()) as { tags: string[] }).tags).toEqual(['latest', 'v10']);
    const third = await v2.request('/v2/list/app/tags/list?n=2&last=v10');
    expect(((await third.json()) as { tags: string[] }).tags).toEqual(['v2']);
    expect(third.headers.get('link')).toBeNull();
  });

  it('answers n=0 with an empty list', async () => {
    expect(await (await v2.request('/v2/list/app/tags/list?n=0')).json()).toEqual({
      name: 'list/app',
      tags: [],
    });
  });

  it('drops deleted tags', async () => {
    await tagAll('list/deleting', ['keep', 'drop']);
    await v2.request('/v2/list/deleting/manifests/drop', { method: 'DELETE' });
    expect(
      ((await (await v2.request('/v2/list/deleting/tags/list')).json()) as { tags: string[] }).tags,
    ).toEqual(['keep']);
  });

  it('refuses a bad n and an unknown repository', async () => {
    for (const n of ['-1', 'ten', '1.5']) {
      const response = await v2.request(`/v2/list/app/tags/list?n=${n}`);
      expect(response.status, n).toBe(400);
      expect(await errorCode(response)).toBe('PAGINATION_NUMBER_INVALID');
    }
    const unknown = await v2.request('/v2/list/nothing/tags/list');
    expect(unknown.status).toBe(404);
    expect(await errorCode(unknown)).toBe('NAME_UNKNOWN');
  });
});

describe('GET /v2/_catalog', () => {
  it('lists repositories in byte order, page by page', async () => {
    const catalog = await startTestRegistry();
    try {
      const client = new V2Client(catalog.app);
      for (const name of ['zeta', 'alpha/one', 'alpha', 'mid/x/y'])
        await client.pushImage(name, 'latest');
      const all = await client.request('/v2/_catalog');
      expect(await all.json()).toEqual({ repositories: ['alpha', 'alpha/one', 'mid/x/y', 'zeta'] });
      const first = await client.request('/v2/_catalog?n=3');
      expect(((await first.json()) as { repositories: string[] }).repositories).toEqual([
        'alpha',
        'alpha/one',
        'mid/x/y',
      ]);
      expect(first.headers.get('link')).toBe('</v2/_catalog?n=3&last=mid%2Fx%2Fy>; rel="next"');
      const rest = await client.request('/v2/_catalog?n=3&last=mid%2Fx%2Fy');
      expect(await rest.json()).toEqual({ repositories: ['zeta'] });
    } finally {
      await catalog.close();
    }
  });
});

describe('GET /v2/<name>/referrers/<digest>', () => {
  let subject: Descriptor;
  let signatureDigest: string;
  let sbomDigest: string;

  beforeAll(async () => {
    const name = 'ref/app';
    subject = (await v2.pushImage(name, 'latest')).descriptor;
    const empty = await v2.pushBlob(name, '{}', MediaType.ociEmpty);
    const payload = await v2.pushBlob(name, 'signature payload');
    const signature = imageManifest(empty, [payload], {
      artifactType: 'application/vnd.example.signature',
      subject,
      annotations: { 'org.example.signer': 'ci' },
    });
    const sbomConfig = await v2.pushBlob(name, '{"sbom":true}', 'application/spdx+json');
    const sbom = imageManifest(sbomConfig, [payload], { subject });
    signatureDigest = (
      await v2.putManifest(name, digestOf(Buffer.from(JSON.stringify(signature))), signature)
    ).headers.get('docker-content-digest')!;
    sbomDigest = (
      await v2.putManifest(name, digestOf(Buffer.from(JSON.stringify(sbom))), sbom)
    ).headers.get('docker-content-digest')!;
  });

  it('returns an image index of every referrer, with artifact types and annotations', async () => {
    const response = await v2.request(`/v2/ref/app/referrers/${subject.digest}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(MediaType.ociIndex);
    expect(response.headers.get('oci-filters-applied')).toBeNull();
    const index = (await response.json()) as {
      schemaVersion: number;
      mediaType: string;
      manifests: Descriptor[];
    };
    expect(index.schemaVersion).toBe(2);
    expect(index.mediaType).toBe(MediaType.ociIndex);
    expect(index.manifests).toEqual([
      expect.objectContaining({
        mediaType: MediaType.ociManifest,
        digest: signatureDigest,
        artifactType: 'application/vnd.example.signature',
        annotations: { 'org.example.signer': 'ci' },
      }),
      expect.objectContaining({ digest: sbomDigest, artifactType: 'application/spdx+json' }),
    ]);
    expect(index.manifests[0]!.size).toBeGreaterThan(0);
  });

  it('filters by artifactType and says so', async () => {
    const response = await v2.request(
      `/v2/ref/app/referrers/${subject.digest}?artifactType=application/spdx%2Bjson`,
    );
    expect(response.headers.get('oci-filters-applied')).toBe('artifactType');
    const index = (await response.json()) as { manifests: Descriptor[] };
    expect(index.manifests.map((m) => m.digest)).toEqual([sbomDigest]);
  });

  it('answers an empty index, not 404, for a digest nothing refers to', async () => {
    const response = await v2.request(`/v2/ref/app/referrers/${digestOf(Buffer.from('lonely'))}`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { manifests: unknown[] }).manifests).toEqual([]);
  });

  it('refuses a malformed digest and an unknown repository', async () => {
    expect(await errorCode(await v2.request('/v2/ref/app/referrers/sha256:nope'))).toBe(
      'DIGEST_INVALID',
    );
    const unknown = await v2.request(`/v2/ref/none/referrers/${subject.digest}`);
    expect(unknown.status).toBe(404);
    expect(await errorCode(unknown)).toBe('NAME_UNKNOWN');
  });
});
