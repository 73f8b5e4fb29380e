import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { MediaType } from '../../shared/oci/media-types.js';
import type { Descriptor } from '../../shared/oci/manifest.js';

export interface Layer extends Descriptor {
  /** Digest of the uncompressed tar, as the image config lists it. */
  diffId: string;
}

/**
 * Writes OCI image layouts (image-spec `image-layout.md`) for real clients to
 * push: uncompressed tar layers of random bytes, streamed to disk so that
 * layers of hundreds of megabytes never sit in memory.
 */
export class OciLayout {
  private readonly index: Descriptor[] = [];

  private constructor(readonly dir: string) {}

  static async create(dir: string): Promise<OciLayout> {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const layout = new OciLayout(dir);
    await layout.writeIndex();
    return layout;
  }

  blobPath(digest: string): string {
    return join(this.dir, 'blobs', ...digest.split(':'));
  }

  async addBlob(bytes: Uint8Array, mediaType: string): Promise<Descriptor> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    await writeFile(this.blobPath(digest), bytes);
    return { mediaType, digest, size: bytes.byteLength };
  }

  async addJson(value: unknown, mediaType: string): Promise<Descriptor> {
    return this.addBlob(Buffer.from(JSON.stringify(value)), mediaType);
  }

  /**
   * A gzip tar layer holding one file of `size` random bytes, generated in
   * 1 MiB pieces. Level-0 gzip: valid and cheap, and clients push gzip layers
   * unchanged (uncompressed ones they would compress on the way).
   */
  async addLayer(size: number, fileName = 'data.bin'): Promise<Layer> {
    const tmp = join(this.dir, `layer-${randomBytes(6).toString('hex')}.tmp`);
    const diffId = createHash('sha256');
    const compressed = createHash('sha256');
    let compressedSize = 0;
    const gzip = createGzip({ level: 0 });
    const out = createWriteStream(tmp);
    gzip.on('data', (chunk: Buffer) => {
      compressed.update(chunk);
      compressedSize += chunk.byteLength;
    });
    const done = pipeline(gzip, out);
    const write = async (chunk: Buffer) => {
      diffId.update(chunk);
      if (!gzip.write(chunk)) await once(gzip, 'drain');
    };
    await write(tarHeader(fileName, size));
    for (let left = size; left > 0;) {
      const piece = Math.min(left, 1024 * 1024);
      await write(randomBytes(piece));
      left -= piece;
    }
    await write(Buffer.alloc(((512 - (size % 512)) % 512) + 1024));
    gzip.end();
    await done;
    const digest = `sha256:${compressed.digest('hex')}`;
    await rename(tmp, this.blobPath(digest));
    return {
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest,
      size: compressedSize,
      diffId: `sha256:${diffId.digest('hex')}`,
    };
  }

  async addImage(
    layers: Layer[],
    platform = { architecture: 'amd64', os: 'linux' },
  ): Promise<Descriptor> {
    const config = await this.addJson(
      {
        ...platform,
        config: {},
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        history: layers.map(() => ({ created_by: 'berth test' })),
      },
      'application/vnd.oci.image.config.v1+json',
    );
    const manifest = await this.addJson(
      {
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config,
        layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
      },
      MediaType.ociManifest,
    );
    return { ...manifest, platform } as Descriptor;
  }

  async addIndex(manifests: Descriptor[]): Promise<Descriptor> {
    return this.addJson(
      { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests },
      MediaType.ociIndex,
    );
  }

  /** Names `descriptor` as `tag` in the layout's `index.json` (what `oci:<dir>:<tag>` reads). */
  async tag(descriptor: Descriptor, tag: string): Promise<void> {
    const { mediaType, digest, size } = descriptor;
    this.index.push({
      mediaType,
      digest,
      size,
      annotations: { 'org.opencontainers.image.ref.name': tag },
    });
    await this.writeIndex();
  }

  private async writeIndex() {
    await writeFile(
      join(this.dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: this.index }),
    );
  }
}

export async function readLayoutIndex(dir: string): Promise<{ manifests: Descriptor[] }> {
  return JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
}

function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) =>
    header.write(value.slice(0, length), offset, length, 'ascii');
  const octal = (value: number, length: number) =>
    value.toString(8).padStart(length - 1, '0') + '\0';
  field(0, 100, name);
  field(100, 8, octal(0o644, 8));
  field(108, 8, octal(0, 8));
  field(116, 8, octal(0, 8));
  field(124, 12, octal(size, 12));
  field(136, 12, octal(0, 12));
  field(148, 8, '        ');
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let checksum = 0;
  for (const byte of header) checksum += byte;
  field(148, 8, checksum.toString(8).padStart(6, '0') + '\0 ');
  return header;
}
