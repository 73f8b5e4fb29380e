import { Agent, EnvHttpProxyAgent, fetch, type Dispatcher, type Response } from 'undici';
import { digestOf, parseDigest } from '../../oci/digest.js';
import { MAX_MANIFEST_BYTES } from '../../oci/manifest.js';
import { bareMediaType, MediaType } from '../../oci/media-types.js';
import type { ByteSource } from '../../ports/blob-store.js';
import {
  UpstreamError,
  type UpstreamConnector,
  type UpstreamManifest,
  type UpstreamRegistry,
  type UpstreamTarget,
} from '../../ports/upstream-registry.js';
import type { AddressGuard } from './address-guard.js';
import { guardedConnector } from './guarded-connector.js';
import { parseChallenge, type Challenge } from './www-authenticate.js';

const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.ociManifest,
  MediaType.dockerManifestList,
  MediaType.dockerManifest,
].join(', ');

const MAX_REDIRECTS = 5;
const TAGS_PAGE = 1000;

export interface HttpUpstreamOptions {
  userAgent: string;
  /** How long to wait for a response's headers, and between two chunks of its body. */
  timeoutMs: number;
}

/** Reaches upstream registries over HTTP(S), through the address guard on every connection. */
/**
 * A connection failure as a person can act on it. OpenSSL's own text for a
 * plain-HTTP answer to a TLS hello (`ssl3_get_record:wrong version number`)
 * says nothing to someone setting up a mirror.
 */
function inWords(cause: Error & { code?: string }): string {
  if (cause.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/.test(cause.message)) {
    return 'the upstream answered plain HTTP, not TLS; set verify_tls to false to allow plain HTTP';
  }
  return cause.message;
}

export class HttpUpstreamConnector implements UpstreamConnector {
  constructor(
    private readonly guard: AddressGuard,
    private readonly options: HttpUpstreamOptions = {
      userAgent: 'berth-mirror',
      timeoutMs: 60_000,
    },
  ) {}

  async refusal(host: string): Promise<string | null> {
    return this.guard.refusal(host);
  }

  connect(target: UpstreamTarget): UpstreamRegistry {
    const proxies = [target.proxy?.http_proxy, target.proxy?.https_proxy].filter((p): p is string =>
      Boolean(p),
    );
    // Through a proxy the proxy dials, not us: every host a request names is
    // checked before it is sent, the proxy's own included.
    const precheck = proxies.length > 0 ? new HostPrecheck(this.guard, proxies) : null;
    return new HttpUpstreamRegistry(target, this.dispatcher(target), precheck, this.options);
  }

  private dispatcher(target: UpstreamTarget): Dispatcher {
    const timeouts = {
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
    };
    const tls = { rejectUnauthorized: target.verifyTls };
    const connect = guardedConnector(this.guard, tls);
    const proxy = target.proxy;
    if (proxy?.http_proxy || proxy?.https_proxy) {
      // Undefined would fall back to the server's own environment: empty means none.
      return new EnvHttpProxyAgent({
        httpProxy: proxy.http_proxy ?? '',
        httpsProxy: proxy.https_proxy ?? '',
        noProxy: proxy.no_proxy ?? '',
        proxyTls: { lookup: this.guard.lookup },
        requestTls: tls,
        // The direct path, for hosts `no_proxy` names.
        connect,
        ...timeouts,
      });
    }
    return new Agent({ ...timeouts, connect });
  }
}

/** Hosts judged by the guard before a request names them to a proxy; each host once. */
class HostPrecheck {
  private readonly judged = new Map<string, Promise<string | null>>();

  constructor(
    private readonly guard: AddressGuard,
    private readonly proxies: string[],
  ) {}

  async refusal(url: string): Promise<string | null> {
    for (const host of [...this.proxies.map((p) => hostOf(p)), new URL(url).host]) {
      let verdict = this.judged.get(host);
      if (!verdict) {
        verdict = this.guard.refusal(host);
        this.judged.set(host, verdict);
      }
      const refused = await verdict;
      if (refused) return refused;
    }
    return null;
  }
}

/** A proxy setting's host, whether written as a URL or as `host:port`. */
function hostOf(proxy: string): string {
  try {
    return new URL(proxy.includes('://') ? proxy : `http://${proxy}`).host;
  } catch {
    return proxy;
  }
}

/**
 * One upstream repository. Authenticates as registries ask: a Bearer
 * challenge is answered with a token from its realm (anonymous, or with the
 * mirror's credentials), a Basic challenge with the credentials. Redirects
 * are followed by hand so credentials never travel to another origin.
 */
class HttpUpstreamRegistry implements UpstreamRegistry {
  private authorization: string | null = null;
  private base: string | null = null;

  constructor(
    private readonly target: UpstreamTarget,
    private readonly dispatcher: Dispatcher,
    private readonly precheck: HostPrecheck | null,
    private readonly options: HttpUpstreamOptions,
  ) {}

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** `https://host`, or `http://host` when TLS is not verified and the host does not speak it. */
  private async origin(): Promise<string> {
    if (this.base) return this.base;
    const secure = `https://${this.target.host}`;
    try {
      await this.ping(secure);
      this.base = secure;
    } catch (error) {
      if (this.target.verifyTls || error instanceof UpstreamError) throw asUpstream(error);
      const plain = `http://${this.target.host}`;
      await this.ping(plain).catch((e: unknown) => {
        throw asUpstream(e);
      });
      this.base = plain;
    }
    return this.base;
  }

  private async ping(origin: string): Promise<void> {
    const response = await this.raw(`${origin}/v2/`, {});
    await response.body?.cancel();
    if (response.status !== 200 && response.status !== 401) {
      throw new UpstreamError(
        `${this.target.host} does not answer as a registry (GET /v2/ gave ${response.status})`,
        response.status,
      );
    }
  }

  private async raw(url: string, headers: Record<string, string>): Promise<Response> {
    const refused = await this.precheck?.refusal(url);
    if (refused) throw new UpstreamError(`refusing to reach ${new URL(url).host}: ${refused}`);
    try {
      return await fetch(url, {
        headers: { 'user-agent': this.options.userAgent, ...headers },
        redirect: 'manual',
        dispatcher: this.dispatcher,
      });
    } catch (error) {
      const cause = (error as { cause?: Error & { code?: string } }).cause ?? (error as Error);
      throw Object.assign(new Error(`${this.target.host} is unreachable: ${inWords(cause)}`), {
        cause: error,
      });
    }
  }

  /** GET with authentication and redirects; the response is a success or an `UpstreamError`. */
  private async get(path: string, accept?: string): Promise<Response> {
    let url = `${await this.origin()}${path}`;
    const origin = new URL(url).origin;
    let authenticated = false;
    for (let hop = 0; hop <= MAX_REDIRECTS;) {
      const sameOrigin = new URL(url).origin === origin;
      const headers: Record<string, string> = accept ? { accept } : {};
      if (sameOrigin && this.authorization) headers.authorization = this.authorization;
      const response = await this.unreachableAsUpstream(() => this.raw(url, headers));
      if (response.status === 401 && sameOrigin && !authenticated) {
        const challenge = parseChallenge(response.headers.get('www-authenticate'));
        await response.body?.cancel();
        this.authorization = await this.authorize(challenge);
        authenticated = true;
        continue;
      }
      if ([301, 302, 303, 307, 308].includes(response.status)) {
        const location = response.headers.get('location');
        await response.body?.cancel();
        if (!location) throw new UpstreamError(`${path}: redirect without a Location`);
        url = new URL(location, url).toString();
        hop++;
        continue;
      }
      if (response.ok) return response;
      throw await this.failure(path, response);
    }
    throw new UpstreamError(`${path}: more than ${MAX_REDIRECTS} redirects`);
  }

  private async unreachableAsUpstream(send: () => Promise<Response>): Promise<Response> {
    try {
      return await send();
    } catch (error) {
      throw asUpstream(error);
    }
  }

  private async failure(path: string, response: Response): Promise<UpstreamError> {
    let detail = '';
    try {
      const body = (await response.json()) as { errors?: { code?: string; message?: string }[] };
      detail = (body.errors ?? [])
        .map((e) => `${e.code ?? ''} ${e.message ?? ''}`.trim())
        .join('; ');
    } catch {
      // Not a registry error body: the status says enough.
    }
    const what =
      response.status === 401
        ? 'the upstream registry refused the credentials'
        : response.status === 403
          ? 'the upstream registry denied access'
          : response.status === 404
            ? 'not found upstream'
            : `the upstream registry answered ${response.status}`;
    return new UpstreamError(
      `GET ${path}: ${what}${detail ? ` (${detail})` : ''}`,
      response.status,
    );
  }

  private basic(): string | null {
    const c = this.target.credentials;
    if (!c) return null;
    return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  }

  private async authorize(challenge: Challenge | null): Promise<string> {
    if (challenge?.scheme === 'basic') {
      const basic = this.basic();
      if (!basic) throw new UpstreamError('the upstream registry requires credentials', 401);
      return basic;
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) {
      throw new UpstreamError(
        'the upstream registry asked for authentication Berth does not speak',
        401,
      );
    }
    const realm = new URL(challenge.params.realm);
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    realm.searchParams.set(
      'scope',
      challenge.params.scope ?? `repository:${this.target.repository}:pull`,
    );
    const basic = this.basic();
    const response = await this.unreachableAsUpstream(() =>
      this.raw(realm.toString(), basic ? { authorization: basic } : {}),
    );
    if (!response.ok) {
      await response.body?.cancel();
      throw new UpstreamError(
        response.status === 401 || response.status === 403
          ? 'the upstream registry refused the credentials'
          : `the upstream token service answered ${response.status}`,
        response.status,
      );
    }
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new UpstreamError('the upstream token service returned no token');
    return `Bearer ${token}`;
  }

  async listTags(): Promise<string[]> {
    const tags: string[] = [];
    let path: string | null = `/v2/${this.target.repository}/tags/list?n=${TAGS_PAGE}`;
    while (path) {
      const response = await this.get(path);
      const body = (await response.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      path = nextPage(response.headers.get('link'));
    }
    return tags;
  }

  async manifest(reference: string): Promise<UpstreamManifest> {
    const response = await this.get(
      `/v2/${this.target.repository}/manifests/${reference}`,
      MANIFEST_ACCEPT,
    );
    const content = await readLimited(response, MAX_MANIFEST_BYTES);
    const wanted = parseDigest(reference);
    const digest = digestOf(content, wanted?.algorithm ?? 'sha256');
    if (wanted && digest !== reference) {
      throw new UpstreamError(`manifest ${reference} arrived with digest ${digest}`);
    }
    const mediaType =
      bareMediaType(response.headers.get('content-type')) ||
      ((JSON.parse(Buffer.from(content).toString('utf8')) as { mediaType?: string }).mediaType ??
        '');
    return { digest, mediaType, content };
  }

  async blob(digest: string): Promise<ByteSource> {
    const response = await this.get(`/v2/${this.target.repository}/blobs/${digest}`);
    if (!response.body) throw new UpstreamError(`blob ${digest} came without a body`);
    return response.body;
  }
}

async function readLimited(response: Response, limit: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of response.body ?? []) {
    length += chunk.byteLength;
    if (length > limit) {
      await response.body?.cancel();
      throw new UpstreamError(`manifest is larger than ${limit} bytes`);
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

function asUpstream(error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  return new UpstreamError((error as Error).message, undefined, { cause: error });
}

/** The path and query of a `Link: <...>; rel="next"` header, which registries write relative. */
function nextPage(link: string | null): string | null {
  const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link ?? '');
  if (!next) return null;
  const url = new URL(next[1]!, 'http://upstream.invalid');
  return `${url.pathname}${url.search}`;
}
