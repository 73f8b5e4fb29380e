import type { CacheConfig } from '../../shared/config/config.js';
import type { Cache } from '../../shared/ports/cache.js';
import { processCache } from './process-cache.js';

/**
 * The cache of a long-running server: Redis when configured (shared by every
 * server of the registry, so one server's delete is every server's miss),
 * else the process's memory. A Redis that is down costs speed, not service.
 */
export async function cacheFromConfig(config: CacheConfig): Promise<Cache> {
  if (config.engine !== 'redis' || !config.redis) return processCache(config, 'here');
  // Loaded only when asked for: the client costs memory and start-up time.
  const { RedisCache } = await import('../../shared/adapters/cache/redis-cache.js');
  const cache = new RedisCache({
    ...config.redis,
    onUnavailable: (error) =>
      console.warn(`[berth] cache unavailable, reading the database instead: ${error.message}`),
  });
  await cache.connect();
  return cache;
}
