import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import type { Kysely } from 'kysely';
import { openDatabase, type OpenOptions } from './open-database.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';

/** Embedded Postgres (PGlite) in `dataDir`, or in memory when `dataDir` is null. */
export async function openEmbeddedDatabase(
  dataDir: string | null,
  options?: OpenOptions,
): Promise<Kysely<Database>> {
  if (dataDir) await mkdir(dataDir, { recursive: true });
  return openDatabase(new PGliteDialect(dataDir ? new PGlite(dataDir) : new PGlite()), options);
}
