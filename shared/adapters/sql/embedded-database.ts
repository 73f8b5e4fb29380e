import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Kysely } from 'kysely';
import { openDatabase, type OpenOptions } from './open-database.js';
import { PGliteDialect } from './pglite-dialect.js';
import { copyClusterTemplate } from './embedded-template.js';
import type { Database } from './schema.js';

/**
 * Postgres settings for the embedded database. Its default shared buffers
 * (128 MB) live inside PGlite's WebAssembly memory, which never shrinks:
 * once touched they stay resident. A registry's metadata is small, and the
 * kernel's page cache holds the database's files anyway.
 */
export const EMBEDDED_POSTGRESQL_CONF = ['shared_buffers = 16MB', 'temp_buffers = 4MB'].join('\n');

/** Embedded Postgres (PGlite) in `dataDir`, or in memory when `dataDir` is null. */
export async function openEmbeddedDatabase(
  dataDir: string | null,
  options?: OpenOptions,
): Promise<Kysely<Database>> {
  const settings = { postgresqlconf: EMBEDDED_POSTGRESQL_CONF };
  if (dataDir && !existsSync(join(dataDir, 'PG_VERSION'))) {
    if (!(await copyClusterTemplate(dataDir, settings))) await mkdir(dataDir, { recursive: true });
  }
  const pglite = dataDir ? new PGlite(dataDir, settings) : new PGlite(settings);
  return openDatabase(new PGliteDialect(pglite), options);
}
