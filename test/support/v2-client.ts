import { digestOf } from '../../shared/oci/digest.js';
import { basic } from './accounts.js';
import { MediaType } from '../../shared/oci/media-types.js';
import type { Descriptor } from '../../shared/oci/manifest.js';
import type { HttpApp } from '../../shared/http/http-env.js';

/** Small helpers that speak `/v2` to an in-process app, for tests. */
export class V2Client {
  private readonly tokens = new Map<string, string>();

  /**
   * With credentials (`user:password`, or null for an anonymous token), the
   * client answers Bearer challenges as docker does: it fetches a token for
   * the challenged scope from the realm and retries once.
   */
  constructor(
    private readonly app: HttpApp,
    private readonly credentials?: string | null,
  ) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    if (this.credentials === undefined) return this.app.request(path, init);
    const scopeKey = path.startsWith('/v2/_catalog')
      ? '_catalog'
      : path.split('/').slice(2, 4).join('/');
    const send = (token: string | undefined) => {
      const headers = new Headers(init.headers);
      if (token) headers.set('Authorization', `Bearer ${token}`);
      return this.app.request(path, { ...init, headers });
    };
    const first = await send(this.tokens.get(scopeKey));
    const challenge = first.headers.get('www-authenticate');
    if (first.status !== 401 || !challenge?.startsWith('Bearer ')) return first;
    const token = await this.token(challenge);
    this.tokens.set(scopeKey, token);
    return send(token);
  }

  /** Fetches a token as the challenge asks. */
  async token(challenge: string): Promise<string> {
    const params = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    const query = new URLSearchParams({ service: params.service ?? '' });
    if (params.scope) query.set('scope', params.scope);
    const headers: Record<string, string> = {};
    if (this.credentials) {
      headers.Authorization = basic(this.credentials);
    }
    const response = await this.app.request(`/v2/auth?${query.toString()}`, { headers });
    if (response.status !== 200)
      throw new Error(`token: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { token: string }).token;
  }

  async pushBlob(
    name: string,
    bytes: Uint8Array | string,
    mediaType = 'application/octet-stream',
  ): Promise<Descriptor> {
    const body = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    const digest = digestOf(body);
    const response = await this.request(`/v2/${name}/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body,
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(body.byteLength),
      },
    });
    if (response.status !== 201)
      throw new Error(`push blob: ${response.status} ${await response.text()}`);
    return { mediaType, digest, size: body.byteLength };
  }

  async putManifest(
    name: string,
    reference: string,
    manifest: unknown,
    mediaType: string = MediaType.ociManifest,
  ): Promise<Response> {
    return this.request(`/v2/${name}/manifests/${reference}`, {
      method: 'PUT',
      body: JSON.stringify(manifest),
      headers: { 'Content-Type': mediaType },
    });
  }

  /** Pushes a config and one layer, then the image manifest; returns the manifest's descriptor. */
  async pushImage(
    name: string,
    tag: string,
    extra: { layer?: string; manifest?: Record<string, unknown> } = {},
  ): Promise<{ descriptor: Descriptor; manifest: Record<string, unknown> }> {
    const config = await this.pushBlob(
      name,
      '{"architecture":"amd64","os":"linux"}',
      'application/vnd.oci.image.config.v1+json',
    );
    const layer = await this.pushBlob(
      name,
      extra.layer ?? `layer of ${name}:${tag}`,
      'application/vnd.oci.image.layer.v1.tar+gzip',
    );
    const manifest = imageManifest(config, [layer], extra.manifest);
    const response = await this.putManifest(name, tag, manifest);
    if (response.status !== 201)
      throw new Error(`push manifest: ${response.status} ${await response.text()}`);
    const body = Buffer.from(JSON.stringify(manifest));
    return {
      descriptor: {
        mediaType: MediaType.ociManifest,
        digest: digestOf(body),
        size: body.byteLength,
      },
      manifest,
    };
  }
}

export function imageManifest(
  config: Descriptor,
  layers: Descriptor[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers, ...extra };
}

export async function errorCode(response: Response): Promise<string | undefined> {
  const body = (await response.json()) as { errors?: { code: string }[] };
  return body.errors?.[0]?.code;
}
