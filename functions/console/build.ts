import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { filesUnder, sourceHash } from '../common/source-hash.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repository = join(here, '..', '..');
export const CONSOLE_DIST = join(repository, 'dist', 'console');
const STAMP = join(CONSOLE_DIST, '.source-hash');
/** Served compressed: text that compresses well. Fonts and images are compressed already. */
const COMPRESSIBLE = /\.(js|css|html|svg|json|txt)$/;

/** What the build is made from: the console's sources and the locked dependency versions. */
const consoleSourceHash = () =>
  sourceHash(repository, [
    ...filesUnder(join(here, 'src')),
    join(here, 'index.html'),
    join(here, 'vite.config.ts'),
    join(repository, 'package-lock.json'),
  ]);

export const consoleIsBuilt = () =>
  existsSync(STAMP) && readFileSync(STAMP, 'utf8') === consoleSourceHash();

export interface ConsoleSize {
  files: number;
  /** index.html with the scripts and styles it loads first, gzip-compressed. */
  firstLoadGzip: number;
  totalGzip: number;
}

/** Builds the console into `dist/console`, with `.gz` and `.br` beside each text file. */
export async function buildConsole(): Promise<ConsoleSize> {
  // Vite picks packages' production builds (React Router's, say) only when told so before it loads.
  process.env.NODE_ENV = 'production';
  const { build } = await import('vite');
  await build({ configFile: join(here, 'vite.config.ts'), mode: 'production' });
  for (const file of filesUnder(CONSOLE_DIST).filter((f) => COMPRESSIBLE.test(f))) {
    const bytes = readFileSync(file);
    writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
    writeFileSync(
      `${file}.br`,
      brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    );
  }
  writeFileSync(STAMP, consoleSourceHash());
  return consoleSize();
}

/** The built console's size: what the first page load fetches, and everything, gzip-compressed. */
export function consoleSize(): ConsoleSize {
  const files = filesUnder(CONSOLE_DIST).filter((f) => !/\.(gz|br)$/.test(f) && !f.endsWith(STAMP));
  const gzipped = (relativePath: string) => {
    const path = join(CONSOLE_DIST, relativePath);
    return existsSync(`${path}.gz`) ? readFileSync(`${path}.gz`).byteLength : 0;
  };
  const html = readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8');
  const firstLoad = [
    'index.html',
    ...[...html.matchAll(/(?:src|href)="\/([^"]+\.(?:js|css))"/g)].map((m) => m[1]!),
  ];
  return {
    files: files.length,
    firstLoadGzip: firstLoad.reduce((sum, f) => sum + gzipped(f), 0),
    totalGzip: files.reduce((sum, f) => sum + gzipped(relative(CONSOLE_DIST, f)), 0),
  };
}

const LOCK = join(repository, 'dist', '.console-build.lock');
/** A lock older than this was left by a build that died. */
const STALE_LOCK_MS = 180_000;

/**
 * Builds the console unless the last build was made from the same sources.
 * Test files running side by side may each ask; one builds while the others
 * wait for it (a directory is created atomically, so it is the lock), then
 * find the build fresh.
 */
export async function ensureConsoleBuilt(): Promise<ConsoleSize | null> {
  if (consoleIsBuilt()) return null;
  mkdirSync(dirname(LOCK), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return consoleIsBuilt() ? null : await buildConsole();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const size = process.argv.includes('--if-stale')
    ? await ensureConsoleBuilt()
    : await buildConsole();
  if (size) {
    console.log(
      `Berth console built in ${((Date.now() - started) / 1000).toFixed(1)} s: ${size.files} files in dist/console; ` +
        `first load ${kib(size.firstLoadGzip)} gzip, everything ${kib(size.totalGzip)} gzip`,
    );
  }
}
