import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'hono';
import type { Surface } from '../../shared/http/app.js';
import type { HttpEnv } from '../../shared/http/http-env.js';
import { CONSOLE_HEADERS } from '../../shared/http/console-headers.js';

/** Paths that belong to the registry's protocols: never answered with the console. */
const PROTOCOL_PATHS = /^\/(v2|api|oauth|health|status|csrf_token)(\/|$)/;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

interface StaticFile {
  body: Uint8Array;
  br?: Uint8Array;
  gz?: Uint8Array;
}

/** Where the built console is: beside the sources under tsx, beside the bundle in production. */
export function findConsoleDir(configured: string | undefined): string {
  if (configured) return configured;
  const candidates = ['../../dist/console', '../console'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

/**
 * The web console, served by the registry itself: its hashed assets for a
 * year (their names change with their content), and `index.html` for every
 * other page the browser asks for, so deep links and reloads work.
 * Compressed copies made at build time are sent to browsers that take them.
 */
export function consoleSurface(dir: string): Surface {
  const cache = new Map<string, StaticFile | null>();
  const load = (relative: string): StaticFile | null => {
    if (cache.has(relative)) return cache.get(relative)!;
    const path = normalize(join(dir, relative));
    const inside = path.startsWith(normalize(dir) + sep);
    const hidden = relative.split('/').some((part) => part.startsWith('.'));
    let file: StaticFile | null = null;
    if (inside && !hidden && existsSync(path) && extname(path) !== '') {
      try {
        file = {
          body: readFileSync(path),
          ...(existsSync(`${path}.br`) ? { br: readFileSync(`${path}.br`) } : {}),
          ...(existsSync(`${path}.gz`) ? { gz: readFileSync(`${path}.gz`) } : {}),
        };
      } catch {
        file = null;
      }
    }
    // Built files do not change while the server runs; a rebuild is served after a restart.
    cache.set(relative, file);
    return file;
  };

  const send = (c: Context<HttpEnv>, relative: string, file: StaticFile, cacheControl: string) => {
    const accepts = c.req.header('accept-encoding') ?? '';
    const [encoding, body] =
      file.br && /\bbr\b/.test(accepts)
        ? ['br', file.br]
        : file.gz && /\bgzip\b/.test(accepts)
          ? ['gzip', file.gz]
          : [null, file.body];
    const headers: Record<string, string> = {
      'Content-Type': TYPES[extname(relative)] ?? 'application/octet-stream',
      'Cache-Control': cacheControl,
      Vary: 'Accept-Encoding',
      ...CONSOLE_HEADERS,
    };
    if (encoding) headers['Content-Encoding'] = encoding;
    if (c.req.method === 'HEAD') return c.body(null, 200, headers);
    return c.body(body as Uint8Array<ArrayBuffer>, 200, headers);
  };

  return (app) => {
    app.on(['GET', 'HEAD'], '*', async (c, next) => {
      if (PROTOCOL_PATHS.test(c.req.path)) return next();
      let relative: string;
      try {
        relative = decodeURIComponent(c.req.path).replace(/^\/+/, '');
      } catch {
        return c.text('malformed path', 400);
      }
      const asset = relative === '' ? null : load(relative);
      if (asset) {
        const immutable = relative.startsWith('assets/');
        return send(
          c,
          relative,
          asset,
          immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      }
      const index = load('index.html');
      if (!index) {
        return c.text(
          'The web console is not built here: run `npm run build:console`, then restart.',
          503,
        );
      }
      // A page of the console (`/repository/acme/web`): the app routes it in the browser.
      return send(c, 'index.html', index, 'no-cache');
    });
  };
}
