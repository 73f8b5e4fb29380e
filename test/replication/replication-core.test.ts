import { randomBytes } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../shared/adapters/blob/s3-blob-store.js';
import { copyInParts } from '../../shared/adapters/blob/s3-part-copy.js';
import { blobKey } from '../../shared/ports/storage-layout.js';
import { startTestS3, type TestS3 } from '../support/s3.js';
import { digestOf } from '../../shared/oci/digest.js';
import { SCHEDULED_TASKS } from '../../shared/workers/scheduled-tasks.js';
import type { BlobStore } from '../../shared/ports/blob-store.js';
import { DEFAULT_REPLICATION } from '../../shared/workers/replication.js';
import { createUser, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { stagedUploads, startTestRegistry, type TestRegistry } from '../support/harness.js';
import { heldBody } from '../support/held-body.js';
import { expectSizesMatchRecount } from '../support/quota.js';
import { V2Client } from '../support/v2-client.js';

async function bytesAt(t: TestRegistry, location: string, digest: string, key: string | null) {
  const stream = await t.stores.get(location)!.read({ digest, key });
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function placements(t: TestRegistry) {
  return t.db
    .selectFrom('blob_placement')
    .select(['digest', 'location', 'storage_key'])
    .orderBy('digest')
    .orderBy('location')
    .execute();
}

describe('geo-replication between two directories', () => {
  let t: TestRegistry;
  beforeAll(async () => {
    t = await startTestRegistry({
      storage: 'fs',
      extraLocations: ['second'],
      replicateTo: ['local', 'second'],
    });
  });
  afterAll(() => t.close());

  it('queues a copy with the first placement and copies every blob, byte for byte', async () => {
    const client = new V2Client(t.app);
    await client.pushImage('team/app', 'v1', { layer: 'x'.repeat(200_000) });
    const queued = await t.db.selectFrom('blob_replication').selectAll().execute();
    expect(queued.map((q) => q.location)).toEqual(['second', 'second']);
    expect(queued.every((q) => q.state === 'pending')).toBe(true);

    const sizesBefore = await expectSizesMatchRecount(t);
    expect(await SCHEDULED_TASKS.replication(t.workers)).toBe(2);
    // Quotas count content, not copies: a second location changes no size.
    expect(await expectSizesMatchRecount(t)).toEqual(sizesBefore);
    expect(sizesBefore['team/app']).toBeGreaterThan(200_000);

    const placed = await placements(t);
    const digests = [...new Set(placed.map((p) => p.digest))];
    expect(digests).toHaveLength(2);
    for (const digest of digests) {
      const at = placed.filter((p) => p.digest === digest);
      expect(at.map((p) => p.location)).toEqual(['local', 'second']);
      const copy = await bytesAt(t, 'second', digest, at[1]!.storage_key);
      expect(digestOf(copy)).toBe(digest);
      expect(copy).toEqual(await bytesAt(t, 'local', digest, at[0]!.storage_key));
    }
    expect(await t.db.selectFrom('blob_replication').selectAll().execute()).toEqual([]);
    const copied = await t.db
      .selectFrom('replication_location')
      .selectAll()
      .where('location', '=', 'second')
      .executeTakeFirstOrThrow();
    expect(copied).toMatchObject({ copies: 2 });
    expect(copied.bytes_copied).toBe(200_000 + 37);
  });

  it('queues a copy of a manifest too large for its row, stored as a blob', async () => {
    const client = new V2Client(t.app);
    // Past the 32 KiB a manifest row holds (INLINE_MANIFEST_BYTES).
    const { descriptor } = await client.pushImage('team/large', 'v1', {
      manifest: { annotations: { padding: 'p'.repeat(40_000) } },
    });

    const queued = await t.db
      .selectFrom('blob_replication')
      .select(['location', 'state'])
      .where('digest', '=', descriptor.digest)
      .execute();
    expect(queued).toEqual([{ location: 'second', state: 'pending' }]);
    await SCHEDULED_TASKS.replication(t.workers);
    const at = (await placements(t)).filter((p) => p.digest === descriptor.digest);
    expect(at.map((p) => p.location)).toEqual(['local', 'second']);
    expect(digestOf(await bytesAt(t, 'second', descriptor.digest, at[1]!.storage_key))).toBe(
      descriptor.digest,
    );
  });

  it('runs a copy that is already done as a no-op', async () => {
    expect(await SCHEDULED_TASKS.replication(t.workers)).toBe(0);
  });
});

/** A store that answers as `store` does, except where `overrides` says otherwise. */
function overriding(store: BlobStore, overrides: Partial<BlobStore>): BlobStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const own = overrides[property as keyof BlobStore];
      if (own) return own;
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

const ADMIN = `admin:${PASSWORD}`;

describe('geo-replication backfill', () => {
  let before: TestRegistry;
  let after: TestRegistry;
  beforeAll(async () => {
    before = await startTestRegistry({ storage: 'fs', extraLocations: ['second'] });
    after = await startTestRegistry({
      shareWith: before,
      replicateTo: ['local', 'second'],
      access: { enabled: true },
    });
    await createUser(after, 'admin');
  });
  afterAll(async () => {
    await after.close();
    await before.close();
  });

  it('copies what was stored before replication was on, page by page, showing progress', async () => {
    const client = new V2Client(before.app);
    for (const tag of ['a', 'b', 'c'])
      await client.pushImage('team/old', tag, { layer: `layer ${tag}` });
    expect(await before.db.selectFrom('blob_replication').selectAll().execute()).toEqual([]);
    after.workers.options.replication = { ...DEFAULT_REPLICATION, backfillBatch: 2 };
    const api = new ApiClient(after.app, { basic: ADMIN });

    const runs: number[] = [];
    for (let i = 0; i < 5; i++) runs.push(await SCHEDULED_TASKS.replication(after.workers));
    const state = await api.get('/superuser/replication');
    expect(state.status).toBe(200);
    const second = state.body.locations.find((l: { location: string }) => l.location === 'second');
    expect(second).toMatchObject({
      pending: 0,
      failed: 0,
      copies: 4,
      backfill: { done: true, queued: 4 },
    });
    // Two blobs looked at per pass: the backfill took several runs.
    expect(runs.filter((n) => n > 0).length).toBeGreaterThan(1);
    const digests = await after.db.selectFrom('blob').select('digest').execute();
    for (const { digest } of digests) {
      const at = await after.db
        .selectFrom('blob_placement')
        .select('location')
        .where('digest', '=', digest)
        .orderBy('location')
        .execute();
      expect(at.map((p) => p.location)).toEqual(['local', 'second']);
    }
  });

  it('is for superusers only', async () => {
    await createUser(after, 'otto');
    const otto = new ApiClient(after.app, { basic: `otto:${PASSWORD}` });
    expect((await otto.get('/superuser/replication')).status).toBe(403);
  });
});

describe('a copy that keeps failing', () => {
  let t: TestRegistry;
  let corrupt = true;
  beforeAll(async () => {
    t = await startTestRegistry({
      storage: 'fs',
      extraLocations: ['second'],
      replicateTo: ['local', 'second'],
      access: { enabled: true },
      wrapStore: (name, store) =>
        name !== 'local'
          ? store
          : overriding(store, {
              // The bytes rot on the way: the copy must notice and publish nothing.
              read: async (ref, range) => {
                const bytes = new Uint8Array(
                  await new Response(await store.read(ref, range)).arrayBuffer(),
                );
                if (corrupt && bytes.byteLength > 0) bytes[0] = bytes[0]! ^ 0xff;
                return new Response(bytes).body!;
              },
            }),
    });
    await createUser(t, 'admin');
  });
  afterAll(() => t.close());

  it('is retried with backoff, then given up with its reason in the API and the audit log, and retried on request', async () => {
    t.workers.options.replication = {
      ...DEFAULT_REPLICATION,
      maxAttempts: 2,
      firstRetryMs: 1_000,
    };
    const client = new V2Client(t.app, ADMIN);
    const blob = await client.pushBlob('admin/rot', 'some bytes that will not arrive intact');
    await SCHEDULED_TASKS.replication(t.workers);
    const waiting = await t.db.selectFrom('blob_replication').selectAll().executeTakeFirstOrThrow();
    expect(waiting).toMatchObject({ state: 'pending', attempts: 1 });
    expect(waiting.last_error).toMatch(/digest/);
    expect(Number(waiting.next_attempt_ms)).toBe(t.clock.now() + 1_000);

    // Not due yet: nothing happens.
    await SCHEDULED_TASKS.replication(t.workers);
    expect(
      (await t.db.selectFrom('blob_replication').selectAll().executeTakeFirstOrThrow()).attempts,
    ).toBe(1);
    t.clock.advance(1_000);
    await SCHEDULED_TASKS.replication(t.workers);

    const api = new ApiClient(t.app, { basic: ADMIN });
    const failures = await api.get('/superuser/replication/failures');
    expect(failures.body.failures).toEqual([
      {
        digest: blob.digest,
        location: 'second',
        attempts: 2,
        error: expect.stringMatching(/digest/),
      },
    ]);
    const audit = await t.db
      .selectFrom('audit_log')
      .select(['kind', 'metadata'])
      .where('kind', '=', 'storage_replication_failed')
      .execute();
    expect(audit).toHaveLength(1);
    expect(await t.stores.get('second')!.stat({ digest: blob.digest, key: null })).toBeNull();
    expect(await stagedUploads(t.stores.get('second')!)).toEqual([]);
    const placements = await t.db.selectFrom('blob_placement').select('location').execute();
    expect(placements.map((p) => p.location)).toEqual(['local']);

    corrupt = false;
    expect((await api.post('/superuser/replication/retry')).body).toEqual({ retried: 1 });
    await SCHEDULED_TASKS.replication(t.workers);
    expect((await api.get('/superuser/replication/failures')).body.failures).toEqual([]);
    expect(await t.stores.get('second')!.stat({ digest: blob.digest, key: null })).not.toBeNull();
  });
});

describe('a copy whose worker stops part-way (a lapsed lease)', () => {
  let t: TestRegistry;
  /** While armed, the next read sends 1000 bytes and then waits for `release`. */
  let started!: () => void;
  const stall = {
    armed: false,
    release: () => {},
    started: new Promise<void>((resolve) => (started = resolve)),
  };
  beforeAll(async () => {
    t = await startTestRegistry({
      storage: 'fs',
      extraLocations: ['second'],
      replicateTo: ['local', 'second'],
      wrapStore: (name, store) =>
        name !== 'local'
          ? store
          : overriding(store, {
              read: async (ref, range) => {
                const whole = new Uint8Array(
                  await new Response(await store.read(ref, range)).arrayBuffer(),
                );
                if (!stall.armed) return new Response(whole).body!;
                stall.armed = false;
                const held = heldBody(whole.subarray(0, 1000), whole.subarray(1000));
                stall.release = held.release;
                started();
                return held.body;
              },
            }),
    });
  });
  afterAll(() => t.close());

  it('is taken over once the lease lapses; the half-copied bytes are never placed', async () => {
    const blob = await new V2Client(t.app).pushBlob('team/big', new Uint8Array(300_000).fill(7));
    const atSecond = () =>
      t.db.selectFrom('blob_placement').selectAll().where('location', '=', 'second').execute();
    stall.armed = true;
    const stuck = SCHEDULED_TASKS.replication(t.workers);
    await stall.started;
    expect(await atSecond()).toEqual([]);

    // The stuck worker might as well be dead: once its lease lapses another takes the copy.
    t.clock.advance(DEFAULT_REPLICATION.leaseMs + 1);
    expect(await SCHEDULED_TASKS.replication(t.workers)).toBe(1);
    stall.release();
    await stuck;

    const placed = await atSecond();
    expect(placed).toHaveLength(1);
    const copy = await t.stores
      .get('second')!
      .read({ digest: blob.digest, key: placed[0]!.storage_key });
    expect(digestOf(new Uint8Array(await new Response(copy).arrayBuffer()))).toBe(blob.digest);
    expect(await t.db.selectFrom('blob_replication').selectAll().execute()).toEqual([]);
    expect(await stagedUploads(t.stores.get('second')!)).toEqual([]);
  });
});

describe('a server that may write only its own location', () => {
  it('copies into it from the others, and leaves copies into the others to their own servers', async () => {
    const east = await startTestRegistry({
      storage: 'fs',
      extraLocations: ['west'],
      replicateTo: ['local', 'west'],
      writableLocations: ['local'],
    });
    const west = await startTestRegistry({
      shareWith: east,
      replicateTo: ['local', 'west'],
      writableLocations: ['west'],
    });
    try {
      const blob = await new V2Client(east.app).pushBlob('team/app', 'pushed in the east');
      expect(await SCHEDULED_TASKS.replication(east.workers)).toBe(0);
      expect(await east.stores.get('west')!.stat({ digest: blob.digest, key: null })).toBeNull();
      expect(await SCHEDULED_TASKS.replication(west.workers)).toBe(1);
      const placed = await east.db
        .selectFrom('blob_placement')
        .select('location')
        .where('digest', '=', blob.digest)
        .orderBy('location')
        .execute();
      expect(placed.map((p) => p.location)).toEqual(['local', 'west']);
    } finally {
      await west.close();
      await east.close();
    }
  });
});

describe('a server whose own location is down (the nearest region of a push)', () => {
  it('hands a new upload to the server of a healthy location, whose session URL names it, and answers 503 when it must take one itself', async () => {
    let down = false;
    const refuse = () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:9000');
    };
    const east = await startTestRegistry({
      storage: 'fs',
      extraLocations: ['west'],
      writableLocations: ['local'],
      wrapStore: (name, store) =>
        name !== 'local'
          ? store
          : overriding(store, {
              stat: async (ref) => (down ? refuse() : store.stat(ref)),
              startUpload: async (id) => (down ? refuse() : store.startUpload(id)),
            }),
    });
    const west = await startTestRegistry({ shareWith: east, writableLocations: ['west'] });
    try {
      const healthy = await east.app.request('/v2/team/app/blobs/uploads/', { method: 'POST' });
      expect(healthy.status).toBe(202);
      expect(healthy.headers.get('location')).toMatch(/\?_location=local$/);

      down = true;
      const refused = await east.app.request('/v2/team/app/blobs/uploads/?mount=x', {
        method: 'POST',
      });
      expect(refused.status).toBe(307);
      const handedOff = refused.headers.get('location')!;
      expect(handedOff).toBe('/v2/team/app/blobs/uploads/?mount=x&_location=west');
      // Handed back to the server that cannot take it, it does not send it on again.
      const again = await east.app.request(handedOff, { method: 'POST' });
      expect(again.status).toBe(503);
      expect(again.headers.get('retry-after')).toBe('5');
      expect(((await again.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe(
        'UNAVAILABLE',
      );

      const started = await west.app.request(handedOff, { method: 'POST' });
      expect(started.status).toBe(202);
      const session = started.headers.get('location')!;
      expect(session).toMatch(/\?_location=west$/);
      const body = new TextEncoder().encode('handed to the west');
      const patched = await west.app.request(session, { method: 'PATCH', body });
      expect(patched.status).toBe(202);
      expect(patched.headers.get('location')).toBe(session);
      const digest = digestOf(body);
      const put = await west.app.request(`${session}&digest=${digest}`, { method: 'PUT' });
      expect(put.status).toBe(201);
      expect(await bytesAt(west, 'west', digest, null)).toEqual(body);
    } finally {
      await west.close();
      await east.close();
    }
  });
});

describe('S3 to S3 on one service', () => {
  let s3: TestS3;
  let t: TestRegistry;
  let sourceReads = 0;
  beforeAll(async () => {
    s3 = await startTestS3();
    await s3.createBucket('east');
    await s3.createBucket('west');
    const store = (bucket: string) =>
      new S3BlobStore({
        client: s3.client,
        bucket,
        prefix: 'registry',
        redirects: false,
        copyDomain: s3.endpoint,
      });
    const east = store('east');
    t = await startTestRegistry({
      localStore: overriding(east, {
        read: (ref, range) => {
          sourceReads += 1;
          return east.read(ref, range);
        },
      }),
      extraLocations: ['second'],
      wrapStore: (name, s) => (name === 'second' ? store('west') : s),
      replicateTo: ['local', 'second'],
    });
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
  });

  it('copies inside S3 (CopyObject) instead of streaming from the source, and checks the copy', async () => {
    const bytes = randomBytes(300_000);
    const blob = await new V2Client(t.app).pushBlob('team/app', bytes);
    sourceReads = 0;
    expect(await SCHEDULED_TASKS.replication(t.workers)).toBe(1);
    expect(sourceReads).toBe(0);
    const copied = await s3.client.send(
      new GetObjectCommand({ Bucket: 'west', Key: `registry/${blobKey(blob.digest)}` }),
    );
    expect(digestOf(await copied.Body!.transformToByteArray())).toBe(blob.digest);
  });
});

describe("S3 to S3 over CopyObject's limit (made small here)", () => {
  const MiB = 1024 * 1024;
  /** A registry copying between two buckets of `s3` in parts of 5 MiB over 6 MiB. */
  async function partCopying(s3: TestS3) {
    await s3.createBucket('east');
    await s3.createBucket('west');
    let sourceReads = 0;
    const store = (bucket: string) =>
      new S3BlobStore({
        client: s3.client,
        bucket,
        prefix: 'registry',
        redirects: false,
        copyDomain: s3.endpoint,
        maxCopyObjectBytes: 6 * MiB,
        copyPartBytes: 5 * MiB,
        partCopy: copyInParts,
      });
    const east = store('east');
    const t = await startTestRegistry({
      localStore: overriding(east, {
        read: (ref, range) => {
          sourceReads += 1;
          return east.read(ref, range);
        },
      }),
      extraLocations: ['second'],
      wrapStore: (name, s) => (name === 'second' ? store('west') : s),
      replicateTo: ['local', 'second'],
    });
    return { t, sourceReads: () => sourceReads };
  }

  async function westBytes(s3: TestS3, digest: string) {
    const copied = await s3.client.send(
      new GetObjectCommand({ Bucket: 'west', Key: `registry/${blobKey(digest)}` }),
    );
    return digestOf(await copied.Body!.transformToByteArray());
  }

  it('copies in parts inside S3 (UploadPartCopy), several ranges of the source, and checks the whole copy', async () => {
    const s3 = await startTestS3({ uploadPartCopy: true });
    const { t, sourceReads } = await partCopying(s3);
    try {
      const blob = await new V2Client(t.app).pushBlob('team/app', randomBytes(13 * MiB + 7));
      const before = sourceReads();
      expect(await SCHEDULED_TASKS.replication(t.workers)).toBe(1);
      // Three parts (5 + 5 + 3 MiB), copied by S3; the source is never read.
      expect(s3.partCopies()).toBe(3);
      expect(sourceReads()).toBe(before);
      expect(await westBytes(s3, blob.digest)).toBe(blob.digest);
      expect(
        (await placements(t)).filter((p) => p.digest === blob.digest).map((p) => p.location),
      ).toEqual(['local', 'second']);
    } finally {
      await t.close();
      await s3.close();
    }
  });

  it('streams the copy instead where the service has no UploadPartCopy (s3rver itself)', async () => {
    const s3 = await startTestS3();
    const { t, sourceReads } = await partCopying(s3);
    try {
      const blob = await new V2Client(t.app).pushBlob('team/app', randomBytes(7 * MiB));
      const before = sourceReads();
      expect(await SCHEDULED_TASKS.replication(t.workers)).toBe(1);
      expect(sourceReads()).toBeGreaterThan(before);
      expect(await westBytes(s3, blob.digest)).toBe(blob.digest);
    } finally {
      await t.close();
      await s3.close();
    }
  });
});
