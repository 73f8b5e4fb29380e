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
 * Postgres settings for the embedded database.
 *
 * - Its default shared buffers (128 MB) live inside PGlite's WebAssembly
 *   memory, which never shrinks: once touched they stay resident. A
 *   registry's metadata is small, and the kernel's page cache holds the
 *   database's files anyway.
 * - Statements are prepared once (`PGliteStatements`) but planned on every
 *   run. A generic plan is kept until the next ANALYZE, and here that is up
 *   to a minute away (no autovacuum): one chosen while a table was tiny
 *   scanned all of it for every push as it grew. A custom plan sees the
 *   table's current size even before any ANALYZE.
 */
export const EMBEDDED_POSTGRESQL_CONF = [
  'shared_buffers = 16MB',
  'temp_buffers = 4MB',
  'plan_cache_mode = force_custom_plan',
].join('\n');

/** How often a data directory's database is vacuumed and analyzed, if it was written to. */
export const EMBEDDED_MAINTENANCE_MS = 60_000;

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
