import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCache } from '../../shared/adapters/cache/redis-cache.js';
import { digestOf } from '../../shared/oci/digest.js';
import { skipUnlessAvailable } from '../support/harness.js';
import { createScratchDatabase } from '../support/postgres.js';
import { redisTestOptions, redisUrl } from '../support/redis.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

const databaseUrl = process.env.DATABASE_URL;

describe.skipIf(
  skipUnlessAvailable(Boolean(databaseUrl), 'DATABASE_URL (PostgreSQL)') ||
    skipUnlessAvailable(Boolean(redisUrl), 'REDIS_URL (Redis)'),
)('two servers sharing PostgreSQL and a Redis model cache (DATA_MODEL_CACHE_CONFIG)', () => {
  const redis = redisTestOptions();
  let work: string;
  let scratch: { url: string; drop: () => Promise<void> };
  let servers: ServerProcess[] = [];
  let observer: RedisCache;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-e2e-cache-'));
    scratch = await createScratchDatabase(databaseUrl!);
    const env = {
      // One storage directory for both, as servers behind a load balancer share a bucket.
      BERTH_DATA_DIR: join(work, 'data'),
      DATABASE_URL: scratch.url,
      BERTH_ACCESS_CONTROL: 'false',
      DATA_MODEL_CACHE_CONFIG: JSON.stringify({
        engine: 'redis',
        redis_config: {
          primary: { host: redis.host, port: redis.port, password: redis.password },
          key_prefix: redis.keyPrefix,
        },
      }),
    };
    // One after the other: the first start migrates the shared database.
    servers = [await startServerProcess(env), await startServerProcess(env)];
    observer = new RedisCache(redis);
    await observer.connect();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await observer?.close();
    await scratch?.drop();
    await rm(work, { recursive: true, force: true });
  });

  it("answers from the shared cache, and sees the other server's delete at once", async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const content = Buffer.from('a layer both servers serve');
    const digest = digestOf(content);
    const pushed = await fetch(`${a.url}/v2/acme/app/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: content,
    });
    expect(pushed.status).toBe(201);

    const fromB = await fetch(`${b.url}/v2/acme/app/blobs/${digest}`, { method: 'HEAD' });
    expect(fromB.status).toBe(200);
    expect(await (await fetch(`${b.url}/v2/acme/app/blobs/${digest}`)).text()).toBe(
      content.toString(),
    );
    // Server b's lookup is now in Redis, under the configured prefix.
    const [entry] = await observer.getMany([`blob:${digest}`]);
    expect(JSON.parse(entry!)).toEqual({
      size: content.length,
      placements: [{ location: 'local', key: null }],
    });

    const deleted = await fetch(`${a.url}/v2/acme/app/blobs/${digest}`, { method: 'DELETE' });
    expect(deleted.status).toBe(202);
    expect((await fetch(`${b.url}/v2/acme/app/blobs/${digest}`, { method: 'HEAD' })).status).toBe(
      404,
    );
  });
});
