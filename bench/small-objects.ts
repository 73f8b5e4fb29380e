import { createHash, randomBytes } from 'node:crypto';
import { runConcurrently, type Client, type Target } from './http-client.js';
import { cpuSeconds } from './process-stats.js';

/**
 * Metadata-bound workloads: what a registry does for tiny configs,
 * manifests and tags, one client and many. Every image has its own config
 * blob and so its own manifest digest, as real pushes do.
 */

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export interface Descriptor {
  digest: string;
  size: number;
}

function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Path and query of an upload's `Location`, which may be relative or absolute. */
function locationPath(location: string, baseUrl: string): URL {
  return new URL(location, baseUrl);
}

/** A blob pushed as docker does for small ones: POST, then one monolithic PUT. */
export async function pushBlob(
  client: Client,
  target: Target,
  repo: string,
  bytes: Buffer,
): Promise<Descriptor> {
  const digest = digestOf(bytes);
  const started = await client.send('POST', `/v2/${repo}/blobs/uploads/`, { expect: 202 });
  const url = locationPath(String(started.headers.location), target.baseUrl);
  url.searchParams.set('digest', digest);
  await client.send('PUT', `${url.pathname}${url.search}`, {
    body: bytes,
    headers: { 'Content-Type': 'application/octet-stream' },
    expect: 201,
  });
  return { digest, size: bytes.byteLength };
}

export function imageManifest(config: Descriptor, layer: Descriptor): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    }),
  );
}

function configFor(id: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { build: id } },
      rootfs: { type: 'layers', diff_ids: [] },
    }),
  );
}

export async function putManifest(client: Client, repo: string, tag: string, manifest: Buffer) {
  await client.send('PUT', `/v2/${repo}/manifests/${tag}`, {
    body: manifest,
    headers: { 'Content-Type': MANIFEST },
    expect: 201,
  });
}

/**
 * `count` small images (own config blob, shared layer, manifest by tag)
 * pushed by `clients` concurrent clients: images per second and the
 * server's CPU milliseconds per image.
 */
export async function smallImagePush(
  client: Client,
  target: Target,
  options: { repo: string; layer: Descriptor; count: number; clients: number; prefix: string },
): Promise<{ perSecond: number; cpuMsPerImage: number; tags: string[] }> {
  const tags: string[] = [];
  const cpuBefore = await cpuSeconds(target.pid);
  const seconds = await runConcurrently(options.count, options.clients, async (i) => {
    const tag = `${options.prefix}-${i}`;
    const config = await pushBlob(client, target, options.repo, configFor(tag));
    await putManifest(client, options.repo, tag, imageManifest(config, options.layer));
    tags.push(tag);
  });
  const cpu = (await cpuSeconds(target.pid)) - cpuBefore;
  return {
    perSecond: options.count / seconds,
    cpuMsPerImage: (cpu * 1000) / options.count,
    tags,
  };
}

/** Manifest GETs by tag, as a pull starts: requests per second. */
export async function manifestGets(
  client: Client,
  options: { repo: string; tags: string[]; count: number; clients: number },
): Promise<number> {
  const seconds = await runConcurrently(options.count, options.clients, async (i) => {
    await client.send(
      'GET',
      `/v2/${options.repo}/manifests/${options.tags[i % options.tags.length]}`,
      {
        headers: { Accept: MANIFEST },
        expect: 200,
      },
    );
  });
  return options.count / seconds;
}

/** An existing manifest put under new tags, as `skopeo copy` to a new tag does: tags per second. */
export async function tagPuts(
  client: Client,
  options: { repo: string; manifest: Buffer; count: number; clients: number; prefix: string },
): Promise<number> {
  const seconds = await runConcurrently(options.count, options.clients, (i) =>
    putManifest(client, options.repo, `${options.prefix}-${i}`, options.manifest),
  );
  return options.count / seconds;
}

/** Blob HEADs, as every client asks before it pushes a layer: requests per second. */
export async function blobHeads(
  client: Client,
  options: { repo: string; digest: string; count: number; clients: number },
): Promise<number> {
  const seconds = await runConcurrently(options.count, options.clients, async () => {
    await client.send('HEAD', `/v2/${options.repo}/blobs/${options.digest}`, { expect: 200 });
  });
  return options.count / seconds;
}

/** Median milliseconds of `tags/list` on a repository with its tags in one page. */
export async function tagsListMs(
  client: Client,
  options: { repo: string; count: number; expectTags: number },
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < options.count; i++) {
    const started = performance.now();
    const answer = await client.send('GET', `/v2/${options.repo}/tags/list`, { expect: 200 });
    times.push(performance.now() - started);
    const listed = (JSON.parse(answer.body.toString()) as { tags: string[] }).tags.length;
    if (listed !== options.expectTags) throw new Error(`tags/list gave ${listed} tags`);
  }
  return times.sort((a, b) => a - b)[times.length >> 1]!;
}

export const randomLayer = () => randomBytes(1024);
