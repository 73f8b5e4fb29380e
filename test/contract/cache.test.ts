import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../../shared/adapters/cache/memory-cache.js';
import { RedisCache } from '../../shared/adapters/cache/redis-cache.js';
import { FixedClock, skipUnlessAvailable } from '../support/harness.js';
import { connectTestRedisCache, redisUrl } from '../support/redis.js';
import { cacheContract } from './cache.contract.js';

describe('MemoryCache', () => {
  cacheContract(async () => {
    const clock = new FixedClock();
    return { cache: new MemoryCache(100, clock), elapse: async (ms) => clock.advance(ms) };
  });

  it('evicts the least recently used entry beyond its bound', async () => {
    const cache = new MemoryCache(2);
    await cache.set('a', '1', 60_000);
    await cache.set('b', '2', 60_000);
    await cache.getMany(['a']);
    await cache.set('c', '3', 60_000);
    expect(await cache.getMany(['a', 'b', 'c'])).toEqual(['1', null, '3']);
    expect(cache.size).toBe(2);
  });

  it('keeps nothing when bounded at zero entries (the noop engine)', async () => {
    const cache = new MemoryCache(0);
    await cache.set('a', '1', 60_000);
    expect(await cache.getMany(['a'])).toEqual([null]);
  });
});

describe.skipIf(skipUnlessAvailable(Boolean(redisUrl), 'REDIS_URL (Redis)'))('RedisCache', () => {
  cacheContract(async () => ({
    cache: await connectTestRedisCache(),
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  }));

  it('keeps registries with different key prefixes apart', async () => {
    const [one, two] = [await connectTestRedisCache(), await connectTestRedisCache()];
    try {
      await one.set('blob:sha256:aa', 'one', 60_000);
      expect(await two.getMany(['blob:sha256:aa'])).toEqual([null]);
      await two.delete(['blob:sha256:aa']);
      expect(await one.getMany(['blob:sha256:aa'])).toEqual(['one']);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});

/**
 * A Redis that hangs: it answers the client's handshake (CLIENT, INFO) and then
 * never answers a command. With `answer: false` it answers nothing at all.
 */
async function hangingRedis(answer = true): Promise<{ server: Server; port: number }> {
  const info = '# Server\r\nloading:0\r\n';
  const server = createServer((socket) => {
    socket.on('data', (data) => {
      if (!answer) return;
      // Each command is an array whose first element is its name.
      for (const [, name] of data.toString().matchAll(/\*\d+\r\n\$\d+\r\n(\w+)/g)) {
        const command = name!.toUpperCase();
        if (command === 'INFO') socket.write(`$${Buffer.byteLength(info)}\r\n${info}\r\n`);
        else if (command === 'CLIENT') socket.write('+OK\r\n');
        else return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

describe('RedisCache when Redis is unreachable', () => {
  it('answers misses at once and ignores writes when nothing listens', async () => {
    const { server, port } = await hangingRedis(false);
    await new Promise((resolve) => server.close(resolve));
    const outages: Error[] = [];
    const cache = new RedisCache({
      host: '127.0.0.1',
      port,
      onUnavailable: (error) => outages.push(error),
    });
    try {
      expect(await cache.connect()).toBe(false);
      expect(await cache.getMany(['a', 'b'])).toEqual([null, null]);
      await cache.set('a', '1', 60_000);
      await cache.delete(['a']);
      expect(await cache.getMany(['a'])).toEqual([null]);
      expect(outages).toHaveLength(1);
    } finally {
      await cache.close();
    }
  });

  it('gives up on a command after its timeout when Redis stops answering', async () => {
    const { server, port } = await hangingRedis();
    const outages: Error[] = [];
    const cache = new RedisCache({
      host: '127.0.0.1',
      port,
      commandTimeoutMs: 100,
      onUnavailable: (error) => outages.push(error),
    });
    try {
      expect(await cache.connect()).toBe(true);
      expect(await cache.getMany(['a'])).toEqual([null]);
      await cache.set('a', '1', 60_000);
      expect(outages).toHaveLength(1);
      expect(outages[0]!.message).toMatch(/timed out/i);
    } finally {
      await cache.close();
      server.close();
    }
  });
});
