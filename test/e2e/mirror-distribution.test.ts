import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  distributionAvailable,
  startDistribution,
  type DistributionRegistry,
} from '../support/distribution.js';
import { skipUnlessAvailable } from '../support/harness.js';
import { quayDate } from '../support/mirroring.js';
import { OciLayout, readLayoutIndex } from '../support/oci-layout.js';
import { skopeo, skopeoAvailable } from '../support/registry-clients.js';
import { serverApi, startServerProcess, type ServerProcess } from '../support/server-process.js';

const skip =
  skipUnlessAvailable(skopeoAvailable(), 'skopeo') ||
  skipUnlessAvailable(distributionAvailable(), 'docker-registry');

const ADMIN = { BERTH_SUPERUSER: 'admin', BERTH_SUPERUSER_PASSWORD: 'e2e-admin-password' };
const CREDS = `${ADMIN.BERTH_SUPERUSER}:${ADMIN.BERTH_SUPERUSER_PASSWORD}`;

/**
 * `npm start` mirroring from CNCF distribution: the server's own scheduler
 * and job consumers do the work, skopeo fills the upstream and checks what
 * arrives.
 */
describe.skipIf(skip)('mirroring from CNCF distribution with `npm start`', () => {
  let work: string;
  let upstream: DistributionRegistry;
  let server: ServerProcess;

  const api = serverApi(() => server!, CREDS);

  /** Waits for the server's worker to end a sync after `afterMs` (the status is what a user watches). */
  const syncEndedAfter = async (afterMs: number, repository = 'mirrors/app') => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { body } = await api('GET', `/repository/${repository}/mirror`);
      const ended = body.last_sync_date ? Date.parse(body.last_sync_date) : 0;
      if (
        ended >= Math.floor(afterMs / 1000) * 1000 &&
        ['SUCCESS', 'FAIL'].includes(body.sync_status)
      ) {
        return body;
      }
      if (Date.now() > deadline) throw new Error(`no sync ended: ${JSON.stringify(body)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  const pushUpstream = async (tag: string, layerSizes: number[]) => {
    const layout = await OciLayout.create(join(work, `src-${tag}`));
    const layers = [];
    for (const size of layerSizes) layers.push(await layout.addLayer(size));
    await layout.tag(await layout.addImage(layers), tag);
    await skopeo(
      'copy',
      '--preserve-digests',
      `oci:${layout.dir}:${tag}`,
      `docker://${upstream.host}/library/app:${tag}`,
    );
  };
  const digestOf = async (reference: string, creds?: string) =>
    JSON.parse(await skopeo('inspect', ...(creds ? ['--creds', creds] : []), reference))
      .Digest as string;
  const tagsOf = async (reference: string, creds?: string) =>
    (
      JSON.parse(await skopeo('list-tags', ...(creds ? ['--creds', creds] : []), reference))
        .Tags as string[]
    ).sort();

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-mirror-e2e-'));
    upstream = await startDistribution(join(work, 'upstream'));
    server = await startServerProcess({
      ...ADMIN,
      BERTH_DATA_DIR: join(work, 'data'),
      BERTH_MIRROR_ALLOWED_HOSTS: '127.0.0.1',
      // Hourly: the syncs below run because they were asked for, not because the scheduler ticked.
      REPO_MIRROR_INTERVAL: '3600',
    });
    expect((await api('POST', '/organization/', { name: 'mirrors' })).status).toBe(201);
    expect((await api('PUT', '/organization/mirrors/robots/sync', {})).status).toBe(201);
    expect(
      (
        await api('POST', '/repository', {
          namespace: 'mirrors',
          repository: 'app',
          visibility: 'private',
          description: 'mirror of library/app',
        })
      ).status,
    ).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await upstream?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('mirrors the matching tags with their digests, then follows additions and removals', async () => {
    // Prepare
    await pushUpstream('1.0', [4096, 70_000]);
    await pushUpstream('1.1', [5000]);
    await pushUpstream('edge', [100]);
    const startedAt = Date.now();

    // Act
    const created = await api('POST', '/repository/mirrors/app/mirror', {
      external_reference: `${upstream.host}/library/app`,
      sync_interval: 3600,
      sync_start_date: quayDate(Date.now() - 1000),
      robot_username: 'mirrors+sync',
      root_rule: { rule_kind: 'tag_glob_csv', rule_value: ['1.*'] },
      external_registry_config: { verify_tls: false },
    });
    const first = await syncEndedAfter(startedAt);

    // Assess
    expect(created.status).toBe(201);
    expect(first.sync_status, first.last_sync_error).toBe('SUCCESS');
    // As in Quay, the mirror's robot may now write the repository it fills.
    const permissions = await api('GET', '/repository/mirrors/app/permissions/user/');
    expect(permissions.body.permissions['mirrors+sync']).toMatchObject({ role: 'write' });
    const mirrored = `docker://${server.host}/mirrors/app`;
    expect(await tagsOf(mirrored, CREDS)).toEqual(['1.0', '1.1']);
    for (const tag of ['1.0', '1.1']) {
      expect(await digestOf(`${mirrored}:${tag}`, CREDS)).toBe(
        await digestOf(`docker://${upstream.host}/library/app:${tag}`),
      );
    }
    const pulled = join(work, 'pulled');
    await skopeo('copy', '--src-creds', CREDS, `${mirrored}:1.0`, `oci:${pulled}:pulled`);
    expect((await readLayoutIndex(pulled)).manifests[0]!.digest).toBe(
      await digestOf(`docker://${upstream.host}/library/app:1.0`),
    );

    // Act: upstream changes, then a sync on demand.
    await pushUpstream('1.2', [6000]);
    await skopeo('delete', `docker://${upstream.host}/library/app:1.0`);
    const again = Date.now();
    expect((await api('POST', '/repository/mirrors/app/mirror/sync-now')).status).toBe(204);
    const second = await syncEndedAfter(again);

    // Assess
    expect(second.sync_status, second.last_sync_error).toBe('SUCCESS');
    expect(await tagsOf(mirrored, CREDS)).toEqual(['1.1', '1.2']);
    expect(await digestOf(`${mirrored}:1.2`, CREDS)).toBe(
      await digestOf(`docker://${upstream.host}/library/app:1.2`),
    );
  }, 120_000);

  it('refuses a manual push to the mirror', async () => {
    const layout = await OciLayout.create(join(work, 'manual'));
    await layout.tag(await layout.addImage([await layout.addLayer(1000)]), 'manual');

    await expect(
      skopeo(
        'copy',
        '--dest-creds',
        CREDS,
        `oci:${layout.dir}:manual`,
        `docker://${server.host}/mirrors/app:manual`,
      ),
    ).rejects.toThrow(/denied|mirror/i);
  });

  it('says in words that a plain-HTTP upstream needs verify_tls false', async () => {
    const repository = { namespace: 'mirrors', repository: 'tls', visibility: 'private' };
    expect((await api('POST', '/repository', { ...repository, description: '' })).status).toBe(201);
    const at = Date.now();
    const created = await api('POST', '/repository/mirrors/tls/mirror', {
      external_reference: `${upstream.host}/library/app`,
      sync_interval: 3600,
      sync_start_date: quayDate(Date.now() - 1000),
      robot_username: 'mirrors+sync',
      root_rule: { rule_kind: 'tag_glob_csv', rule_value: ['1.*'] },
      external_registry_config: { verify_tls: true },
    });
    expect(created.status).toBe(201);
    const failed = await syncEndedAfter(at, 'mirrors/tls');
    expect(failed.sync_status).toBe('FAIL');
    expect(failed.last_sync_error).toContain(
      'the upstream answered plain HTTP, not TLS; set verify_tls to false',
    );
    expect(failed.last_sync_error).not.toContain('ssl3_get_record');
  }, 120_000);

  it('reports FAIL with a readable reason when the upstream is down', async () => {
    await upstream.stop();
    const at = Date.now();

    expect((await api('POST', '/repository/mirrors/app/mirror/sync-now')).status).toBe(204);
    const failed = await syncEndedAfter(at);

    expect(failed.sync_status).toBe('FAIL');
    expect(failed.last_sync_error).toMatch(/unreachable|ECONNREFUSED/);
    expect(await tagsOf(`docker://${server.host}/mirrors/app`, CREDS)).toEqual(['1.1', '1.2']);
  }, 120_000);
});
