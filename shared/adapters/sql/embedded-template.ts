import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { migrateToLatest, migrationsDigest } from './migrate.js';
import { PGliteDialect } from './pglite-dialect.js';

/**
 * Creating a database cluster (initdb) and building the schema in it is
 * most of a first start: about 4 s of Postgres in WebAssembly, the same
 * work every time. So it runs once per installation, into a template beside
 * the installed packages (`node_modules/.cache/berth/`, one per PGlite
 * version and set of migrations), and a new data directory starts as a copy
 * of it: the files initdb and the migrations would have written, from a
 * cluster that was shut down cleanly.
 *
 * Returns false when there is no template and none can be made (a
 * read-only install): the caller then lets PGlite run initdb itself.
 */
export async function copyClusterTemplate(
  dataDir: string,
  settings: { postgresqlconf: string },
): Promise<boolean> {
  const template = templateDir();
  if (!template) return false;
  try {
    if (!existsSync(join(template, 'PG_VERSION'))) await createTemplate(template, settings);
    await copyTree(template, dataDir);
    return true;
  } catch {
    await rm(dataDir, { recursive: true, force: true });
    return false;
  }
}

/**
 * A cluster is a thousand small files; copied all at once, as here, they
 * take a tenth of the time `fs.cp` takes one after another.
 */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  const entries = await readdir(from, { withFileTypes: true });
  await Promise.all(
    entries.map((entry) =>
      entry.isDirectory()
        ? copyTree(join(from, entry.name), join(to, entry.name))
        : copyFile(join(from, entry.name), join(to, entry.name)),
    ),
  );
}

function templateDir(): string | null {
  try {
    // dist/index.cjs -> the package's own folder -> node_modules
    const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
    const packageDir = dirname(dirname(entry));
    const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
      version: string;
    };
    const name = `pglite-${version}-schema-${migrationsDigest()}`;
    return join(packageDir, '..', '..', '.cache', 'berth', name);
  } catch {
    return null;
  }
}

/** initdb into a folder of this process's own, then rename it into place: the rename is atomic. */
async function createTemplate(template: string, settings: { postgresqlconf: string }) {
  const building = `${template}.${process.pid}.tmp`;
  await rm(building, { recursive: true, force: true });
  await mkdir(dirname(building), { recursive: true });
  const db = new Kysely<unknown>({ dialect: new PGliteDialect(new PGlite(building, settings)) });
  await migrateToLatest(db);
  // Everything on disk in the data files: a copy then starts with no WAL to replay.
  await sql`checkpoint`.execute(db);
  await db.destroy();
  try {
    await rename(building, template);
  } catch (error) {
    // Another start made it first; theirs is as good as ours.
    await rm(building, { recursive: true, force: true });
    if (!existsSync(join(template, 'PG_VERSION'))) throw error;
  }
}
