import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../shared/oci/digest.js';
import { MediaType } from '../../shared/oci/media-types.js';
import { createUser, identity, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { V2Client } from '../support/v2-client.js';

/** What the web console asks of `/api/v1` beyond what Quay scripts use. */
describe('REST API v1: what the console reads', () => {
  let t: TestRegistry;
  let owner: ApiClient;
  let admin: ApiClient;
  let v2: V2Client;
  let image: string;
  let index: string;

  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true, superusers: ['root'] } });
    await createUser(t, 'olivia');
    await createUser(t, 'root');
    owner = new ApiClient(t.app, { basic: `olivia:${PASSWORD}` });
    admin = new ApiClient(t.app, { basic: `root:${PASSWORD}` });
    v2 = new V2Client(t.app, `olivia:${PASSWORD}`);
    const pushed = await v2.pushImage('olivia/app', 'web-1.0', { layer: 'one' });
    image = pushed.descriptor.digest;
    for (const tag of ['web-2.0', 'db-1.0', 'x_y']) {
      await v2.putManifest('olivia/app', tag, pushed.manifest);
    }
    const bytes = Buffer.from(JSON.stringify(pushed.manifest));
    const list = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        {
          mediaType: MediaType.ociManifest,
          digest: digestOf(bytes),
          size: bytes.byteLength,
          platform: { architecture: 'arm64', os: 'linux', variant: 'v8' },
        },
        {
          mediaType: MediaType.ociManifest,
          digest: digestOf(bytes),
          size: bytes.byteLength,
          platform: { architecture: 'amd64', os: 'linux' },
        },
      ],
    };
    expect((await v2.putManifest('olivia/app', 'multi', list, MediaType.ociIndex)).status).toBe(
      201,
    );
    index = digestOf(Buffer.from(JSON.stringify(list)));
    await owner.post(`/repository/olivia/app/manifest/${image}/labels`, {
      key: 'team',
      value: 'web',
    });
  });
  afterAll(() => t.close());

  it('filters a page of tags by name on the server, as Quay’s filter_tag_name does', async () => {
    const like = await owner.get(
      '/repository/olivia/app/tag/?onlyActiveTags=true&filter_tag_name=like:WEB',
    );
    expect(like.status).toBe(200);
    expect(like.body.tags.map((x: { name: string }) => x.name).sort()).toEqual([
      'web-1.0',
      'web-2.0',
    ]);
    // `_` is a character to find, not a wildcard.
    const underscore = await owner.get('/repository/olivia/app/tag/?filter_tag_name=like:_');
    expect(underscore.body.tags.map((x: { name: string }) => x.name)).toEqual(['x_y']);
    const eq = await owner.get('/repository/olivia/app/tag/?filter_tag_name=eq:db-1.0');
    expect(eq.body.tags.map((x: { name: string }) => x.name)).toEqual(['db-1.0']);
    expect((await owner.get('/repository/olivia/app/tag/?filter_tag_name=web')).status).toBe(400);
  });

  it('lists each tag with its labels, and an index with the platforms it holds', async () => {
    const { body } = await owner.get('/repository/olivia/app/tag/?onlyActiveTags=true');
    const byName = Object.fromEntries(body.tags.map((x: { name: string }) => [x.name, x]));
    expect(byName['web-1.0'].labels).toEqual([{ key: 'team', value: 'web' }]);
    expect(byName['web-1.0'].platforms).toBeUndefined();
    expect(byName.multi.manifest_digest).toBe(index);
    expect(byName.multi.labels).toEqual([]);
    expect(byName.multi.platforms).toEqual([
      expect.objectContaining({ os: 'linux', architecture: 'arm64', variant: 'v8', digest: image }),
      expect.objectContaining({ os: 'linux', architecture: 'amd64', variant: null, digest: image }),
    ]);
  });

  it('lists a manifest’s referrers', async () => {
    const signature = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
      config: {
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: (await v2.pushBlob('olivia/app', '{}', 'application/vnd.oci.empty.v1+json')).digest,
        size: 2,
      },
      layers: [await v2.pushBlob('olivia/app', 'signature', 'application/octet-stream')],
      subject: { mediaType: MediaType.ociManifest, digest: image, size: 1 },
      annotations: { 'org.example.kind': 'signature' },
    };
    expect(
      (
        await v2.putManifest(
          'olivia/app',
          digestOf(Buffer.from(JSON.stringify(signature))),
          signature,
        )
      ).status,
    ).toBe(201);
    const { status, body } = await owner.get(`/repository/olivia/app/manifest/${image}/referrers`);
    expect(status).toBe(200);
    expect(body.referrers).toEqual([
      expect.objectContaining({
        artifact_type: 'application/vnd.dev.cosign.artifact.sig.v1+json',
        annotations: { 'org.example.kind': 'signature' },
      }),
    ]);
    // A private repository and one that does not exist answer alike.
    const stranger = new ApiClient(t.app);
    expect((await stranger.get(`/repository/olivia/app/manifest/${image}/referrers`)).status).toBe(
      404,
    );
  });

  it('tells anyone an OAuth application’s name and owner, for the consent page', async () => {
    await owner.post('/organization/', { name: 'corp' });
    const created = await owner.post('/organization/corp/applications', {
      name: 'Dashboard',
      description: 'shows builds',
      application_uri: 'https://dash.example',
      redirect_uri: 'https://dash.example/cb',
    });
    const info = await new ApiClient(t.app).get(`/app/${created.body.client_id}`);
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({
      name: 'Dashboard',
      description: 'shows builds',
      uri: 'https://dash.example',
      organization: { name: 'corp' },
    });
    expect(JSON.stringify(info.body)).not.toContain('secret');
    expect((await new ApiClient(t.app).get('/app/nope')).status).toBe(404);
  });

  it('lists repositories with when they last changed, filtered by name on the server', async () => {
    await v2.pushImage('olivia/other', 'v1');
    const { status, body } = await owner.get('/repository?namespace=olivia&filter=APP');
    expect(status).toBe(200);
    expect(body.repositories).toEqual([
      expect.objectContaining({
        namespace: 'olivia',
        name: 'app',
        last_modified: expect.any(Number),
      }),
    ]);
    const tagged = await owner.get('/repository/olivia/app/tag/?onlyActiveTags=true');
    expect(body.repositories[0].last_modified).toBe(
      Math.max(...tagged.body.tags.map((x: { start_ts: number }) => x.start_ts)),
    );
  });

  it('lists organizations for superusers only', async () => {
    await owner.post('/organization/', { name: 'acme' });
    const listed = await admin.get('/superuser/organizations/');
    expect(listed.status).toBe(200);
    expect(listed.body.organizations.map((o: { name: string }) => o.name)).toEqual(
      expect.arrayContaining(['acme', 'corp']),
    );
    expect((await owner.get('/superuser/organizations/')).status).toBe(403);
  });

  it('lists the repositories a robot has a role on', async () => {
    const olivia = (await t.access.deps.store.findAccount('olivia'))!;
    await owner.put('/user/robots/ci');
    await identity(t).repos.setPermission(
      t.access.authenticator.principalFor(olivia),
      'olivia/app',
      'account',
      'olivia+ci',
      'write',
    );
    const { status, body } = await owner.get('/user/robots/ci/permissions');
    expect(status).toBe(200);
    expect(body.permissions).toEqual([
      { repository: { name: 'app', is_public: false }, role: 'write' },
    ]);
    expect((await admin.get('/user/robots/ci/permissions')).status).toBe(404);
  });
});
