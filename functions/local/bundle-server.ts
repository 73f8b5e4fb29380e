import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Where `npm start` (and `npm run build:server`) writes the local server, and what it runs. */
export const SERVER_BUNDLE = join(root, 'dist', 'server', 'berth.mjs');

/**
 * The local server as one JavaScript file, so a start compiles no
 * TypeScript. Packages stay in `node_modules` (PGlite loads its WebAssembly
 * and data files from beside its own code); only Berth's sources are
 * bundled. Each file is written beside its place and renamed into it, so a
 * server starting meanwhile (tests start many) reads the old bundle or the
 * new one, never half of one.
 */
export async function bundleServer(outfile = SERVER_BUNDLE): Promise<number> {
  const result = await build({
    entryPoints: [join(root, 'functions/local/main.ts')],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'silent',
    write: false,
  });
  await mkdir(dirname(outfile), { recursive: true });
  await Promise.all(
    result.outputFiles.map(async (file) => {
      const temporary = `${file.path}.${process.pid}.tmp`;
      await writeFile(temporary, file.contents);
      await rename(temporary, file.path);
    }),
  );
  return (await stat(outfile)).size;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bytes = await bundleServer();
  console.log(`wrote ${SERVER_BUNDLE} (${(bytes / 1024).toFixed(0)} KiB)`);
}
