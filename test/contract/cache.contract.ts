import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Cache } from '../../shared/ports/cache.js';

export interface CacheUnderTest {
  cache: Cache;
  /** Lets `ms` pass for the cache: a test clock moved, or real time waited. */
  elapse(ms: number): Promise<void>;
}

/** What every `Cache` adapter must do; run by `cache.test.ts` on each. */
export function cacheContract(make: () => Promise<CacheUnderTest>) {
  let t: CacheUnderTest;
  beforeEach(async () => {
    t = await make();
  });
  afterEach(async () => {
    await t.cache.close();
  });

  it('answers null for keys never set, in the order asked', async () => {
    await t.cache.set('b', 'two', 60_000);
    expect(await t.cache.getMany(['a', 'b', 'c'])).toEqual([null, 'two', null]);
    expect(await t.cache.getMany([])).toEqual([]);
  });

  it('keeps values exactly, and a later set replaces an earlier one', async () => {
    const value = JSON.stringify({ size: 12, locations: ['us-east-1', 'é✓'] });
    await t.cache.set('blob', value, 60_000);
    expect(await t.cache.getMany(['blob'])).toEqual([value]);
    await t.cache.set('blob', 'replaced', 60_000);
    expect(await t.cache.getMany(['blob'])).toEqual(['replaced']);
  });

  it('forgets an entry once its time to live has passed', async () => {
    await t.cache.set('short', 'gone soon', 40);
    await t.cache.set('long', 'still here', 60_000);
    await t.elapse(100);
    expect(await t.cache.getMany(['short', 'long'])).toEqual([null, 'still here']);
  });

  it('stores nothing for a time to live of zero', async () => {
    await t.cache.set('never', 'x', 0);
    expect(await t.cache.getMany(['never'])).toEqual([null]);
  });

  it('deletes several keys at once, and deleting a missing key is no error', async () => {
    await t.cache.set('x', '1', 60_000);
    await t.cache.set('y', '2', 60_000);
    await t.cache.set('z', '3', 60_000);
    await t.cache.delete(['x', 'z', 'missing']);
    await t.cache.delete([]);
    expect(await t.cache.getMany(['x', 'y', 'z'])).toEqual([null, '2', null]);
  });
}
