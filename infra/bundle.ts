import { mkdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every Lambda the stacks deploy, by bundle name. */
export const LAMBDA_ENTRIES = {
  'registry-api': 'functions/aws/registry-api.ts',
  migrate: 'functions/aws/migrate.ts',
} as const;

export type LambdaName = keyof typeof LAMBDA_ENTRIES;

export interface BundleReport {
  name: LambdaName;
  /** Directory holding `index.mjs`, ready for `Code.fromAsset`. */
  dir: string;
  bytes: number;
  /** Source files and packages that went in, for checking what a bundle carries. */
  inputs: string[];
}

/**
 * Bundles each Lambda into `<outDir>/<name>/index.mjs`: ESM for Node 20,
 * minified and tree-shaken, the AWS SDK included so its version is ours.
 */
export async function bundleLambdas(
  outDir = join(root, 'dist', 'lambda'),
): Promise<BundleReport[]> {
  const reports: BundleReport[] = [];
  for (const [name, entry] of Object.entries(LAMBDA_ENTRIES) as [LambdaName, string][]) {
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
      // CommonJS dependencies (the AWS SDK) call require() for Node built-ins.
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      logLevel: 'silent',
    });
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
  const reports = await bundleLambdas();
  console.log('Lambda bundles (minified ESM, dist/lambda/<name>/index.mjs):');
  for (const r of reports) {
    console.log(
      `  ${r.name.padEnd(14)} ${(r.bytes / 1024).toFixed(0).padStart(6)} KiB  ${r.inputs.length} inputs`,
    );
  }
}
