import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeAbandonedUploads } from '../../shared/workers/abandoned-uploads.js';
import { stagedUploads, startTestRegistry, type TestRegistry } from '../support/harness.js';
import { errorCode, V2Client } from '../support/v2-client.js';

let t: TestRegistry;
let v2: V2Client;
beforeAll(async () => {
  // Another region's bucket: read here, written (and cleaned) only by that region's servers.
  t = await startTestRegistry({
    storage: 'fs',
    extraLocations: ['elsewhere'],
    writableLocations: ['local'],
  });
  v2 = new V2Client(t.app);
});
afterAll(() => t.close());

const HOUR = 60 * 60 * 1000;

async function startUpload(name: string, bytes: string): Promise<{ location: string; id: string }> {
  const started = await v2.request(`/v2/${name}/blobs/uploads/`, { method: 'POST' });
  const location = started.headers.get('location')!;
  await v2.request(location, { method: 'PATCH', body: bytes });
  return { location, id: new URL(location, 'http://registry').pathname.split('/').pop()! };
}

describe('removing abandoned uploads', () => {
  it('removes sessions untouched for a day, bytes and all, and keeps the others', async () => {
    const abandoned = await startUpload('janitor/app', 'left behind');
    t.clock.advance(20 * HOUR);
    const active = await startUpload('janitor/app', 'still going');
    t.clock.advance(5 * HOUR);

    expect(await removeAbandonedUploads(t.registry.deps)).toBe(1);

    const gone = await v2.request(abandoned.location);
    expect(gone.status).toBe(404);
    expect(await errorCode(gone)).toBe('BLOB_UPLOAD_UNKNOWN');
    expect(await stagedUploads(t.stores.get('local')!)).not.toContain(abandoned.id);

    const kept = await v2.request(active.location);
    expect(kept.status).toBe(204);
    expect(kept.headers.get('range')).toBe('0-10');
    expect(await removeAbandonedUploads(t.registry.deps)).toBe(0);
  });

  it('counts an upload as active from its last chunk, not its start', async () => {
    const { location } = await startUpload('janitor/slow', 'first chunk, ');
    t.clock.advance(23 * HOUR);
    await v2.request(location, { method: 'PATCH', body: 'a chunk a day later' });
    t.clock.advance(2 * HOUR);
    await removeAbandonedUploads(t.registry.deps);
    expect((await v2.request(location)).status).toBe(204);
  });

  it('leaves sessions staged in a location this server does not write to the servers that do', async () => {
    const { id } = await startUpload('janitor/remote', 'staged here');
    await t.db
      .updateTable('blob_upload')
      .set({ location: 'elsewhere' })
      .where('id', '=', id)
      .execute();
    t.clock.advance(48 * HOUR);
    await removeAbandonedUploads(t.registry.deps);
    const row = await t.db
      .selectFrom('blob_upload')
      .select('id')
      .where('id', '=', id)
      .executeTakeFirst();
    expect(row).toEqual({ id });
  });
});

describe('removing abandoned uploads where a server writes several locations', () => {
  it('sweeps each of them: an upload that failed over to the second is removed there too', async () => {
    const both = await startTestRegistry({ storage: 'fs', extraLocations: ['elsewhere'] });
    try {
      const client = new V2Client(both.app);
      const started = await client.request('/v2/janitor/both/blobs/uploads/', { method: 'POST' });
      const id = started.headers.get('location')!.split('/').pop()!;
      await both.db
        .updateTable('blob_upload')
        .set({ location: 'elsewhere' })
        .where('id', '=', id)
        .execute();
      await both.stores.get('elsewhere')!.startUpload(id);
      both.clock.advance(48 * HOUR);
      expect(await removeAbandonedUploads(both.registry.deps)).toBe(1);
      expect(await stagedUploads(both.stores.get('elsewhere')!)).toEqual([]);
    } finally {
      await both.close();
    }
  });
});
