import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const here = fileURLToPath(new URL('.', import.meta.url));
const repository = join(here, '..', '..');
export const CONSOLE_DIST = join(repository, 'dist', 'console');
const STAMP = join(CONSOLE_DIST, '.source-hash');
/** Served compressed: text that compresses well. Fonts and images are compressed already. */
const COMPRESSIBLE = /\.(js|css|html|svg|json|txt)$/;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/** What the build is made from: the console's sources and the locked dependency versions. */
function sourceHash(): string {
  const hash = createHash('sha256');
  const inputs = [
    ...filesUnder(join(here, 'src')),
    join(here, 'index.html'),
    join(here, 'vite.config.ts'),
    join(repository, 'package-lock.json'),
  ].sort();
  for (const file of inputs) hash.update(relative(repository, file)).update(readFileSync(file));
  return hash.digest('hex');
}

export const consoleIsBuilt = () =>
  existsSync(STAMP) && readFileSync(STAMP, 'utf8') === sourceHash();

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
  let totalGzip = 0;
  const gzipped = new Map<string, number>();
  const files = filesUnder(CONSOLE_DIST);
  for (const file of files.filter((f) => COMPRESSIBLE.test(f))) {
    const bytes = readFileSync(file);
    const gz = gzipSync(bytes, { level: 9 });
    writeFileSync(`${file}.gz`, gz);
    writeFileSync(
      `${file}.br`,
      brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    );
    gzipped.set(relative(CONSOLE_DIST, file), gz.byteLength);
    totalGzip += gz.byteLength;
  }
  const html = readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8');
  const firstLoad = [
    'index.html',
    ...[...html.matchAll(/(?:src|href)="\/([^"]+\.(?:js|css))"/g)].map((m) => m[1]!),
  ];
  const firstLoadGzip = firstLoad.reduce((sum, f) => sum + (gzipped.get(f) ?? 0), 0);
  writeFileSync(STAMP, sourceHash());
  return { files: files.length, firstLoadGzip, totalGzip };
}

/** Builds the console unless the last build was made from the same sources. */
export async function ensureConsoleBuilt(): Promise<ConsoleSize | null> {
  return consoleIsBuilt() ? null : buildConsole();
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
