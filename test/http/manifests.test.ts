import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../shared/oci/digest.js';
import { MediaType } from '../../shared/oci/media-types.js';
import type { Descriptor } from '../../shared/oci/manifest.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { errorCode, imageManifest, V2Client } from '../support/v2-client.js';

let t: TestRegistry;
let v2: V2Client;
let config: Descriptor;
let layer: Descriptor;
const repo = 'org/team/app';

beforeAll(async () => {
  t = await startTestRegistry();
  v2 = new V2Client(t.app);
  config = await v2.pushBlob(repo, '{"os":"linux"}', 'application/vnd.oci.image.config.v1+json');
  layer = await v2.pushBlob(repo, 'layer bytes', 'application/vnd.oci.image.layer.v1.tar+gzip');
});
afterAll(() => t.close());

const bytesOf = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('PUT and GET a manifest', () => {
  it('stores an OCI image manifest by tag and serves the same bytes by tag and by digest', async () => {
    const manifest = imageManifest(config, [layer], { annotations: { created: 'today' } });
    const digest = digestOf(bytesOf(manifest));
    const put = await v2.putManifest(repo, 'v1', manifest);
    expect(put.status).toBe(201);
    expect(put.headers.get('location')).toBe(`/v2/${repo}/manifests/${digest}`);
    expect(put.headers.get('docker-content-digest')).toBe(digest);

    for (const reference of ['v1', digest]) {
      const get = await v2.request(`/v2/${repo}/manifests/${reference}`, {
        headers: { Accept: MediaType.ociManifest },
      });
      expect(get.status).toBe(200);
      expect(get.headers.get('content-type')).toBe(MediaType.ociManifest);
      expect(get.headers.get('docker-content-digest')).toBe(digest);
      expect(Buffer.from(await get.arrayBuffer()).equals(bytesOf(manifest))).toBe(true);

      const head = await v2.request(`/v2/${repo}/manifests/${reference}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(bytesOf(manifest).length));
      expect(head.headers.get('docker-content-digest')).toBe(digest);
    }
  });

  it('keeps the exact bytes, whitespace included', async () => {
    const raw = `{\n  "schemaVersion": 2,\n  "mediaType": "${MediaType.ociManifest}",\n  "config": ${JSON.stringify(config)},\n  "layers": []\n}\n`;
    const put = await v2.request(`/v2/${repo}/manifests/pretty`, {
      method: 'PUT',
      body: raw,
      headers: { 'Content-Type': MediaType.ociManifest },
    });
    expect(put.status).toBe(201);
    expect(put.headers.get('docker-content-digest')).toBe(digestOf(Buffer.from(raw)));
    expect(await (await v2.request(`/v2/${repo}/manifests/pretty`)).text()).toBe(raw);
  });

  it('stores by digest, checking the digest against the body', async () => {
    const manifest = imageManifest(config, [layer], { annotations: { by: 'digest' } });
    const digest = digestOf(bytesOf(manifest));
    expect((await v2.putManifest(repo, digest, manifest)).status).toBe(201);
    expect((await v2.request(`/v2/${repo}/manifests/${digest}`)).status).toBe(200);

    const wrong = await v2.putManifest(repo, digestOf(Buffer.from('other')), manifest);
    expect(wrong.status).toBe(400);
    expect(await errorCode(wrong)).toBe('DIGEST_INVALID');
  });

  it('accepts a sha512 digest reference', async () => {
    const manifest = imageManifest(config, [layer], { annotations: { algo: '512' } });
    const digest = digestOf(bytesOf(manifest), 'sha512');
    const put = await v2.putManifest(repo, digest, manifest);
    expect(put.status).toBe(201);
    expect(put.headers.get('docker-content-digest')).toBe(digest);
    expect((await v2.request(`/v2/${repo}/manifests/${digest}`)).status).toBe(200);
  });

  it('stores Docker schema 2 manifests and manifest lists', async () => {
    const docker = { ...imageManifest(config, [layer]), mediaType: MediaType.dockerManifest };
    const put = await v2.putManifest(repo, 'docker', docker, MediaType.dockerManifest);
    expect(put.status).toBe(201);
    const list = {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifestList,
      manifests: [
        {
          mediaType: MediaType.dockerManifest,
          digest: put.headers.get('docker-content-digest'),
          size: bytesOf(docker).length,
          platform: { architecture: 'amd64', os: 'linux' },
        },
      ],
    };
    expect(
      (await v2.putManifest(repo, 'docker-list', list, MediaType.dockerManifestList)).status,
    ).toBe(201);
    const get = await v2.request(`/v2/${repo}/manifests/docker-list`);
    expect(get.headers.get('content-type')).toBe(MediaType.dockerManifestList);
  });

  it('stores an index whose children are in the repository', async () => {
    const child = await v2.putManifest(
      repo,
      'child',
      imageManifest(config, [layer], { annotations: { arch: 'arm64' } }),
    );
    const childDigest = child.headers.get('docker-content-digest')!;
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        {
          mediaType: MediaType.ociManifest,
          digest: childDigest,
          size: 300,
          platform: { architecture: 'arm64', os: 'linux' },
        },
      ],
    };
    expect((await v2.putManifest(repo, 'multi', index, MediaType.ociIndex)).status).toBe(201);
  });

  it('keeps a manifest larger than 32 KiB in blob storage and serves the same bytes', async () => {
    const large = imageManifest(config, [layer], {
      annotations: { padding: 'p'.repeat(100 * 1024) },
    });
    const bytes = bytesOf(large);
    const digest = digestOf(bytes);
    expect((await v2.putManifest(repo, 'large', large)).status).toBe(201);

    const row = await t.db
      .selectFrom('manifest')
      .select(['content', 'size'])
      .where('digest', '=', digest)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ content: null, size: bytes.byteLength });
    expect(await t.stores.get('local')!.stat({ digest: digest, key: null })).toEqual({
      size: bytes.byteLength,
    });

    const get = await v2.request(`/v2/${repo}/manifests/large`);
    expect(get.headers.get('docker-content-digest')).toBe(digest);
    expect(Buffer.from(await get.arrayBuffer()).equals(bytes)).toBe(true);
    const head = await v2.request(`/v2/${repo}/manifests/${digest}`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(bytes.byteLength));
  });

  it('creates the repository on first push', async () => {
    const fresh = 'brand/new/repo';
    const c = await v2.pushBlob(fresh, '{}');
    expect((await v2.putManifest(fresh, 'latest', imageManifest(c, []))).status).toBe(201);
    expect((await v2.request(`/v2/${fresh}/tags/list`)).status).toBe(200);
  });
});

describe('refused manifests change nothing', () => {
  async function expectRefused(response: Response, status: number, code: string, tag: string) {
    expect(response.status).toBe(status);
    expect(await errorCode(response)).toBe(code);
    expect((await v2.request(`/v2/${repo}/manifests/${tag}`)).status).toBe(404);
  }

  it('refuses blobs the repository lacks, naming them', async () => {
    const missing = {
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: digestOf(Buffer.from('never pushed')),
      size: 12,
    };
    const response = await v2.putManifest(
      repo,
      'missing-blob',
      imageManifest(config, [layer, missing]),
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as {
      errors: { code: string; detail: { missingBlobs: string[] } }[];
    };
    expect(body.errors[0]!.code).toBe('MANIFEST_BLOB_UNKNOWN');
    expect(body.errors[0]!.detail.missingBlobs).toEqual([missing.digest]);
    expect((await v2.request(`/v2/${repo}/manifests/missing-blob`)).status).toBe(404);
  });

  it('refuses a blob that lives only in another repository', async () => {
    const foreign = await v2.pushBlob('org/elsewhere', 'foreign layer');
    await expectRefused(
      await v2.putManifest(repo, 'foreign', imageManifest(config, [foreign])),
      400,
      'MANIFEST_BLOB_UNKNOWN',
      'foreign',
    );
  });

  it('refuses an index whose child manifest is missing', async () => {
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        {
          mediaType: MediaType.ociManifest,
          digest: digestOf(Buffer.from('no such child')),
          size: 1,
        },
      ],
    };
    await expectRefused(
      await v2.putManifest(repo, 'orphan-index', index, MediaType.ociIndex),
      400,
      'MANIFEST_BLOB_UNKNOWN',
      'orphan-index',
    );
  });

  it('refuses invalid JSON and a mismatched Content-Type', async () => {
    const bad = await v2.request(`/v2/${repo}/manifests/bad-json`, {
      method: 'PUT',
      body: '{"schemaVersion":',
      headers: { 'Content-Type': MediaType.ociManifest },
    });
    await expectRefused(bad, 400, 'MANIFEST_INVALID', 'bad-json');
    const mismatch = await v2.putManifest(
      repo,
      'mismatch',
      imageManifest(config, [layer]),
      MediaType.dockerManifest,
    );
    await expectRefused(mismatch, 400, 'MANIFEST_INVALID', 'mismatch');
  });

  it('refuses a manifest over 4 MiB with 413', async () => {
    const huge = imageManifest(config, [layer], {
      annotations: { padding: 'x'.repeat(4 * 1024 * 1024) },
    });
    await expectRefused(await v2.putManifest(repo, 'huge', huge), 413, 'SIZE_INVALID', 'huge');
  });

  it('refuses an invalid tag', async () => {
    const response = await v2.putManifest(repo, '.dot-first', imageManifest(config, [layer]));
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe('MANIFEST_INVALID');
  });

  it('answers a read or delete by a reference that is no valid tag with 404 MANIFEST_UNKNOWN, as distribution does', async () => {
    for (const method of ['GET', 'DELETE']) {
      const response = await v2.request(`/v2/${repo}/manifests/.INVALID_MANIFEST_NAME`, {
        method,
      });
      expect(response.status).toBe(404);
      expect(await errorCode(response)).toBe('MANIFEST_UNKNOWN');
    }
    const head = await v2.request(`/v2/${repo}/manifests/.INVALID_MANIFEST_NAME`, {
      method: 'HEAD',
    });
    expect(head.status).toBe(404);
  });
});

describe('subject', () => {
  it('answers a manifest with a subject with OCI-Subject', async () => {
    const subject = (await v2.pushImage(repo, 'signed')).descriptor;
    const empty = await v2.pushBlob(repo, '{}', MediaType.ociEmpty);
    const signature = imageManifest(empty, [layer], {
      artifactType: 'application/vnd.example.signature',
      subject,
    });
    const response = await v2.putManifest(repo, digestOf(bytesOf(signature)), signature);
    expect(response.status).toBe(201);
    expect(response.headers.get('oci-subject')).toBe(subject.digest);
  });

  it('accepts a subject that is not (yet) in the repository', async () => {
    const ghost = {
      mediaType: MediaType.ociManifest,
      digest: digestOf(Buffer.from('ghost')),
      size: 5,
    };
    const empty = await v2.pushBlob(repo, '{}', MediaType.ociEmpty);
    const response = await v2.putManifest(
      repo,
      'ref-to-ghost',
      imageManifest(empty, [], { subject: ghost }),
    );
    expect(response.status).toBe(201);
  });
});

describe('DELETE a manifest', () => {
  it('by tag removes only the tag and keeps its history', async () => {
    const { descriptor } = await v2.pushImage(repo, 'short-lived');
    expect(
      (await v2.request(`/v2/${repo}/manifests/short-lived`, { method: 'DELETE' })).status,
    ).toBe(202);
    const gone = await v2.request(`/v2/${repo}/manifests/short-lived`);
    expect(gone.status).toBe(404);
    expect(await errorCode(gone)).toBe('MANIFEST_UNKNOWN');
    expect((await v2.request(`/v2/${repo}/manifests/${descriptor.digest}`)).status).toBe(200);
    const repository = await t.registry.deps.metadata.findRepository(repo);
    const history = await t.registry.deps.metadata.tagHistory(repository!.id, 'short-lived');
    expect(history).toHaveLength(1);
    expect(history[0]!.endMs).not.toBeNull();
  });

  it('by digest removes the manifest and every tag on it', async () => {
    const { descriptor } = await v2.pushImage(repo, 'doomed-a', { layer: 'doomed' });
    const manifest = await (await v2.request(`/v2/${repo}/manifests/doomed-a`)).text();
    await v2.request(`/v2/${repo}/manifests/doomed-b`, {
      method: 'PUT',
      body: manifest,
      headers: { 'Content-Type': MediaType.ociManifest },
    });
    expect(
      (await v2.request(`/v2/${repo}/manifests/${descriptor.digest}`, { method: 'DELETE' })).status,
    ).toBe(202);
    for (const reference of [descriptor.digest, 'doomed-a', 'doomed-b']) {
      expect((await v2.request(`/v2/${repo}/manifests/${reference}`)).status, reference).toBe(404);
    }
  });

  it('reports unknown tags and digests', async () => {
    for (const reference of ['never-was', digestOf(Buffer.from('never'))]) {
      const response = await v2.request(`/v2/${repo}/manifests/${reference}`, { method: 'DELETE' });
      expect(response.status).toBe(404);
      expect(await errorCode(response)).toBe('MANIFEST_UNKNOWN');
    }
  });

  it('moving a tag closes its previous record', async () => {
    await v2.pushImage(repo, 'moving', { layer: 'first' });
    t.clock.advance(1000);
    await v2.pushImage(repo, 'moving', { layer: 'second' });
    const repository = await t.registry.deps.metadata.findRepository(repo);
    const history = await t.registry.deps.metadata.tagHistory(repository!.id, 'moving');
    expect(history).toHaveLength(2);
    expect(history[1]!.endMs).toBe(history[0]!.startMs);
    expect(history[0]!.endMs).toBeNull();
  });
});

describe('PUT a tag to an image the repository already holds', () => {
  const sizeOf = async () => {
    const repository = await t.registry.deps.metadata.findRepository(repo);
    const row = await t.db
      .selectFrom('quota_repository_size')
      .select('size_bytes')
      .where('repository_id', '=', repository!.id)
      .executeTakeFirstOrThrow();
    return Number(row.size_bytes);
  };

  it('points the tag at it and leaves the repository size as it was', async () => {
    // Prepare
    const { descriptor, manifest } = await v2.pushImage(repo, 'retag-source', { layer: 'retag' });
    const before = await sizeOf();

    // Act
    const response = await v2.putManifest(repo, 'retag-copy', manifest);

    // Assess
    expect(response.status).toBe(201);
    expect(response.headers.get('docker-content-digest')).toBe(descriptor.digest);
    const copy = await v2.request(`/v2/${repo}/manifests/retag-copy`);
    expect(copy.headers.get('docker-content-digest')).toBe(descriptor.digest);
    expect(await sizeOf()).toBe(before);
  });

  it('names a blob unlinked from the repository since, as a first push would', async () => {
    // Prepare
    const { manifest } = await v2.pushImage(repo, 'retag-unlinked', { layer: 'to be unlinked' });
    const layers = (manifest as { layers: Descriptor[] }).layers;
    const unlinked = await v2.request(`/v2/${repo}/blobs/${layers[0]!.digest}`, {
      method: 'DELETE',
    });
    expect(unlinked.status).toBe(202);

    // Act
    const response = await v2.putManifest(repo, 'retag-unlinked-copy', manifest);

    // Assess
    expect(response.status).toBe(400);
    const body = (await response.json()) as {
      errors: { code: string; detail: { missingBlobs: string[] } }[];
    };
    expect(body.errors[0]!.code).toBe('MANIFEST_BLOB_UNKNOWN');
    expect(body.errors[0]!.detail.missingBlobs).toEqual([layers[0]!.digest]);
  });

  it('stores a manifest deleted by digest again, with its tag', async () => {
    // Prepare
    const { descriptor, manifest } = await v2.pushImage(repo, 'retag-deleted', {
      layer: 'deleted then pushed again',
    });
    const deleted = await v2.request(`/v2/${repo}/manifests/${descriptor.digest}`, {
      method: 'DELETE',
    });
    expect(deleted.status).toBe(202);

    // Act
    const response = await v2.putManifest(repo, 'retag-deleted', manifest);

    // Assess
    expect(response.status).toBe(201);
    expect((await v2.request(`/v2/${repo}/manifests/${descriptor.digest}`)).status).toBe(200);
    expect((await v2.request(`/v2/${repo}/manifests/retag-deleted`)).status).toBe(200);
  });
});

describe('GET errors', () => {
  it('answers unknown repository, tag and digest with the right codes', async () => {
    expect(await errorCode(await v2.request('/v2/no/such/repo/manifests/latest'))).toBe(
      'NAME_UNKNOWN',
    );
    expect(await errorCode(await v2.request(`/v2/${repo}/manifests/no-such-tag`))).toBe(
      'MANIFEST_UNKNOWN',
    );
    expect(await errorCode(await v2.request(`/v2/${repo}/manifests/sha256:bad`))).toBe(
      'DIGEST_INVALID',
    );
  });
});
