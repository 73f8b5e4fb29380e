import { Redis } from 'ioredis';
import type { Cache } from '../../ports/cache.js';

export interface RedisCacheOptions {
  host: string;
  port: number;
  password?: string | undefined;
  tls?: boolean;
  /** Prepended to every key, so registries (or test runs) can share one Redis. */
  keyPrefix?: string;
  /** A command that takes longer counts as a miss; the cache must never slow a request much. */
  commandTimeoutMs?: number;
  /** Told when the cache becomes unreachable (once per outage, not once per command). */
  onUnavailable?: (error: Error) => void;
}

/**
 * A cache shared by every process of a registry (Quay's `DATA_MODEL_CACHE_CONFIG`
 * engine `redis`). Commands are never queued while disconnected: a cache
 * that is down answers misses at once, and ioredis reconnects behind it.
 */
export class RedisCache implements Cache {
  private readonly redis: Redis;
  private healthy = true;

  constructor(readonly options: RedisCacheOptions) {
    this.redis = new Redis({
      host: options.host,
      port: options.port,
      ...(options.password ? { password: options.password } : {}),
      ...(options.tls ? { tls: {} } : {}),
      keyPrefix: options.keyPrefix ?? 'berth:',
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 250,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
    });
    this.redis.on('error', (error: Error) => this.unavailable(error));
    this.redis.on('ready', () => {
      this.healthy = true;
    });
  }

  /** Connects; resolves either way, since a missing cache only costs speed. */
  async connect(): Promise<boolean> {
    try {
      await this.redis.connect();
      return true;
    } catch (error) {
      this.unavailable(error as Error);
      return false;
    }
  }

  async getMany(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    return this.attempt(
      () => this.redis.mget(keys),
      keys.map(() => null),
    );
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    if (ttlMs <= 0) return;
    await this.attempt(() => this.redis.set(key, value, 'PX', Math.ceil(ttlMs)), null);
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.attempt(() => this.redis.del(...keys), 0);
  }

  async close(): Promise<void> {
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => undefined);
    this.redis.disconnect();
  }

  private async attempt<T>(command: () => Promise<T>, fallback: T): Promise<T> {
    try {
      const result = await command();
      this.healthy = true;
      return result;
    } catch (error) {
      this.unavailable(error as Error);
      return fallback;
    }
  }

  private unavailable(error: Error): void {
    if (!this.healthy) return;
    this.healthy = false;
    this.options.onUnavailable?.(error);
  }
}
