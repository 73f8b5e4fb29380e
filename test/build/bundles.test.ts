import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLES, bundleAll, type BundleReport } from '../../infra/bundle.js';

describe('deployment bundles', () => {
  let out: string;
  let reports: BundleReport[];
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'berth-bundles-'));
    reports = await bundleAll(out);
  });
  afterAll(() => rm(out, { recursive: true, force: true }));

  it('builds every entry point the stacks deploy, with a Dockerfile for the container', async () => {
    expect(reports.map((r) => r.name).sort()).toEqual(Object.keys(BUNDLES).sort());
    const dataPlane = reports.find((r) => r.name === 'data-plane')!;
    expect(await readFile(join(dataPlane.dir, 'Dockerfile'), 'utf8')).toContain(
      'CMD ["node", "index.mjs"]',
    );
  });

  it('loads each Lambda bundle on its own in a fresh Node process and exports its handler', () => {
    for (const report of reports.filter((r) => BUNDLES[r.name].kind === 'lambda')) {
      const type = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(join(report.dir, 'index.mjs'))}); process.stdout.write(typeof m.handler);`,
        ],
        { env: { PATH: process.env.PATH ?? '' } },
      ).toString();
      expect(type, report.name).toBe('function');
    }
  });

  it('keeps the local-only drivers out of the AWS functions', () => {
    for (const report of reports) {
      const packages = report.inputs.filter((p) =>
        /node_modules\/(@electric-sql\/pglite|pg|pg-pool|yaml)\//.test(p),
      );
      expect(packages, report.name).toEqual([]);
    }
  });

  it('keeps the registry handler under 1 MiB for fast cold starts', () => {
    const registry = reports.find((r) => r.name === 'registry-api')!;
    expect(registry.bytes).toBeLessThan(1024 * 1024);
  });
});
