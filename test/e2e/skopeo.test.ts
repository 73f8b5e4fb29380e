import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Descriptor } from '../../shared/oci/manifest.js';
import { skipUnlessAvailable } from '../support/harness.js';
import { readLayoutIndex } from '../support/oci-layout.js';
import { createScratchDatabase } from '../support/postgres.js';
import { startTestS3, type TestS3 } from '../support/s3.js';
import { verifyPresignedGet } from '../support/sigv4.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import {
  podman,
  podmanLogin,
  skopeo,
  skopeoAvailable,
  toolAvailable,
} from '../support/registry-clients.js';
import { basic } from '../support/accounts.js';
import type { SmokeReport } from '../smoke/first-deploy.js';
import {
  ADMIN,
  copy,
  CREDS,
  expectPulledIdentical,
  heldDigests,
  imageLayout,
  indexLayout,
  layoutBlobs,
  sha256File,
} from '../support/skopeo-images.js';

const skip = skipUnlessAvailable(skopeoAvailable(), 'skopeo');
const runFile = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const MiB = 1024 * 1024;

const authorization = { Authorization: basic(CREDS) };

describe.skipIf(skip)('skopeo against `npm start`', () => {
  let work: string;
  let server: ServerProcess;
  const restart = async () => {
    await server.stop();
    server = await startServerProcess({ ...ADMIN, BERTH_DATA_DIR: join(work, 'data') });
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-e2e-'));
    server = await startServerProcess({ ...ADMIN, BERTH_DATA_DIR: join(work, 'data') });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('pushes a multi-layer image and pulls back identical bytes and digests', async () => {
    expect(server.output()).toContain('metadata: embedded Postgres');
    const { layout, image, layers } = await imageLayout(join(work, 'multi-layer'), 'v1', [
      1000,
      300 * 1024,
      2 * MiB,
    ]);
    await copy(`oci:${layout.dir}:v1`, `docker://${server.host}/admin/app:v1`);
    const raw = JSON.parse(
      await skopeo('inspect', '--creds', CREDS, '--raw', `docker://${server.host}/admin/app:v1`),
    );
    expect(raw.layers.map((l: Descriptor) => l.digest)).toEqual(layers.map((l) => l.digest));

    await expectPulledIdentical(
      `docker://${server.host}/admin/app:v1`,
      layout,
      image,
      join(work, 'multi-layer-pulled'),
    );
    expect(
      JSON.parse(await skopeo('list-tags', '--creds', CREDS, `docker://${server.host}/admin/app`))
        .Tags,
    ).toEqual(['v1']);
  });

  it('pushes and pulls a multi-architecture index with --all', async () => {
    const { layout, index, platforms } = await indexLayout(join(work, 'index'));
    const reference = `docker://${server.host}/admin/team/multiarch:1.0`;
    await copy(`oci:${layout.dir}:multi`, reference, '--all');
    await expectPulledIdentical(reference, layout, index, join(work, 'index-pulled'), '--all');
    const raw = JSON.parse(await skopeo('inspect', '--creds', CREDS, '--raw', reference));
    expect(raw.manifests.map((m: Descriptor) => m.digest)).toEqual(platforms.map((p) => p.digest));
  });

  it('moves a 256 MiB layer through the server with its memory staying flat', async () => {
    const size = 256 * MiB;
    const { layout, layers } = await imageLayout(join(work, 'big'), 'big', [size]);
    const big = layers[0]!;

    // A first start runs initdb inside embedded Postgres and leaves hundreds
    // of MiB of free but resident memory that a buffered blob would hide in;
    // a restarted server has none, so growth shows.
    await restart();
    const baseline = await server.rss();
    await server.resetPeakRss();

    await copy(`oci:${layout.dir}:big`, `docker://${server.host}/admin/big:big`);
    const pulled = join(work, 'big-pulled');
    await copy(`docker://${server.host}/admin/big:big`, `oci:${pulled}:big`);
    expect(await sha256File(join(pulled, 'blobs', 'sha256', big.digest.slice(7)))).toBe(big.digest);

    const growth = (await server.peakRss()) - baseline;
    console.log(
      `server RSS: baseline ${(baseline / MiB).toFixed(0)} MiB, peak growth ${(growth / MiB).toFixed(0)} MiB over a ${size / MiB} MiB push and pull`,
    );
    // Streaming grows by buffers, read-ahead and garbage not yet collected
    // (37 to 63 MiB measured); holding the layer adds its 256 MiB at least
    // once (570 MiB measured with a buffering store).
    expect(growth).toBeLessThan(size / 2);
  });

  it('deletes an image by tag through skopeo', async () => {
    const { layout } = await imageLayout(join(work, 'delete'), 'gone', [100]);
    await copy(`oci:${layout.dir}:gone`, `docker://${server.host}/admin/deleting:gone`);
    await skopeo('delete', '--creds', CREDS, `docker://${server.host}/admin/deleting:gone`);
    await expect(
      skopeo('inspect', '--creds', CREDS, `docker://${server.host}/admin/deleting:gone`),
    ).rejects.toThrow(/manifest unknown/i);
  });

  it('refuses overwriting or deleting an immutable tag, and skopeo says why', async () => {
    const first = await imageLayout(join(work, 'pinned-1'), 'v1', [300]);
    const second = await imageLayout(join(work, 'pinned-2'), 'v1', [400]);
    await copy(`oci:${first.layout.dir}:v1`, `docker://${server.host}/admin/pinned:v1`);
    const pinned = await fetch(`${server.url}/api/v1/repository/admin/pinned/tag/v1`, {
      method: 'PUT',
      headers: { ...authorization, 'Content-Type': 'application/json' },
      body: JSON.stringify({ immutable: true }),
    });
    expect(pinned.status).toBe(201);
    await expect(
      copy(`oci:${second.layout.dir}:v1`, `docker://${server.host}/admin/pinned:v1`),
    ).rejects.toThrow(/denied: tag v1 is immutable/);
    await expect(
      skopeo('delete', '--creds', CREDS, `docker://${server.host}/admin/pinned:v1`),
    ).rejects.toThrow(/immutable/);
    const inspected = JSON.parse(
      await skopeo('inspect', '--raw', '--creds', CREDS, `docker://${server.host}/admin/pinned:v1`),
    ) as { config: { digest: string } };
    const pushed = JSON.parse(
      await readFile(join(first.layout.dir, 'blobs', first.image.digest.replace(':', '/')), 'utf8'),
    ) as { config: { digest: string } };
    expect(inspected.config.digest).toBe(pushed.config.digest);
  });

  it('refuses a second server on the same data directory', async () => {
    const refused = startServerProcess({ ...ADMIN, BERTH_DATA_DIR: join(work, 'data') });
    await expect(refused).rejects.toThrow(`in use by another Berth server (pid ${server.pid})`);
    // The message alone: no stack trace after it.
    await expect(refused).rejects.not.toThrow(/\n\s+at /);
  });

  it('keeps all content across a restart', async () => {
    const { layout, image } = await imageLayout(join(work, 'restart'), 'persist', [64 * 1024]);
    await copy(`oci:${layout.dir}:persist`, `docker://${server.host}/admin/persist:1`);
    await restart();
    await expectPulledIdentical(
      `docker://${server.host}/admin/persist:1`,
      layout,
      image,
      join(work, 'restart-pulled'),
    );
    const catalog = (await (
      await fetch(`${server.url}/v2/_catalog`, { headers: authorization })
    ).json()) as {
      repositories: string[];
    };
    expect(catalog.repositories).toEqual(
      expect.arrayContaining(['admin/app', 'admin/team/multiarch', 'admin/big', 'admin/persist']),
    );
  });
});

describe.skipIf(skip)('skopeo with credentials: robots, outsiders, anonymous pulls', () => {
  let work: string;
  let server: ServerProcess;
  const api = async (method: string, path: string, body?: unknown, auth = authorization) => {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { ...auth, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-e2e-auth-'));
    server = await startServerProcess({ ...ADMIN, BERTH_DATA_DIR: join(work, 'data') });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('a robot pushes to its organization, an outsider is refused, anyone pulls once it is public', async () => {
    expect((await api('POST', '/organization/', { name: 'platform' })).status).toBe(201);
    expect((await api('PUT', '/organization/platform/team/ci', { role: 'creator' })).status).toBe(
      200,
    );
    const robot = await api('PUT', '/organization/platform/robots/builder', {});
    expect(robot.status).toBe(201);
    expect(
      (await api('PUT', '/organization/platform/team/ci/members/platform+builder')).status,
    ).toBe(200);
    const outsider = await api('POST', '/superuser/users/', { username: 'outsider' });
    const robotCreds = `platform+builder:${robot.body.token}`;
    const outsiderCreds = `outsider:${outsider.body.password}`;

    const { layout, image } = await imageLayout(join(work, 'robot'), 'v1', [2048, 100_000]);
    const reference = `docker://${server.host}/platform/service:v1`;
    await skopeo(
      'copy',
      '--preserve-digests',
      '--dest-creds',
      robotCreds,
      `oci:${layout.dir}:v1`,
      reference,
    );

    await expect(
      skopeo(
        'copy',
        '--preserve-digests',
        '--dest-creds',
        outsiderCreds,
        `oci:${layout.dir}:v1`,
        `docker://${server.host}/platform/service:evil`,
      ),
    ).rejects.toThrow(/unauthorized|denied|authentication required/i);
    await expect(skopeo('inspect', '--creds', outsiderCreds, reference)).rejects.toThrow(
      /unauthorized|authentication required/i,
    );
    await expect(skopeo('inspect', '--no-creds', reference)).rejects.toThrow(
      /unauthorized|authentication required/i,
    );

    const visibility = await api('POST', '/repository/platform/service/changevisibility', {
      visibility: 'public',
    });
    expect(visibility.status).toBe(200);
    const pulled = join(work, 'anonymous-pull');
    await skopeo('copy', '--preserve-digests', '--src-no-creds', reference, `oci:${pulled}:pulled`);
    expect((await readLayoutIndex(pulled)).manifests[0]!.digest).toBe(image.digest);
    expect(await layoutBlobs(pulled)).toEqual(await layoutBlobs(layout.dir));

    const logs = await fetch(`${server.url}/api/v1/repository/platform/service/logs`, {
      headers: authorization,
    });
    const kinds = (
      (await logs.json()) as { logs: { kind: string; performer?: { name: string } }[] }
    ).logs;
    expect(kinds).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'push_repo',
          performer: expect.objectContaining({ name: 'platform+builder' }),
        }),
        expect.objectContaining({ kind: 'pull_repo' }),
        expect.objectContaining({ kind: 'change_repo_visibility' }),
      ]),
    );
  });

  it('refuses a push that would cross a Reject quota, and skopeo says why', async () => {
    expect((await api('POST', '/organization/', { name: 'metered' })).status).toBe(201);
    expect(
      (await api('POST', '/organization/metered/quota', { limit_bytes: 300_000 })).status,
    ).toBe(201);
    const quotas = (await (
      await fetch(`${server.url}/api/v1/organization/metered/quota`, { headers: authorization })
    ).json()) as { id: number }[];
    const limit = await api('POST', `/organization/metered/quota/${quotas[0]!.id}/limit`, {
      type: 'Reject',
      threshold_percent: 100,
    });
    expect(limit.status).toBe(201);

    const small = await imageLayout(join(work, 'small'), 'v1', [2048, 100_000]);
    await copy(`oci:${small.layout.dir}:v1`, `docker://${server.host}/metered/app:v1`);
    const big = await imageLayout(join(work, 'big'), 'v2', [250_000]);
    await expect(
      copy(`oci:${big.layout.dir}:v2`, `docker://${server.host}/metered/app:v2`),
    ).rejects.toThrow(/denied: Quota has been exceeded on namespace metered/);
    await expect(
      skopeo('inspect', '--creds', CREDS, `docker://${server.host}/metered/app:v2`),
    ).rejects.toThrow(/manifest unknown/i);
    // The image under the quota is untouched.
    const pulled = join(work, 'metered-pull');
    await copy(`docker://${server.host}/metered/app:v1`, `oci:${pulled}:v1`);
    expect((await readLayoutIndex(pulled)).manifests[0]!.digest).toBe(small.image.digest);
  });

  it('on first start generates the superuser password and prints it once', async () => {
    const dataDir = join(work, 'fresh');
    const fresh = await startServerProcess({ BERTH_DATA_DIR: dataDir });
    try {
      const match = /created superuser admin with password (\S+)/.exec(fresh.output());
      expect(match).not.toBeNull();
      const login = await fetch(`${fresh.url}/v2/auth?service=berth`, {
        headers: { Authorization: basic(`admin:${match![1]}`) },
      });
      expect(login.status).toBe(200);
    } finally {
      await fresh.stop();
    }
    const again = await startServerProcess({ BERTH_DATA_DIR: dataDir });
    try {
      expect(again.output()).not.toContain('created superuser');
    } finally {
      await again.stop();
    }
  });

  it.skipIf(skipUnlessAvailable(toolAvailable('podman'), 'podman'))(
    'logs in with podman login, whose stored credentials skopeo then uses',
    async () => {
      const authfile = join(work, 'podman-auth.json');
      const { BERTH_SUPERUSER: user, BERTH_SUPERUSER_PASSWORD: password } = ADMIN;
      await expect(podmanLogin(server.host, user, 'wrong password', authfile)).rejects.toThrow(
        /invalid username\/password|unauthorized/i,
      );
      await podmanLogin(server.host, user, password, authfile);
      const tags = JSON.parse(
        await skopeo(
          'list-tags',
          '--authfile',
          authfile,
          `docker://${server.host}/platform/service`,
        ),
      );
      expect(tags.Tags).toEqual(['v1']);
    },
  );

  it.skipIf(skipUnlessAvailable(toolAvailable('podman'), 'podman'))(
    'pulls with podman and pushes a copy back through the token flow; a pinned tag refuses other content',
    async () => {
      const root = join(work, 'podman');
      const creds = `${ADMIN.BERTH_SUPERUSER}:${ADMIN.BERTH_SUPERUSER_PASSWORD}`;
      const source = `${server.host}/platform/service:v1`;
      await podman(root, 'pull', '--creds', creds, source);
      await podman(root, 'tag', source, `${server.host}/admin/from-podman:1.0`);
      await podman(root, 'push', '--creds', creds, `${server.host}/admin/from-podman:1.0`);
      const tags = JSON.parse(
        await skopeo('list-tags', '--creds', creds, `docker://${server.host}/admin/from-podman`),
      );
      expect(tags.Tags).toEqual(['1.0']);
      await expect(
        podman(root, 'push', '--creds', 'outsider:nope', `${server.host}/admin/from-podman:1.0`),
      ).rejects.toThrow(/unauthorized|invalid username|authentication required/i);

      // Pinned, the tag refuses other content, and podman says why.
      const pinned = await fetch(`${server.url}/api/v1/repository/admin/from-podman/tag/1.0`, {
        method: 'PUT',
        headers: { ...authorization, 'Content-Type': 'application/json' },
        body: JSON.stringify({ immutable: true }),
      });
      expect(pinned.status).toBe(201);
      const rootfs = join(work, 'podman-rootfs');
      await mkdir(rootfs, { recursive: true });
      await writeFile(join(rootfs, 'hello.txt'), 'other content');
      const tarball = join(work, 'podman-rootfs.tar');
      await runFile('tar', ['-cf', tarball, '-C', rootfs, '.']);
      await podman(root, 'import', tarball, `${server.host}/admin/from-podman:1.0`);
      await expect(
        podman(root, 'push', '--creds', creds, `${server.host}/admin/from-podman:1.0`),
      ).rejects.toThrow(/denied: tag 1\.0 is immutable/);
    },
  );

  it('logs in with skopeo login and uses the stored credentials', async () => {
    const authfile = join(work, 'auth.json');
    await skopeo(
      'login',
      '--authfile',
      authfile,
      '-u',
      ADMIN.BERTH_SUPERUSER,
      '-p',
      ADMIN.BERTH_SUPERUSER_PASSWORD,
      server.host,
    );
    const tags = JSON.parse(
      await skopeo('list-tags', '--authfile', authfile, `docker://${server.host}/platform/service`),
    );
    expect(tags.Tags).toEqual(['v1']);
    await expect(
      skopeo(
        'login',
        '--authfile',
        authfile,
        '-u',
        ADMIN.BERTH_SUPERUSER,
        '-p',
        'wrong password',
        server.host,
      ),
    ).rejects.toThrow();
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
      startServerProcess({
        ...ADMIN,
        BERTH_DATA_DIR: join(work, 'data'),
        DATABASE_URL: scratch.url,
      });

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
      const { layout, index } = await indexLayout(join(work, 'index'));
      await copy(`oci:${layout.dir}:multi`, `docker://${server.host}/admin/multiarch:1`, '--all');
      await server.stop();
      server = await start();
      await expectPulledIdentical(
        `docker://${server.host}/admin/multiarch:1`,
        layout,
        index,
        join(work, 'pulled'),
        '--all',
      );
    });
  },
);

describe.skipIf(skip)('skopeo against the server with S3 storage (s3rver)', () => {
  let work: string;
  let s3: TestS3;
  let server: ServerProcess;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-e2e-s3-'));
    s3 = await startTestS3();
    await s3.createBucket('berth-e2e');
    server = await startServerProcess({
      ...ADMIN,
      BERTH_DATA_DIR: join(work, 'data'),
      DISTRIBUTED_STORAGE_CONFIG: JSON.stringify({
        'us-east-1': [
          'S3Storage',
          {
            s3_bucket: 'berth-e2e',
            storage_path: 'registry',
            endpoint_url: s3.endpoint,
            s3_access_key: s3.accessKeyId,
            s3_secret_key: s3.secretAccessKey,
          },
        ],
      }),
    });
  });
  afterAll(async () => {
    await server?.stop();
    await s3?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('pushes through multipart uploads and pulls through presigned redirects, byte for byte', async () => {
    const { layout, image, layers } = await imageLayout(join(work, 's3'), 'v1', [1000, 20 * MiB]);
    const reference = `docker://${server.host}/admin/on-s3:v1`;
    await copy(`oci:${layout.dir}:v1`, reference);

    const big = layers[1]!;
    const response = await fetch(`${server.url}/v2/admin/on-s3/blobs/${big.digest}`, {
      headers: authorization,
      redirect: 'manual',
    });
    expect(response.status).toBe(307);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin).toBe(s3.endpoint);
    // A layer larger than one part stays where its multipart upload completed: no copy.
    expect(location.pathname).toMatch(/^\/berth-e2e\/registry\/blobs\/uploaded\/[0-9a-f-]{36}$/);
    expect(verifyPresignedGet(location, s3.secretAccessKey)).toEqual({ valid: true });

    await expectPulledIdentical(reference, layout, image, join(work, 's3-pulled'));
  });

  it('passes the first-deploy smoke test as the README runs it: challenge, push, pull, 307, ranged pull', async () => {
    const { stdout } = await runFile(
      process.execPath,
      ['--import', 'tsx', 'test/smoke/cli.ts', server.url, '--layer-mib', '24'],
      { cwd: repoRoot, env: { ...process.env, BERTH_PASSWORD: ADMIN.BERTH_SUPERUSER_PASSWORD } },
    );
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as SmokeReport;
    expect(report.realm).toBe(`${server.url}/v2/auth`);
    expect(report.layer.bytes).toBeGreaterThan(24 * MiB);
    expect(report.redirectHost).toBe(new URL(s3.endpoint).host);
    expect(report.rangeBytes).toBe(MiB);
    // It leaves no tag behind.
    const tags = await fetch(`${server.url}/v2/admin/berth-smoke/tags/list`, {
      headers: authorization,
    });
    expect(((await tags.json()) as { tags: string[] }).tags).toEqual([]);
  });
});

describe.skipIf(skip)('geo-replication across two S3 servers (two s3rver instances)', () => {
  let work: string;
  let east: TestS3;
  let west: TestS3;
  let server: ServerProcess;
  const location = (s3: TestS3, bucket: string) => [
    'S3Storage',
    {
      s3_bucket: bucket,
      storage_path: 'registry',
      endpoint_url: s3.endpoint,
      s3_access_key: s3.accessKeyId,
      s3_secret_key: s3.secretAccessKey,
    },
  ];

  const api = async (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { ...init, headers: authorization });

  /** Waits until no copy into `target` is pending, and returns the replication state. */
  async function caughtUp(target: string) {
    for (let i = 0; i < 120; i++) {
      const state = (await (await api('/api/v1/superuser/replication')).json()) as {
        locations: { location: string; pending: number; failed: number; copies: number }[];
      };
      const at = state.locations.find((l) => l.location === target)!;
      if (at.pending === 0) return at;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`copies into ${target} still pending`);
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-e2e-geo-'));
    [east, west] = await Promise.all([startTestS3(), startTestS3()]);
    await east.createBucket('east');
    await west.createBucket('west');
    server = await startServerProcess({
      ...ADMIN,
      BERTH_DATA_DIR: join(work, 'data'),
      DISTRIBUTED_STORAGE_CONFIG: JSON.stringify({
        east: location(east, 'east'),
        west: location(west, 'west'),
      }),
      DISTRIBUTED_STORAGE_PREFERENCE: 'east,west',
      FEATURE_STORAGE_REPLICATION: 'true',
      DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: 'east,west',
      BERTH_REPLICATION_INTERVAL_SECONDS: '1',
      // Health is confirmed on every use here, so an outage is seen at once.
      BERTH_STORAGE_PROBE_SECONDS: '0',
    });
  });
  afterAll(async () => {
    await server?.stop();
    await east?.close();
    await west?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('copies every blob to the other location, serves pulls from it while the first is down, and catches up after', async () => {
    const first = await imageLayout(join(work, 'first'), 'v1', [1000, 300 * 1024]);
    await copy(`oci:${first.layout.dir}:v1`, `docker://${server.host}/admin/geo:v1`);
    const pushed = await layoutBlobs(first.layout.dir);
    expect((await caughtUp('west')).failed).toBe(0);
    // Manifests live in the database; every other blob is in both buckets, byte for byte.
    const blobs = pushed.filter((d) => d !== first.image.digest);
    expect(await heldDigests(west, 'west')).toEqual(blobs);
    expect(await heldDigests(east, 'east')).toEqual(blobs);

    const healthy = await fetch(`${server.url}/health/endtoend`);
    expect(healthy.status).toBe(200);

    await east.stop();
    const endtoend = await api('/health/endtoend');
    expect(endtoend.status).toBe(503);
    const report = (await endtoend.json()) as {
      data: {
        services: Record<string, boolean>;
        locations: { name: string; healthy: boolean }[];
      };
      status_code: number;
    };
    expect(report.status_code).toBe(503);
    expect(report.data.services.storage).toBe(false);
    expect(report.data.locations).toEqual([
      expect.objectContaining({ name: 'east', healthy: false }),
      expect.objectContaining({ name: 'west', healthy: true }),
    ]);
    // This server still writes west, so as an instance it can serve.
    expect((await fetch(`${server.url}/health/instance`)).status).toBe(200);

    await expectPulledIdentical(
      `docker://${server.host}/admin/geo:v1`,
      first.layout,
      first.image,
      join(work, 'first-pulled'),
    );
    const second = await imageLayout(join(work, 'second'), 'v2', [2000, 100 * 1024]);
    await copy(`oci:${second.layout.dir}:v2`, `docker://${server.host}/admin/geo:v2`);
    await expectPulledIdentical(
      `docker://${server.host}/admin/geo:v2`,
      second.layout,
      second.image,
      join(work, 'second-pulled'),
    );
    const state = (await (await api('/api/v1/superuser/replication')).json()) as {
      locations: { location: string; pending: number; healthy: boolean }[];
    };
    expect(state.locations.find((l) => l.location === 'east')).toMatchObject({
      healthy: false,
    });
    expect(state.locations.find((l) => l.location === 'east')!.pending).toBeGreaterThan(0);

    await east.restart();
    expect((await caughtUp('east')).failed).toBe(0);
    const all = [...new Set([...blobs, ...(await layoutBlobs(second.layout.dir))])]
      .filter((d) => d !== first.image.digest && d !== second.image.digest)
      .sort();
    expect(await heldDigests(east, 'east')).toEqual(all);
    expect(await heldDigests(west, 'west')).toEqual(all);
    expect((await fetch(`${server.url}/health/endtoend`)).status).toBe(200);
  });
});
