import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobKey } from '../../shared/ports/storage-layout.js';
import { skipUnlessAvailable } from '../support/harness.js';
import { createScratchDatabase } from '../support/postgres.js';
import { skopeoAvailable } from '../support/registry-clients.js';
import { startTestS3, type TestS3 } from '../support/s3.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { ADMIN, copy, imageLayout } from '../support/skopeo-images.js';

const databaseUrl = process.env.DATABASE_URL;
const skip =
  skipUnlessAvailable(skopeoAvailable(), 'skopeo') ||
  skipUnlessAvailable(Boolean(databaseUrl), 'DATABASE_URL (PostgreSQL)');
const MiB = 1024 * 1024;

/**
 * A replication worker killed with SIGKILL in the middle of a copy: no
 * clean-up code runs, so what is left is what a crash leaves.
 */
describe.skipIf(skip)('a server killed (SIGKILL) while it copies a blob', () => {
  let work: string;
  let scratch: { url: string; drop: () => Promise<void> };
  let west: TestS3;
  let db: pg.Client;
  let server: ServerProcess | undefined;

  const start = () =>
    startServerProcess({
      ...ADMIN,
      BERTH_DATA_DIR: join(work, 'data'),
      DATABASE_URL: scratch.url,
      DISTRIBUTED_STORAGE_CONFIG: JSON.stringify({
        east: ['LocalStorage', { storage_path: join(work, 'east') }],
        west: [
          'S3Storage',
          {
            s3_bucket: 'west',
            storage_path: 'registry',
            endpoint_url: west.endpoint,
            s3_access_key: west.accessKeyId,
            s3_secret_key: west.secretAccessKey,
          },
        ],
      }),
      DISTRIBUTED_STORAGE_PREFERENCE: 'east,west',
      FEATURE_STORAGE_REPLICATION: 'true',
      DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: 'east,west',
      BERTH_REPLICATION_INTERVAL_SECONDS: '1',
      BERTH_REPLICATION_LEASE_SECONDS: '3',
    });

  const copyRow = async (digest: string) =>
    (
      await db.query<{ state: string; claim_token: string | null; attempts: number }>(
        `select state, claim_token, attempts from blob_replication where digest = $1 and location = 'west'`,
        [digest],
      )
    ).rows[0];
  const westPlacement = async (digest: string) =>
    (
      await db.query<{ storage_key: string | null }>(
        `select storage_key from blob_placement where digest = $1 and location = 'west'`,
        [digest],
      )
    ).rows[0];
  /** Every whole object of the west bucket, with its size (a multipart upload in progress is none). */
  const westObjects = async () =>
    (
      await west.client.send(new ListObjectsV2Command({ Bucket: 'west', Prefix: 'registry/' }))
    ).Contents?.map((o) => ({ key: o.Key!, size: o.Size! })) ?? [];

  async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-e2e-kill-'));
    scratch = await createScratchDatabase(databaseUrl!);
    west = await startTestS3();
    await west.createBucket('west');
    db = new pg.Client({ connectionString: scratch.url });
    await db.connect();
  });
  afterAll(async () => {
    await server?.stop();
    await db?.end();
    await west?.close();
    await scratch?.drop();
    await rm(work, { recursive: true, force: true });
  });

  it('leaves no placement for the partial copy, and the copy is retried and completes after the lease lapses', async () => {
    // Large enough that copying it into s3rver takes seconds.
    const image = await imageLayout(join(work, 'image'), 'v1', [256 * MiB]);
    const layer = image.layers[0]!.digest;
    server = await start();
    await copy(`oci:${image.layout.dir}:v1`, `docker://${server.host}/admin/big:v1`);

    // The copy is claimed and under way: kill the process without warning.
    await until('the copy to be claimed', async () =>
      (await copyRow(layer))?.claim_token ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 700));
    process.kill(server.pid, 'SIGKILL');
    await server.stop();
    server = undefined;

    // Nothing of the half-copied blob is visible: no placement, no object.
    expect(await westPlacement(layer)).toBeUndefined();
    const size = image.layers[0]!.size;
    expect((await westObjects()).filter((o) => o.size === size)).toEqual([]);
    expect((await copyRow(layer))!.state).not.toBe('done');

    // A new server takes the copy over once the dead one's lease has lapsed.
    server = await start();
    const placed = await until('the copy to be placed', () => westPlacement(layer));
    const key = `registry/${placed.storage_key ?? blobKey(layer)}`;
    const object = await west.client.send(new GetObjectCommand({ Bucket: 'west', Key: key }));
    const hash = createHash('sha256');
    for await (const chunk of object.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
    expect(`sha256:${hash.digest('hex')}`).toBe(layer);
    expect((await westObjects()).filter((o) => o.size === size)).toEqual([{ key, size }]);
  });
});
