import { randomUUID } from 'node:crypto';
import { RedisCache, type RedisCacheOptions } from '../../shared/adapters/cache/redis-cache.js';

/** The Redis the integration tiers use (CI sets it; locally, export it to run them). */
export const redisUrl = process.env.REDIS_URL;

/** `REDIS_URL` as the cache's options, under a key prefix of this run's own. */
export function redisTestOptions(): RedisCacheOptions & { keyPrefix: string } {
  if (!redisUrl) throw new Error('REDIS_URL is not set');
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    password: url.password ? decodeURIComponent(url.password) : undefined,
    tls: url.protocol === 'rediss:',
    keyPrefix: `berth-test:${randomUUID()}:`,
  };
}

/** A connected cache on the test Redis, its keys apart from every other test's. */
export async function connectTestRedisCache(): Promise<RedisCache> {
  const cache = new RedisCache(redisTestOptions());
  if (!(await cache.connect())) throw new Error(`cannot reach Redis at ${redisUrl}`);
  return cache;
}
