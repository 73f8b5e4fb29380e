import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnlessAvailable } from '../support/harness.js';
import { createScratchDatabase } from '../support/postgres.js';
import { OciLayout, readLayoutIndex } from '../support/oci-layout.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { skopeo, skopeoAvailable } from '../support/skopeo.js';

const skip = skipUnlessAvailable(skopeoAvailable(), 'skopeo');
const MiB = 1024 * 1024;

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}

/** Every blob file of a layout, checked against the digest it is named by. */
async function layoutBlobs(dir: string): Promise<string[]> {
  const names = await readdir(join(dir, 'blobs', 'sha256'));
  const digests: string[] = [];
  for (const name of names) {
    const digest = await sha256File(join(dir, 'blobs', 'sha256', name));
    expect(digest).toBe(`sha256:${name}`);
    digests.push(digest);
  }
  return digests.sort();
}

describe.skipIf(skip)('skopeo against `npm start`', () => {
  let work: string;
  let server: ServerProcess;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-e2e-'));
    server = await startServerProcess({ BERTH_DATA_DIR: join(work, 'data') });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('pushes a multi-layer image and pulls back identical bytes and digests', async () => {
    expect(server.output()).toContain('metadata: embedded Postgres');
    const source = await OciLayout.create(join(work, 'multi-layer'));
    const layers = [
      await source.addLayer(1000),
      await source.addLayer(300 * 1024),
      await source.addLayer(2 * MiB),
    ];
    const image = await source.addImage(layers);
    await source.tag(image, 'v1');

    await skopeo(
      'copy',
      '--preserve-digests',
      `oci:${source.dir}:v1`,
      `docker://${server.host}/org/app:v1`,
    );
    const inspected = JSON.parse(
      await skopeo('inspect', '--raw', `docker://${server.host}/org/app:v1`),
    );
    expect(inspected.layers.map((l: { digest: string }) => l.digest)).toEqual(
      layers.map((l) => l.digest),
    );

    const pulled = join(work, 'multi-layer-pulled');
    await skopeo(
      'copy',
      '--preserve-digests',
      `docker://${server.host}/org/app:v1`,
      `oci:${pulled}:v1`,
    );
    expect((await readLayoutIndex(pulled)).manifests[0]!.digest).toBe(image.digest);
    expect(await layoutBlobs(pulled)).toEqual(await layoutBlobs(source.dir));
    expect(JSON.parse(await skopeo('list-tags', `docker://${server.host}/org/app`)).Tags).toEqual([
      'v1',
    ]);
  });

  it('pushes and pulls a multi-architecture index with --all', async () => {
    const source = await OciLayout.create(join(work, 'index'));
    const amd64 = await source.addImage([await source.addLayer(4096)], {
      architecture: 'amd64',
      os: 'linux',
    });
    const arm64 = await source.addImage([await source.addLayer(8192)], {
      architecture: 'arm64',
      os: 'linux',
    });
    const index = await source.addIndex([amd64, arm64]);
    await source.tag(index, 'multi');

    await skopeo(
      'copy',
      '--all',
      '--preserve-digests',
      `oci:${source.dir}:multi`,
      `docker://${server.host}/org/team/multiarch:1.0`,
    );
    const pulled = join(work, 'index-pulled');
    await skopeo(
      'copy',
      '--all',
      '--preserve-digests',
      `docker://${server.host}/org/team/multiarch:1.0`,
      `oci:${pulled}:multi`,
    );
    expect((await readLayoutIndex(pulled)).manifests[0]!.digest).toBe(index.digest);
    expect(await layoutBlobs(pulled)).toEqual(await layoutBlobs(source.dir));

    const raw = JSON.parse(
      await skopeo('inspect', '--raw', `docker://${server.host}/org/team/multiarch:1.0`),
    );
    expect(raw.manifests.map((m: { digest: string }) => m.digest)).toEqual([
      amd64.digest,
      arm64.digest,
    ]);
  });

  it('moves a 256 MiB layer through the server with its memory staying flat', async () => {
    const size = 256 * MiB;
    const source = await OciLayout.create(join(work, 'big'));
    const big = await source.addLayer(size);
    await source.tag(await source.addImage([big]), 'big');

    // A first start runs initdb inside embedded Postgres and leaves hundreds
    // of MiB of free but resident memory that a buffered blob would hide in;
    // a restarted server has none, so growth shows.
    await server.stop();
    server = await startServerProcess({ BERTH_DATA_DIR: join(work, 'data') });
    const baseline = await server.rss();
    await server.resetPeakRss();

    await skopeo(
      'copy',
      '--preserve-digests',
      `oci:${source.dir}:big`,
      `docker://${server.host}/org/big:big`,
    );
    const pulled = join(work, 'big-pulled');
    await skopeo(
      'copy',
      '--preserve-digests',
      `docker://${server.host}/org/big:big`,
      `oci:${pulled}:big`,
    );
    expect(await sha256File(join(pulled, 'blobs', 'sha256', big.digest.slice(7)))).toBe(big.digest);

    const growth = (await server.peakRss()) - baseline;
    console.log(
      `server RSS: baseline ${(baseline / MiB).toFixed(0)} MiB, peak growth ${(growth / MiB).toFixed(0)} MiB over a ${size / MiB} MiB push and pull`,
    );
    // Streaming grows by buffers and allocator slack (about 50 MiB measured);
    // holding the layer would add its 256 MiB at least once.
    expect(growth).toBeLessThan(96 * MiB);
  });

  it('deletes an image by tag through skopeo', async () => {
    const source = await OciLayout.create(join(work, 'delete'));
    await source.tag(await source.addImage([await source.addLayer(100)]), 'gone');
    await skopeo('copy', `oci:${source.dir}:gone`, `docker://${server.host}/org/deleting:gone`);
    await skopeo('delete', `docker://${server.host}/org/deleting:gone`);
    await expect(skopeo('inspect', `docker://${server.host}/org/deleting:gone`)).rejects.toThrow(
      /manifest unknown/i,
    );
  });

  it('keeps all content across a restart', async () => {
    const source = await OciLayout.create(join(work, 'restart'));
    const image = await source.addImage([await source.addLayer(64 * 1024)]);
    await source.tag(image, 'persist');
    await skopeo(
      'copy',
      '--preserve-digests',
      `oci:${source.dir}:persist`,
      `docker://${server.host}/org/persist:1`,
    );

    await server.stop();
    server = await startServerProcess({ BERTH_DATA_DIR: join(work, 'data') });

    const pulled = join(work, 'restart-pulled');
    await skopeo(
      'copy',
      '--preserve-digests',
      `docker://${server.host}/org/persist:1`,
      `oci:${pulled}:persist`,
    );
    expect((await readLayoutIndex(pulled)).manifests[0]!.digest).toBe(image.digest);
    expect(await layoutBlobs(pulled)).toEqual(await layoutBlobs(source.dir));
    const catalog = (await (await fetch(`${server.url}/v2/_catalog`)).json()) as {
      repositories: string[];
    };
    expect(catalog.repositories).toEqual(
      expect.arrayContaining(['org/app', 'org/team/multiarch', 'org/big', 'org/persist']),
    );
  });
});

const databaseUrl = process.env.DATABASE_URL;

describe.skipIf(skip || skipUnlessAvailable(Boolean(databaseUrl), 'DATABASE_URL (PostgreSQL)'))(
  'skopeo against the server on PostgreSQL (DATABASE_URL)',
  () => {
    let work: string;
    let scratch: { url: string; drop: () => Promise<void> };
    let server: ServerProcess;
    const start = () =>
      startServerProcess({ BERTH_DATA_DIR: join(work, 'data'), DATABASE_URL: scratch.url });

    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), 'berth-e2e-pg-'));
      scratch = await createScratchDatabase(databaseUrl!);
      server = await start();
    });
    afterAll(async () => {
      await server?.stop();
      await scratch?.drop();
      await rm(work, { recursive: true, force: true });
    });

    it('round-trips a multi-architecture index, also after a restart', async () => {
      expect(server.output()).toContain('metadata: Postgres at DATABASE_URL');
      const source = await OciLayout.create(join(work, 'index'));
      const amd64 = await source.addImage([
        await source.addLayer(4096),
        await source.addLayer(70_000),
      ]);
      const arm64 = await source.addImage([await source.addLayer(8192)], {
        architecture: 'arm64',
        os: 'linux',
      });
      const index = await source.addIndex([amd64, arm64]);
      await source.tag(index, 'multi');
      await skopeo(
        'copy',
        '--all',
        '--preserve-digests',
        `oci:${source.dir}:multi`,
        `docker://${server.host}/pg/multiarch:1`,
      );

      await server.stop();
      server = await start();

      const pulled = join(work, 'index-pulled');
      await skopeo(
        'copy',
        '--all',
        '--preserve-digests',
        `docker://${server.host}/pg/multiarch:1`,
        `oci:${pulled}:multi`,
      );
      expect((await readLayoutIndex(pulled)).manifests[0]!.digest).toBe(index.digest);
      expect(await layoutBlobs(pulled)).toEqual(await layoutBlobs(source.dir));
    });
  },
);
