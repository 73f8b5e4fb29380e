import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { digestOf } from '../../shared/oci/digest.js';
import { createHttpApp } from '../../shared/http/app.js';
import { v2Surface } from '../../shared/http/v2/v2-surface.js';
import { ModelCache } from '../../shared/registry/model-cache.js';
import { createRegistry } from '../../shared/registry/registry.js';
import { SCHEDULED_TASKS } from '../../shared/workers/scheduled-tasks.js';
import { skipUnlessAvailable, startTestRegistry, type TestRegistry } from '../support/harness.js';
import { connectTestRedisCache, redisUrl } from '../support/redis.js';
import { V2Client } from '../support/v2-client.js';
import { RedisCache } from '../../shared/adapters/cache/redis-cache.js';

let t: TestRegistry;

const head = (v2: V2Client, repository: string, digest: string) =>
  v2.request(`/v2/${repository}/blobs/${digest}`, { method: 'HEAD' });

describe('the model cache on blob lookups', () => {
  beforeAll(async () => {
    t = await startTestRegistry({ gcGraceMs: 0 });
  });
  afterAll(() => t.close());

  it('answers a repeated blob lookup without asking the database again', async () => {
    const v2 = new V2Client(t.app);
    const blob = await v2.pushBlob('acme/cached', 'layer bytes');
    const lookups = vi.spyOn(t.registry.deps.metadata, 'findRepositoryBlob');

    expect((await head(v2, 'acme/cached', blob.digest)).status).toBe(200);
    expect((await head(v2, 'acme/cached', blob.digest)).status).toBe(200);
    expect(await (await v2.request(`/v2/acme/cached/blobs/${blob.digest}`)).text()).toBe(
      'layer bytes',
    );

    expect(lookups).toHaveBeenCalledTimes(1);
  });

  it('never remembers a miss: a blob pushed after a failed lookup is found at once', async () => {
    const v2 = new V2Client(t.app);
    await v2.pushBlob('acme/late', 'first');
    const digest = digestOf(Buffer.from('later'));
    expect((await head(v2, 'acme/late', digest)).status).toBe(404);
    expect((await v2.pushBlob('acme/late', 'later')).digest).toBe(digest);
    expect((await head(v2, 'acme/late', digest)).status).toBe(200);
  });

  it('forgets a blob deleted from a repository, and only there', async () => {
    const v2 = new V2Client(t.app);
    const blob = await v2.pushBlob('acme/one', 'shared layer');
    await v2.pushBlob('acme/two', 'shared layer');
    expect((await head(v2, 'acme/one', blob.digest)).status).toBe(200);
    expect((await head(v2, 'acme/two', blob.digest)).status).toBe(200);

    const deleted = await v2.request(`/v2/acme/one/blobs/${blob.digest}`, { method: 'DELETE' });

    expect(deleted.status).toBe(202);
    expect((await head(v2, 'acme/one', blob.digest)).status).toBe(404);
    expect((await v2.request(`/v2/acme/one/blobs/${blob.digest}`)).status).toBe(404);
    expect((await head(v2, 'acme/two', blob.digest)).status).toBe(200);
  });

  // Last here: it collects every blob the tests above left unreferenced.
  it('forgets the blobs garbage collection removes, in every repository', async () => {
    const v2 = new V2Client(t.app);
    const blob = await v2.pushBlob('acme/garbage', 'nobody references me');
    await v2.pushBlob('acme/garbage2', 'nobody references me');
    expect((await head(v2, 'acme/garbage', blob.digest)).status).toBe(200);
    expect((await head(v2, 'acme/garbage2', blob.digest)).status).toBe(200);
    // Well inside the cache's minute, past the (zero) grace period.
    t.clock.advance(1);

    expect(await SCHEDULED_TASKS['garbage-collection'](t.workers)).toBeGreaterThan(0);

    expect((await head(v2, 'acme/garbage', blob.digest)).status).toBe(404);
    expect((await head(v2, 'acme/garbage2', blob.digest)).status).toBe(404);
  });
});

describe.skipIf(skipUnlessAvailable(Boolean(redisUrl), 'REDIS_URL (Redis)'))(
  'the model cache shared through Redis',
  () => {
    it("sees another server's delete at once", async () => {
      const first = await connectTestRedisCache();
      const t = await startTestRegistry({ cache: first });
      // A second server on the same database and the same Redis.
      const second = new RedisCache({ ...first.options });
      await second.connect();
      const other = new V2Client(
        createHttpApp({
          registry: createRegistry({ ...t.registry.deps, cache: new ModelCache(second) }),
          access: t.access,
          surfaces: [v2Surface],
        }),
      );
      const v2 = new V2Client(t.app);
      try {
        const blob = await v2.pushBlob('acme/shared', 'one copy for both servers');
        expect((await head(v2, 'acme/shared', blob.digest)).status).toBe(200);
        const lookups = vi.spyOn(t.registry.deps.metadata, 'findRepositoryBlob');
        expect((await head(other, 'acme/shared', blob.digest)).status).toBe(200);
        expect(lookups).not.toHaveBeenCalled();

        await other.request(`/v2/acme/shared/blobs/${blob.digest}`, { method: 'DELETE' });

        expect((await head(v2, 'acme/shared', blob.digest)).status).toBe(404);
      } finally {
        await Promise.all([t.close(), first.close(), second.close()]);
      }
    });
  },
);
