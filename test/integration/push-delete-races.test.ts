import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../shared/oci/digest.js';
import { SCHEDULED_TASKS } from '../../shared/workers/scheduled-tasks.js';
import { createUser, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import {
  skipUnlessAvailable,
  stagedUploads,
  startTestRegistry,
  type TestRegistry,
} from '../support/harness.js';
import { imageManifest, V2Client } from '../support/v2-client.js';
import type { Descriptor } from '../../shared/oci/manifest.js';

/**
 * Pushes racing the deletion of their repository on CI's PostgreSQL, where
 * the two run on separate connections and their row locks meet. (Embedded
 * Postgres runs one connection, so there they only ever run in turn.)
 */
const databaseUrl = process.env.DATABASE_URL;
const skip = skipUnlessAvailable(Boolean(databaseUrl), 'DATABASE_URL (PostgreSQL)');

describe.skipIf(skip)('pushes racing repository deletion on PostgreSQL', () => {
  let t: TestRegistry;
  const ADMIN = `admin:${PASSWORD}`;
  beforeAll(async () => {
    t = await startTestRegistry({
      access: { enabled: true },
      storage: 'fs',
      postgresUrl: databaseUrl!,
      clockStartMs: Date.now(),
    });
    await createUser(t, 'admin');
  });
  afterAll(() => t?.close());

  /** Every way a push writes, against `name`, all at once. */
  function pushes(
    client: V2Client,
    name: string,
    round: number,
    config: Descriptor,
  ): Promise<Response>[] {
    const blob = randomBytes(4096);
    const digest = digestOf(blob);
    const monolithic = client.request(`/v2/${name}/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body: blob,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    const chunked = (async () => {
      const started = await client.request(`/v2/${name}/blobs/uploads/`, { method: 'POST' });
      if (started.status !== 202) return started;
      const other = randomBytes(4096);
      const location = started.headers.get('location')!;
      const patched = await client.request(location, {
        method: 'PATCH',
        body: other,
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      if (patched.status !== 202) return patched;
      const next = patched.headers.get('location')!;
      const separator = next.includes('?') ? '&' : '?';
      return client.request(`${next}${separator}digest=${digestOf(other)}`, { method: 'PUT' });
    })();
    const manifest = client.putManifest(
      name,
      `t${round}`,
      imageManifest(config, [], { annotations: { round: String(round) } }),
    );
    return [monolithic, chunked, manifest];
  }

  it('never answers 500, and leaves nothing behind that the sweeps do not remove', async () => {
    const client = new V2Client(t.app, ADMIN);
    const api = new ApiClient(t.app, { basic: ADMIN });
    const statuses: number[] = [];
    for (let round = 0; round < 24; round++) {
      const name = `admin/race${round}`;
      const pushed = await client.pushImage(name, 'base');
      // The delete goes first, and the pushes follow it by a varying moment,
      // so each step of a push meets the delete in some round.
      const deleted = api.delete(`/repository/${name}`);
      await new Promise((resolve) => setTimeout(resolve, round % 8));
      const inFlight = pushes(client, name, round, pushed.manifest.config as Descriptor);
      const [responses, deletion] = await Promise.all([Promise.all(inFlight), deleted]);
      if (deletion.status !== 204)
        throw new Error(`delete: ${deletion.status} ${JSON.stringify(deletion.body)}`);
      for (const response of responses) {
        statuses.push(response.status);
        if (response.status >= 500) throw new Error(`${response.status} ${await response.text()}`);
      }
      // A push that reached the registry after the delete had finished makes the
      // repository anew, as a first push does; only then may it exist again.
      if ((await api.get(`/repository/${name}`)).status !== 404) {
        expect(responses.some((r) => r.status >= 200 && r.status < 300)).toBe(true);
        expect((await api.delete(`/repository/${name}`)).status).toBe(204);
      }
      expect((await api.get(`/repository/${name}`)).status).toBe(404);
    }
    expect(statuses.every((s) => s < 500)).toBe(true);

    t.clock.advance(2 * 60 * 60 * 1000);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await SCHEDULED_TASKS['garbage-collection'](t.workers);
    await SCHEDULED_TASKS['remove-abandoned-uploads'](t.workers);
    const store = t.stores.get('local')!;
    expect(await stagedUploads(store)).toEqual([]);
    const left = await store.listStored('blobs', null, 1000);
    expect(left.objects).toEqual([]);
  });
});
