import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { filesUnder, sourceHash } from '../common/source-hash.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Where `npm start` (and `npm run build:server`) writes the local server, and what it runs. */
export const SERVER_BUNDLE = join(root, 'dist', 'server', 'berth.mjs');
/** The digest of what the bundle was made from. */
const STAMP = `${SERVER_BUNDLE}.source-hash`;

/** What the bundle is made from: the server's sources and the locked package versions. */
const serverSourceHash = () =>
  sourceHash(root, [
    ...filesUnder(join(root, 'shared')),
    ...filesUnder(join(root, 'functions')),
    join(root, 'package-lock.json'),
  ]);

/**
 * Bundles the server unless the bundle there was made from the same sources
 * (what `npm start` asks): `null` then, else the bundle's size.
 */
export async function bundleServerIfStale(): Promise<number | null> {
  const made = existsSync(STAMP) && existsSync(SERVER_BUNDLE) && readFileSync(STAMP, 'utf8');
  return made === serverSourceHash() ? null : bundleServer();
}

/**
 * The local server as JavaScript, so a start compiles no TypeScript and
 * resolves no package: Berth's sources and its packages in one file, with
 * what only some configurations load (S3, Redis, mail, PostgreSQL, the
 * resumable hash) in chunks beside it that load when first imported.
 * PGlite alone stays in `node_modules`: it loads its WebAssembly and data
 * files from beside its own code. Packages written for CommonJS get a
 * `require` of their own (the banner). Each file is written beside its
 * place and renamed into it, chunks first, so a server starting meanwhile
 * (tests start many) reads the old bundle or the new one, never half of
 * one; chunks are named by their content, and an old one stays for a server
 * that may still import it.
 */
export async function bundleServer(outfile = SERVER_BUNDLE): Promise<number> {
  // Read before the build: sources that change during it make the stamp stale.
  const sources = outfile === SERVER_BUNDLE ? serverSourceHash() : null;
  const result = await build({
    entryPoints: { [basename(outfile, '.mjs')]: join(root, 'functions/local/main.ts') },
    outdir: dirname(outfile),
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    splitting: true,
    bundle: true,
    external: ['@electric-sql/pglite'],
    banner: {
      js: "import { createRequire as __berthRequire } from 'node:module'; const require = __berthRequire(import.meta.url);",
    },
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    // Stack traces need only the mappings; Node holds the whole map in memory.
    sourcesContent: false,
    // Without comments: a handful of non-ASCII characters in dependencies'
    // comments made V8 keep the whole 3 MB source, which it holds for lazy
    // compilation, as two bytes per character.
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'silent',
    write: false,
  });
  const place = async (file: { path: string; contents: Uint8Array }) => {
    await mkdir(dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    await writeFile(temporary, file.contents);
    await rename(temporary, file.path);
  };
  // Chunks (named by their content) before the entry that imports them.
  const entry = (path: string) => path === outfile || path === `${outfile}.map`;
  await Promise.all(result.outputFiles.filter((f) => !entry(f.path)).map(place));
  await Promise.all(result.outputFiles.filter((f) => entry(f.path)).map(place));
  if (sources) await place({ path: STAMP, contents: Buffer.from(sources) });
  return (await stat(outfile)).size;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bytes = await bundleServer();
  console.log(`wrote ${SERVER_BUNDLE} (${(bytes / 1024).toFixed(0)} KiB)`);
}
