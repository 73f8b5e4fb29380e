import { expect, it } from 'vitest';
import { digestOf } from '../../shared/oci/digest.js';
import type { MetadataStore, NewManifest } from '../../shared/ports/metadata-store.js';

const T0 = Date.UTC(2026, 0, 1);
const digest = (s: string) => digestOf(Buffer.from(s));

/** The behaviour every `MetadataStore` backend must have. `fresh` gives an empty store each time. */
export function metadataStoreContract(fresh: () => Promise<MetadataStore>): void {
  async function withBlobs(store: MetadataStore, name: string, ...blobs: string[]) {
    const repo = await store.ensureRepository(name, T0);
    for (const b of blobs) {
      await store.recordBlob(
        repo.id,
        { digest: digest(b), size: b.length, location: 'local', key: null },
        T0,
      );
    }
    return repo;
  }

  function manifest(
    repositoryId: number,
    content: string,
    extra: Partial<NewManifest> = {},
  ): NewManifest {
    return {
      repositoryId,
      digest: digest(content),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: Buffer.byteLength(content),
      layersSize: 0,
      content: Buffer.from(content),
      artifactType: null,
      subjectDigest: null,
      annotations: null,
      blobDigests: [],
      childDigests: [],
      tag: null,
      pushed: { repository: 'contract/repo', performer: null },
      nowMs: T0,
      ...extra,
    };
  }

  it('creates a repository once, however many callers race to create it', async () => {
    const store = await fresh();
    const created = await Promise.all(
      Array.from({ length: 8 }, () => store.ensureRepository('org/app', T0)),
    );
    expect(new Set(created.map((r) => r.id)).size).toBe(1);
    expect(await store.findRepository('org/app')).toEqual(created[0]);
    expect(await store.findRepository('org/other')).toBeNull();
  });

  it('lists repositories in byte order, page by page', async () => {
    const store = await fresh();
    for (const name of ['b', 'a/z', 'B', 'a', 'a-b']) await store.ensureRepository(name, T0);
    expect(await store.listRepositories({ limit: 10 })).toEqual(['B', 'a', 'a-b', 'a/z', 'b']);
    expect(await store.listRepositories({ limit: 2, after: 'a' })).toEqual(['a-b', 'a/z']);
  });

  it('links blobs into repositories and records every location that holds them', async () => {
    const store = await fresh();
    const a = await withBlobs(store, 'a', 'layer');
    const b = await store.ensureRepository('b', T0);
    expect(await store.findRepositoryBlob(b.id, digest('layer'))).toBeNull();
    expect(await store.linkBlob(b.id, digest('layer'), T0)).toBe(true);
    expect(await store.linkBlob(b.id, digest('never pushed'), T0)).toBe(false);
    const placed = await store.recordBlob(
      a.id,
      { digest: digest('layer'), size: 5, location: 'eu', key: 'blobs/uploaded/u9' },
      T0,
    );
    expect(placed).toEqual({ key: 'blobs/uploaded/u9' });
    // A later placement in the same location keeps the first one's key.
    expect(
      await store.recordBlob(
        a.id,
        { digest: digest('layer'), size: 5, location: 'eu', key: 'blobs/uploaded/u10' },
        T0,
      ),
    ).toEqual({ key: 'blobs/uploaded/u9' });
    expect(await store.findRepositoryBlob(b.id, digest('layer'))).toEqual({
      digest: digest('layer'),
      size: 5,
      placements: [
        { location: 'eu', key: 'blobs/uploaded/u9' },
        { location: 'local', key: null },
      ],
    });
    expect(await store.unlinkBlob(b.id, digest('layer'))).toBe(true);
    expect(await store.unlinkBlob(b.id, digest('layer'))).toBe(false);
    expect(await store.findRepositoryBlob(b.id, digest('layer'))).toBeNull();
    expect(await store.findBlob(digest('layer'))).not.toBeNull();
  });

  const session = (id: string, repositoryId: number, location = 'local', at = T0) => ({
    id,
    repositoryId,
    location,
    size: 0,
    createdAtMs: at,
    state: { multipartId: null, generation: 0 },
    digestState: new Uint8Array([1, 2, 3]),
  });
  const claim = (token: string, nowMs = T0, forMs = 60_000) => ({
    token,
    nowMs,
    untilMs: nowMs + forMs,
  });

  it('keeps upload sessions per repository, with their store and digest state', async () => {
    const store = await fresh();
    const repo = await store.ensureRepository('r', T0);
    const other = await store.ensureRepository('s', T0);
    await store.createUpload(session('u1', repo.id));
    expect(await store.findUpload(repo.id, 'u1')).toEqual(session('u1', repo.id));
    expect(await store.findUpload(other.id, 'u1')).toBeNull();
    expect(await store.claimUpload(other.id, 'u1', claim('t'))).toBeNull();
    expect(await store.deleteUpload('u1')).toEqual(session('u1', repo.id));
    expect(await store.findUpload(repo.id, 'u1')).toBeNull();
    expect(await store.deleteUpload('u1')).toBeNull();
  });

  it('lets one request at a time hold a session, until it commits, lets go, or its hold lapses', async () => {
    const store = await fresh();
    const repo = await store.ensureRepository('r', T0);
    await store.createUpload(session('u1', repo.id));
    const first = await store.claimUpload(repo.id, 'u1', claim('a'));
    expect(first).toMatchObject({ kind: 'claimed', upload: { size: 0 } });
    expect(await store.claimUpload(repo.id, 'u1', claim('b', T0 + 1))).toEqual({
      kind: 'busy',
      size: 0,
    });
    // Only the holder commits; the commit is one write of size, state and digest state.
    const append = { size: 7, state: { generation: 1 }, digestState: new Uint8Array([9]) };
    expect(await store.commitUploadAppend('u1', 'b', append, T0 + 2)).toBe(false);
    expect(await store.commitUploadAppend('u1', 'a', append, T0 + 2)).toBe(true);
    expect(await store.findUpload(repo.id, 'u1')).toMatchObject({
      size: 7,
      state: { generation: 1 },
      digestState: new Uint8Array([9]),
    });
    // Let go by the commit: the next request takes it, and renews its hold.
    expect(await store.claimUpload(repo.id, 'u1', claim('b', T0 + 3, 10))).toMatchObject({
      kind: 'claimed',
    });
    expect(await store.renewUploadClaim('u1', 'b', T0 + 100, T0 + 5)).toBe(true);
    expect(await store.renewUploadClaim('u1', 'a', T0 + 100, T0 + 5)).toBe(false);
    expect(await store.claimUpload(repo.id, 'u1', claim('c', T0 + 50))).toMatchObject({
      kind: 'busy',
    });
    // A process that died: its hold lapses and another request takes over.
    expect(await store.claimUpload(repo.id, 'u1', claim('c', T0 + 100))).toMatchObject({
      kind: 'claimed',
    });
    await store.releaseUpload('u1', 'c');
    expect(await store.claimUpload(repo.id, 'u1', claim('d', T0 + 101))).toMatchObject({
      kind: 'claimed',
    });
    expect(await store.claimUpload(repo.id, 'u1', claim('e', T0 + 103))).toMatchObject({
      kind: 'busy',
    });
    expect(await store.deleteUpload('u1', 'e')).toBeNull();
    expect(await store.deleteUpload('u1', 'd')).toMatchObject({ id: 'u1' });
  });

  it('publishes an upload atomically, only while its request holds it', async () => {
    const store = await fresh();
    const repo = await store.ensureRepository('r', T0);
    await store.createUpload(session('u1', repo.id), claim('a'));
    const blob = { digest: digest('layer'), size: 5, location: 'local', key: 'blobs/uploaded/u1' };
    expect(await store.publishUpload('u1', 'b', blob, T0)).toBeNull();
    expect(await store.findBlob(digest('layer'))).toBeNull();
    expect(await store.publishUpload('u1', 'a', blob, T0)).toEqual({ key: 'blobs/uploaded/u1' });
    expect(await store.findUpload(repo.id, 'u1')).toBeNull();
    expect(await store.findRepositoryBlob(repo.id, digest('layer'))).toMatchObject({
      placements: [{ location: 'local', key: 'blobs/uploaded/u1' }],
    });
    // A second upload of the same bytes learns which copy readers use.
    await store.createUpload(session('u2', repo.id), claim('z'));
    expect(await store.publishUpload('u2', 'z', { ...blob, key: 'blobs/uploaded/u2' }, T0)).toEqual(
      { key: 'blobs/uploaded/u1' },
    );
    // Into another repository: linked there too, with the copy recorded first.
    const other = await store.ensureRepository('s', T0);
    await store.createUpload(session('u3', other.id), claim('y'));
    expect(await store.findRepositoryBlob(other.id, digest('layer'))).toBeNull();
    expect(await store.publishUpload('u3', 'y', { ...blob, key: 'blobs/uploaded/u3' }, T0)).toEqual(
      { key: 'blobs/uploaded/u1' },
    );
    expect(await store.findRepositoryBlob(other.id, digest('layer'))).toMatchObject({
      placements: [{ location: 'local', key: 'blobs/uploaded/u1' }],
    });
  });

  it('lists stale upload sessions of one location, oldest first, and claims only untouched ones', async () => {
    const store = await fresh();
    const repo = await store.ensureRepository('r', T0);
    for (const [id, location, at] of [
      ['old', 'local', T0],
      ['older', 'local', T0 - 10],
      ['fresh', 'local', T0 + 100],
      ['remote', 'eu', T0 - 20],
    ] as const) {
      await store.createUpload(session(id, repo.id, location, at));
    }
    const stale = await store.listStaleUploads('local', T0 + 50, 10);
    expect(stale.map((u) => u.id)).toEqual(['older', 'old']);
    expect(await store.listStaleUploads('local', T0 + 50, 1)).toHaveLength(1);
    expect(await store.claimUpload(repo.id, 'fresh', claim('g', T0 + 200), T0 + 50)).toBeNull();
    expect(await store.claimUpload(repo.id, 'old', claim('g', T0 + 200), T0 + 50)).toMatchObject({
      kind: 'claimed',
    });
  });

  it('stores nothing when a manifest needs blobs or manifests the repository lacks', async () => {
    const store = await fresh();
    const repo = await withBlobs(store, 'r', 'config');
    const result = await store.putManifest(
      manifest(repo.id, 'm', {
        blobDigests: [digest('config'), digest('layer')],
        childDigests: [digest('child')],
        tag: 'latest',
      }),
    );
    expect(result).toEqual({
      stored: false,
      missingBlobs: [digest('layer')],
      missingManifests: [digest('child')],
    });
    expect(await store.findManifest(repo.id, digest('m'))).toBeNull();
    expect(await store.listTags(repo.id, { limit: 10 }, T0 + 100)).toEqual([]);
  });

  it('stores a manifest byte for byte and resolves its tag', async () => {
    const store = await fresh();
    const repo = await withBlobs(store, 'r', 'config');
    const content = '{"schemaVersion":2, "odd spacing": true}';
    await store.putManifest(
      manifest(repo.id, content, { blobDigests: [digest('config')], tag: 'v1' }),
    );
    const byTag = await store.resolveTag(repo.id, 'v1', T0 + 100);
    expect(Buffer.from(byTag!.content!).toString()).toBe(content);
    expect(byTag!.content).toBeInstanceOf(Uint8Array);
    expect(byTag).toEqual(await store.findManifest(repo.id, digest(content)));
  });

  it('keeps a manifest whose bytes are in blob storage, with its size', async () => {
    const store = await fresh();
    const repo = await withBlobs(store, 'r', 'large manifest bytes');
    await store.putManifest(
      manifest(repo.id, 'large manifest bytes', {
        content: null,
        size: 70_000,
        blobDigests: [digest('large manifest bytes')],
        tag: 'big',
      }),
    );
    expect(await store.resolveTag(repo.id, 'big', T0 + 100)).toMatchObject({
      digest: digest('large manifest bytes'),
      size: 70_000,
      content: null,
    });
  });

  it('moves tags while keeping their history', async () => {
    const store = await fresh();
    const repo = await store.ensureRepository('r', T0);
    await store.putManifest(manifest(repo.id, 'one', { tag: 'latest', nowMs: T0 }));
    await store.putManifest(manifest(repo.id, 'one', { tag: 'latest', nowMs: T0 + 1 }));
    await store.putManifest(manifest(repo.id, 'two', { tag: 'latest', nowMs: T0 + 2 }));
    expect((await store.resolveTag(repo.id, 'latest', T0 + 100))!.digest).toBe(digest('two'));
    expect(await store.deleteTag(repo.id, 'latest', T0 + 3)).toBe(true);
    expect(await store.deleteTag(repo.id, 'latest', T0 + 4)).toBe(false);
    expect(await store.resolveTag(repo.id, 'latest', T0 + 100)).toBeNull();
    expect(await store.tagHistory(repo.id, 'latest')).toEqual([
      { name: 'latest', manifestDigest: digest('two'), startMs: T0 + 2, endMs: T0 + 3 },
      { name: 'latest', manifestDigest: digest('one'), startMs: T0, endMs: T0 + 2 },
    ]);
  });

  it('keeps one live tag when many pushes move it at once', async () => {
    const store = await fresh();
    const repo = await store.ensureRepository('r', T0);
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.putManifest(manifest(repo.id, `m${i}`, { tag: 'hot', nowMs: T0 + i })),
      ),
    );
    expect(await store.listTags(repo.id, { limit: 10 }, T0 + 100)).toEqual(['hot']);
    const history = await store.tagHistory(repo.id, 'hot');
    expect(history.filter((h) => h.endMs === null)).toHaveLength(1);
  });

  it('deletes a manifest by ending all its tags, and brings it back on re-push', async () => {
    const store = await fresh();
    const repo = await store.ensureRepository('r', T0);
    await store.putManifest(manifest(repo.id, 'm', { tag: 'a' }));
    await store.putManifest(manifest(repo.id, 'm', { tag: 'b' }));
    expect(await store.deleteManifest(repo.id, digest('m'), T0 + 5)).toBe(true);
    expect(await store.deleteManifest(repo.id, digest('m'), T0 + 6)).toBe(false);
    expect(await store.findManifest(repo.id, digest('m'))).toBeNull();
    expect(await store.listTags(repo.id, { limit: 10 }, T0 + 100)).toEqual([]);
    expect((await store.tagHistory(repo.id, 'a'))[0]!.endMs).toBe(T0 + 5);
    await store.putManifest(manifest(repo.id, 'm'));
    expect(await store.findManifest(repo.id, digest('m'))).not.toBeNull();
  });

  it('points tags at existing manifests only, and reports what changed', async () => {
    const store = await fresh();
    const repo = await store.ensureRepository('r', T0);
    await store.putManifest(manifest(repo.id, 'one'));
    await store.putManifest(manifest(repo.id, 'two'));
    expect(await store.setTag(repo.id, 't', digest('absent'), T0 + 1)).toBe('no-manifest');
    expect(await store.setTag(repo.id, 't', digest('one'), T0 + 1)).toBe('created');
    expect(await store.setTag(repo.id, 't', digest('one'), T0 + 2)).toBe('unchanged');
    expect(await store.setTag(repo.id, 't', digest('two'), T0 + 3)).toBe('moved');
    const entries = await store.listTagEntries(repo.id, {
      onlyActive: false,
      nowMs: T0 + 4,
      offset: 0,
      limit: 10,
    });
    expect(entries.map((e) => [e.manifestDigest, e.startMs, e.endMs])).toEqual([
      [digest('two'), T0 + 3, null],
      [digest('one'), T0 + 1, T0 + 3],
    ]);
  });

  it('stops resolving a tag once its expiry passes, and keeps it as history', async () => {
    const store = await fresh();
    const repo = await store.ensureRepository('r', T0);
    await store.putManifest(manifest(repo.id, 'm', { tag: 'short', nowMs: T0 }));
    expect(await store.setTagExpiration(repo.id, 'short', T0 + 50, T0 + 10)).toBe(true);
    expect(await store.resolveTag(repo.id, 'short', T0 + 49)).not.toBeNull();
    expect(await store.listTags(repo.id, { limit: 10 }, T0 + 49)).toEqual(['short']);
    expect(await store.resolveTag(repo.id, 'short', T0 + 50)).toBeNull();
    expect(await store.listTags(repo.id, { limit: 10 }, T0 + 50)).toEqual([]);
    const active = { onlyActive: true, nowMs: T0 + 60, offset: 0, limit: 10 };
    expect(await store.listTagEntries(repo.id, active)).toEqual([]);
    expect(await store.setTagExpiration(repo.id, 'short', null, T0 + 60)).toBe(false);
    // Pushing the tag again while an expiry is pending replaces it cleanly.
    await store.putManifest(manifest(repo.id, 'n', { tag: 'pending', nowMs: T0 }));
    await store.setTagExpiration(repo.id, 'pending', T0 + 500, T0 + 1);
    await store.putManifest(manifest(repo.id, 'm', { tag: 'pending', nowMs: T0 + 2 }));
    expect((await store.resolveTag(repo.id, 'pending', T0 + 600))!.digest).toBe(digest('m'));
  });

  it('keeps labels on a manifest', async () => {
    const store = await fresh();
    const repo = await store.ensureRepository('r', T0);
    await store.putManifest(manifest(repo.id, 'm'));
    const { id } = (await store.findManifest(repo.id, digest('m')))!;
    const label = {
      id: 'l1',
      key: 'team',
      value: 'web',
      mediaType: 'text/plain',
      sourceType: 'api',
    };
    await store.addLabel(id, label, T0);
    expect(await store.listLabels(id)).toEqual([label]);
    expect(await store.deleteLabel(id, 'l1')).toBe(true);
    expect(await store.deleteLabel(id, 'l1')).toBe(false);
    expect(await store.listLabels(id)).toEqual([]);
  });

  it('lists tags in byte order, page by page', async () => {
    const store = await fresh();
    const repo = await store.ensureRepository('r', T0);
    for (const tag of ['v2', 'V1', 'latest', 'v10', '_x']) {
      await store.putManifest(manifest(repo.id, tag, { tag }));
    }
    expect(await store.listTags(repo.id, { limit: 10 }, T0 + 100)).toEqual([
      'V1',
      '_x',
      'latest',
      'v10',
      'v2',
    ]);
    expect(await store.listTags(repo.id, { limit: 2, after: '_x' }, T0 + 100)).toEqual([
      'latest',
      'v10',
    ]);
  });

  it('pages live and expiring tags together, in byte order, and never a tag from history', async () => {
    const store = await fresh();
    const repo = await store.ensureRepository('r', T0);
    for (const tag of ['a', 'b', 'c', 'd', 'e']) {
      await store.putManifest(manifest(repo.id, tag, { tag, nowMs: T0 }));
    }
    // b and d expire later; c has moved on, so its first manifest is history only.
    await store.setTagExpiration(repo.id, 'b', T0 + 500, T0 + 1);
    await store.setTagExpiration(repo.id, 'd', T0 + 500, T0 + 1);
    await store.putManifest(manifest(repo.id, 'c2', { tag: 'c', nowMs: T0 + 2 }));
    await store.deleteTag(repo.id, 'e', T0 + 3);
    const at = T0 + 100;
    expect(await store.listTags(repo.id, { limit: 2 }, at)).toEqual(['a', 'b']);
    expect(await store.listTags(repo.id, { limit: 2, after: 'b' }, at)).toEqual(['c', 'd']);
    expect(await store.listTags(repo.id, { limit: 2, after: 'd' }, at)).toEqual([]);
    expect(await store.listTags(repo.id, { limit: 10 }, T0 + 500)).toEqual(['a', 'c']);
  });

  it('finds referrers of a subject, optionally by artifact type', async () => {
    const store = await fresh();
    const repo = await store.ensureRepository('r', T0);
    const subject = digest('subject');
    await store.putManifest(
      manifest(repo.id, 'sig', { subjectDigest: subject, artifactType: 'application/x.sig' }),
    );
    await store.putManifest(
      manifest(repo.id, 'sbom', {
        subjectDigest: subject,
        artifactType: 'application/x.sbom',
        annotations: { k: 'v' },
      }),
    );
    await store.putManifest(manifest(repo.id, 'unrelated', { artifactType: 'application/x.sig' }));
    const all = await store.listReferrers(repo.id, subject);
    expect(all.map((r) => r.digest)).toEqual([digest('sig'), digest('sbom')]);
    expect(all[1]).toMatchObject({
      artifactType: 'application/x.sbom',
      annotations: { k: 'v' },
      size: 4,
    });
    const sboms = await store.listReferrers(repo.id, subject, 'application/x.sbom');
    expect(sboms.map((r) => r.digest)).toEqual([digest('sbom')]);
    await store.deleteManifest(repo.id, digest('sig'), T0 + 1);
    expect((await store.listReferrers(repo.id, subject)).map((r) => r.digest)).toEqual([
      digest('sbom'),
    ]);
  });
}
