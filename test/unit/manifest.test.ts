import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../shared/errors/registry-error.js';
import { digestOf } from '../../shared/oci/digest.js';
import { parseManifest } from '../../shared/oci/manifest.js';
import { MediaType } from '../../shared/oci/media-types.js';

const d = (s: string) => ({
  mediaType: 'application/octet-stream',
  digest: digestOf(Buffer.from(s)),
  size: s.length,
});
const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));
const image = (extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: MediaType.ociManifest,
  config: { ...d('config'), mediaType: 'application/vnd.oci.image.config.v1+json' },
  layers: [d('layer')],
  ...extra,
});

function invalid(body: unknown, contentType: string = MediaType.ociManifest): string {
  try {
    parseManifest(typeof body === 'string' ? Buffer.from(body) : bytes(body), contentType);
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    return (error as RegistryError).code;
  }
  throw new Error('expected the manifest to be refused');
}

describe('parseManifest', () => {
  it('lists config and layers as the blobs an image needs', () => {
    const parsed = parseManifest(bytes(image()), MediaType.ociManifest);
    expect(parsed.kind).toBe('image');
    expect(parsed.blobs.map((b) => b.digest)).toEqual([d('config').digest, d('layer').digest]);
    expect(parsed.artifactType).toBe('application/vnd.oci.image.config.v1+json');
  });

  it('lists the manifests an index needs', () => {
    const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [d('a'), d('b')] };
    const parsed = parseManifest(bytes(index), MediaType.ociIndex);
    expect(parsed.kind).toBe('index');
    expect(parsed.children).toHaveLength(2);
    expect(parsed.blobs).toEqual([]);
  });

  it('accepts Docker schema 2 manifests and manifest lists', () => {
    const docker = { ...image(), mediaType: MediaType.dockerManifest };
    expect(parseManifest(bytes(docker), MediaType.dockerManifest).kind).toBe('image');
    const list = { schemaVersion: 2, mediaType: MediaType.dockerManifestList, manifests: [d('a')] };
    expect(parseManifest(bytes(list), MediaType.dockerManifestList).kind).toBe('index');
  });

  it('prefers artifactType and keeps subject and annotations', () => {
    const subject = { ...d('subject'), mediaType: MediaType.ociManifest };
    const parsed = parseManifest(
      bytes(image({ artifactType: 'application/x.sbom', subject, annotations: { a: 'b' } })),
      MediaType.ociManifest,
    );
    expect(parsed.artifactType).toBe('application/x.sbom');
    expect(parsed.subject?.digest).toBe(subject.digest);
    expect(parsed.annotations).toEqual({ a: 'b' });
  });

  it('takes the media type from Content-Type when the body has none', () => {
    const { mediaType: _omitted, ...body } = image();
    expect(parseManifest(bytes(body), MediaType.ociManifest).mediaType).toBe(MediaType.ociManifest);
  });

  it('skips foreign layers that name where they live', () => {
    const foreign = {
      ...d('windows'),
      mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
      urls: ['https://example.com/layer'],
    };
    const parsed = parseManifest(bytes(image({ layers: [foreign] })), MediaType.ociManifest);
    expect(parsed.blobs).toHaveLength(1);
  });

  it.each([
    ['not JSON', '{'],
    ['a JSON array', '[]'],
    ['schema 1', { schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }],
    ['an unsupported media type', { ...image(), mediaType: 'application/x.custom' }],
    ['a descriptor without digest', image({ layers: [{ mediaType: 'x', size: 1 }] })],
    ['a malformed digest', image({ layers: [{ mediaType: 'x', size: 1, digest: 'sha256:zz' }] })],
    ['a negative size', image({ layers: [{ ...d('l'), size: -1 }] })],
    ['a fractional size', image({ layers: [{ ...d('l'), size: 1.5 }] })],
    ['non-string annotations', image({ annotations: { a: 1 } })],
    ['an index without manifests', { schemaVersion: 2, mediaType: MediaType.ociIndex }],
    ['an image without config', { schemaVersion: 2, mediaType: MediaType.ociManifest, layers: [] }],
  ])('refuses %s as MANIFEST_INVALID', (_what, body) => {
    expect(invalid(body)).toBe('MANIFEST_INVALID');
  });

  it('refuses a body whose mediaType contradicts Content-Type', () => {
    expect(invalid(image(), MediaType.dockerManifest)).toBe('MANIFEST_INVALID');
  });
});
