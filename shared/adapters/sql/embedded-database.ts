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

/**
 * How often a data directory's database looks for tables to vacuum or
 * analyze, if it was written to: often, so a plan Postgres keeps for a
 * prepared statement is made again soon after its tables grew.
 */
export const EMBEDDED_MAINTENANCE_MS = 5_000;

/** Embedded Postgres (PGlite) in `dataDir`, or in memory when `dataDir` is null. */
export async function openEmbeddedDatabase(
  dataDir: string | null,
  options?: OpenOptions & { maintenanceEveryMs?: number },
): Promise<Kysely<Database>> {
  const settings = { postgresqlconf: EMBEDDED_POSTGRESQL_CONF };
  if (dataDir && !existsSync(join(dataDir, 'PG_VERSION'))) {
    if (!(await copyClusterTemplate(dataDir, settings))) await mkdir(dataDir, { recursive: true });
  }
  const pglite = dataDir ? new PGlite(dataDir, settings) : new PGlite(settings);
  const maintenanceEveryMs =
    options?.maintenanceEveryMs ?? (dataDir ? EMBEDDED_MAINTENANCE_MS : undefined);
  return openDatabase(
    new PGliteDialect(pglite, maintenanceEveryMs ? { maintenanceEveryMs } : {}),
    options,
  );
}
