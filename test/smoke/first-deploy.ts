import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basic } from '../support/accounts.js';
import { OciLayout, type Layer } from '../support/oci-layout.js';
import { skopeoWith } from '../support/registry-clients.js';

/**
 * What a user runs after `cdk deploy` (`npm run smoke -- <registry URL>`),
 * and what the end-to-end tests run against a local server: the checks that
 * say a deployment serves, with a real client. Each step throws with what
 * it saw when the registry does not answer as it must.
 */
export interface SmokeOptions {
  /** The registry's URL, as clients will use it (`https://<distribution or domain>`). */
  url: string;
  user: string;
  password: string;
  /** The pushed layer's size, in MiB: big enough to cross the upload path's limits. */
  layerMiB: number;
  /** Pulls must answer 307 to a storage URL (off in storage proxy mode). */
  expectRedirect: boolean;
  log?: (line: string) => void;
}

export interface SmokeReport {
  realm: string;
  layer: { digest: string; bytes: number };
  pushSeconds: number;
  pullSeconds: number;
  /** Where a blob GET was sent: the storage host, or `null` when the registry streamed it. */
  redirectHost: string | null;
  rangeBytes: number;
}

const MiB = 1024 * 1024;
const RANGE_BYTES = MiB;

function fail(step: string, detail: string): never {
  throw new Error(`smoke test, ${step}: ${detail}`);
}

/** The Bearer challenge's parameters (`realm="…",service="…"`). */
function challengeOf(header: string | null): Record<string, string> {
  if (!header?.startsWith('Bearer ')) return {};
  return Object.fromEntries(
    [...header.slice(7).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
  );
}

async function fileTail(path: string, size: number, length: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const bytes = Buffer.alloc(length);
    await file.read(bytes, 0, length, size - length);
    return bytes;
  } finally {
    await file.close();
  }
}

export async function runSmokeTest(options: SmokeOptions): Promise<SmokeReport> {
  const log = options.log ?? (() => {});
  const base = new URL(options.url);
  const tlsVerify = base.protocol === 'https:';
  const host = base.host;
  const repository = `${options.user}/berth-smoke`;
  const tag = `t${Date.now()}`;
  const creds = `${options.user}:${options.password}`;

  // 1. The challenge names the host the client used, over the scheme it used.
  const probe = await fetch(new URL('/v2/', base));
  if (probe.status !== 401) fail('GET /v2/', `expected 401, got ${probe.status}`);
  const { realm, service } = challengeOf(probe.headers.get('www-authenticate'));
  if (realm !== `${base.origin}/v2/auth`) {
    fail('GET /v2/', `the token realm is ${realm ?? 'missing'}, not ${base.origin}/v2/auth`);
  }
  log(`401 from /v2/ with realm ${realm}`);

  const work = await mkdtemp(join(tmpdir(), 'berth-smoke-'));
  try {
    log(`writing a ${options.layerMiB} MiB layer`);
    const layout = await OciLayout.create(join(work, 'push'));
    const layer: Layer = await layout.addLayer(options.layerMiB * MiB);
    const image = await layout.addImage([layer]);
    await layout.tag(image, tag);

    // 2. A real client pushes it: one streamed PATCH through the upload path.
    let started = performance.now();
    await skopeoWith(
      { tlsVerify },
      'copy',
      '--preserve-digests',
      '--dest-creds',
      creds,
      `oci:${layout.dir}:${tag}`,
      `docker://${host}/${repository}:${tag}`,
    );
    const pushSeconds = (performance.now() - started) / 1000;
    log(`pushed ${repository}:${tag} in ${pushSeconds.toFixed(1)} s`);

    // 3. And pulls it back; skopeo checks every digest on the way.
    started = performance.now();
    await skopeoWith(
      { tlsVerify },
      'copy',
      '--src-creds',
      creds,
      `docker://${host}/${repository}:${tag}`,
      `oci:${join(work, 'pull')}:${tag}`,
    );
    const pullSeconds = (performance.now() - started) / 1000;
    log(`pulled it back in ${pullSeconds.toFixed(1)} s`);

    // 4. A blob GET is a redirect to storage, and a ranged one too (resumed pulls).
    const tokenUrl = new URL(realm);
    tokenUrl.searchParams.set('service', service ?? host);
    tokenUrl.searchParams.set('scope', `repository:${repository}:pull,delete`);
    const tokenResponse = await fetch(tokenUrl, { headers: { Authorization: basic(creds) } });
    if (!tokenResponse.ok) fail('token', `${tokenUrl.pathname} answered ${tokenResponse.status}`);
    const { token } = (await tokenResponse.json()) as { token: string };
    const auth = { Authorization: `Bearer ${token}` };
    const range = `bytes=${layer.size - RANGE_BYTES}-`;
    const blob = new URL(`/v2/${repository}/blobs/${layer.digest}`, base);
    const first = await fetch(blob, { headers: { ...auth, Range: range }, redirect: 'manual' });
    let ranged: Response = first;
    let redirectHost: string | null = null;
    if (first.status === 307) {
      const location = new URL(first.headers.get('location')!, blob);
      redirectHost = location.host;
      // The client sends its Range on to storage; the presigned URL carries no credentials of ours.
      ranged = await fetch(location, { headers: { Range: range } });
      log(`blob GET redirected (307) to ${redirectHost}`);
    } else if (options.expectRedirect) {
      fail('blob GET', `expected 307 to storage, got ${first.status}`);
    }
    if (ranged.status !== 206) fail('ranged blob GET', `expected 206, got ${ranged.status}`);
    const tail = Buffer.from(await ranged.arrayBuffer());
    const expected = await fileTail(layout.blobPath(layer.digest), layer.size, RANGE_BYTES);
    if (!tail.equals(expected)) {
      fail('ranged blob GET', `the last ${RANGE_BYTES} bytes differ from the layer's`);
    }
    log(`ranged GET (${range}) returned the layer's last ${RANGE_BYTES} bytes`);

    // Leave nothing tagged behind: garbage collection reclaims the layer.
    const removed = await fetch(new URL(`/v2/${repository}/manifests/${image.digest}`, base), {
      method: 'DELETE',
      headers: auth,
    });
    if (removed.status !== 202) fail('manifest DELETE', `expected 202, got ${removed.status}`);
    return {
      realm,
      layer: { digest: layer.digest, bytes: layer.size },
      pushSeconds,
      pullSeconds,
      redirectHost,
      rangeBytes: tail.byteLength,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
