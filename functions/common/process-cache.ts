import { MemoryCache } from '../../shared/adapters/cache/memory-cache.js';
import { ConfigError, type CacheConfig } from '../../shared/config/config.js';
import type { Cache } from '../../shared/ports/cache.js';

/** Entries a process-local cache keeps: a blob lookup is about 200 bytes. */
const PROCESS_CACHE_ENTRIES = 10_000;

/**
 * The cache of a process that cannot reach Redis (a Lambda, outside any
 * VPC): its own memory, which lives as long as the warm instance.
 */
export function processCache(config: CacheConfig, where: string): Cache {
  if (config.engine === 'redis') {
    throw new ConfigError(`DATA_MODEL_CACHE_CONFIG: engine redis is not available ${where}`);
  }
  return new MemoryCache(config.engine === 'noop' ? 0 : PROCESS_CACHE_ENTRIES);
}
