import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Where `npm run build:server` writes the local server, and what `npm run start:prod` runs. */
export const SERVER_BUNDLE = join(root, 'dist', 'server', 'berth.mjs');

/**
 * The local server as one JavaScript file, so a production start compiles
 * no TypeScript. Packages stay in `node_modules` (PGlite loads its
 * WebAssembly and data files from beside its own code); only Berth's
 * sources are bundled.
 */
export async function bundleServer(outfile = SERVER_BUNDLE): Promise<number> {
  await build({
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
  });
  return (await stat(outfile)).size;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bytes = await bundleServer();
  console.log(`wrote ${SERVER_BUNDLE} (${(bytes / 1024).toFixed(0)} KiB)`);
}
