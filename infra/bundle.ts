import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Everything the stacks deploy, by bundle name: Lambda code, and the data plane's container. */
export const BUNDLES = {
  'registry-api': { entry: 'functions/aws/registry-api.ts', kind: 'lambda' },
  'rest-api': { entry: 'functions/aws/rest-api.ts', kind: 'lambda' },
  migrate: { entry: 'functions/aws/migrate.ts', kind: 'lambda' },
  'scheduled-task': { entry: 'functions/aws/scheduled-task.ts', kind: 'lambda' },
  'job-worker': { entry: 'functions/aws/job-worker.ts', kind: 'lambda' },

  'data-plane': { entry: 'functions/aws/data-plane.ts', kind: 'container' },
} as const;

export type BundleName = keyof typeof BUNDLES;

export const DEFAULT_BUNDLE_DIR = join(root, 'dist', 'bundles');

/** The data plane image: the bundle on Node 24, nothing else (built by `cdk deploy`). */
const DOCKERFILE = [
  'FROM public.ecr.aws/docker/library/node:24-slim',
  'WORKDIR /app',
  'COPY index.mjs .',
  'USER node',
  'ENV NODE_ENV=production',
  'CMD ["node", "index.mjs"]',
  '',
].join('\n');

export interface BundleReport {
  name: BundleName;
  /** Directory holding `index.mjs` (and a Dockerfile for a container), ready to be an asset. */
  dir: string;
  bytes: number;
  /** Source files and packages that went in, for checking what a bundle carries. */
  inputs: string[];
}

/**
 * Bundles each entry into `<outDir>/<name>/index.mjs`: ESM for Node 20,
 * minified and tree-shaken, the AWS SDK included so its version is ours.
 */
export async function bundleAll(outDir = DEFAULT_BUNDLE_DIR): Promise<BundleReport[]> {
  const reports: BundleReport[] = [];
  for (const name of Object.keys(BUNDLES) as BundleName[]) {
    const { entry, kind } = BUNDLES[name];
    const dir = join(outDir, name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const result = await build({
      entryPoints: [join(root, entry)],
      outfile: join(dir, 'index.mjs'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      minify: true,
      treeShaking: true,
      sourcemap: false,
      metafile: true,
      legalComments: 'none',
      // The SDK's browser user-agent parser: required lazily, and only on the
      // browser path, which Node never takes. 34 KB a bundle saved.
      external: ['bowser'],
      // CommonJS dependencies (the AWS SDK) call require() for Node built-ins.
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      logLevel: 'silent',
    });
    if (kind === 'container') await writeFile(join(dir, 'Dockerfile'), DOCKERFILE);
    const output = Object.values((result.metafile as Metafile).outputs)[0]!;
    reports.push({
      name,
      dir,
      bytes: output.bytes,
      inputs: Object.keys(output.inputs).map((p) => relative(root, join(root, p))),
    });
  }
  return reports;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const reports = await bundleAll();
  console.log('Bundles (minified ESM, dist/bundles/<name>/index.mjs):');
  for (const r of reports) {
    const size = `${(r.bytes / 1024).toFixed(0)} KiB`.padStart(9);
    console.log(
      `  ${r.name.padEnd(14)} ${size}  ${BUNDLES[r.name].kind}, ${r.inputs.length} inputs`,
    );
  }
}
