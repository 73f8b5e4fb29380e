import { expect } from 'vitest';
import type { TestRegistry } from './harness.js';

/** Asserts that every kept size equals a recount from scratch; returns the sizes by name. */
export async function expectSizesMatchRecount(t: TestRegistry): Promise<Record<string, number>> {
  const { quota } = t.workers;
  const sizes: Record<string, number> = {};
  const repositories = await t.db.selectFrom('repository').select(['id', 'name']).execute();
  for (const r of repositories) {
    const kept = await quota.repositorySize(r.id);
    expect(kept, r.name).toEqual({
      sizeBytes: await quota.recount({ repositoryId: r.id }),
      backfilled: true,
    });
    sizes[r.name] = kept.sizeBytes;
  }
  const namespaces = await t.db
    .selectFrom('account')
    .select(['id', 'name'])
    .where('kind', '!=', 'robot')
    .execute();
  for (const n of namespaces) {
    const kept = await quota.namespaceSize(n.id);
    expect(kept, n.name).toEqual({
      sizeBytes: await quota.recount({ namespaceId: n.id }),
      backfilled: true,
    });
    sizes[n.name] = kept.sizeBytes;
  }
  return sizes;
}
