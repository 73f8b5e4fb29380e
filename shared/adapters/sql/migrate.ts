import { createHash } from 'node:crypto';
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as registryCore from './migrations/0001-registry-core.js';
import * as manifestContentInStorage from './migrations/0002-manifest-content-in-storage.js';
import * as identity from './migrations/0003-identity.js';
import * as manifestLabels from './migrations/0004-manifest-labels.js';
import * as oauth from './migrations/0005-oauth.js';
import * as quotaPruneGc from './migrations/0006-quota-prune-gc.js';
import * as repositoryMirror from './migrations/0007-repository-mirror.js';
import * as resumableUploads from './migrations/0008-resumable-uploads.js';
import * as loginThrottle from './migrations/0009-login-throttle.js';
import * as storageReplication from './migrations/0010-storage-replication.js';
import * as manifestLayersSize from './migrations/0011-manifest-layers-size.js';
import * as immutableTags from './migrations/0012-immutable-tags.js';
import * as repositoryStars from './migrations/0013-repository-stars.js';
import * as notifications from './migrations/0014-notifications.js';
import * as consoleSessions from './migrations/0015-console-sessions.js';
import * as manifestBlobRepository from './migrations/0016-manifest-blob-repository.js';
import * as tagEndedByName from './migrations/0017-tag-ended-by-name.js';

/**
 * The one ordered list of migrations, for every Postgres we run on. Listed
 * statically (not read from a folder) so bundlers see every migration.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001-registry-core': registryCore,
  '0002-manifest-content-in-storage': manifestContentInStorage,
  '0003-identity': identity,
  '0004-manifest-labels': manifestLabels,
  '0005-oauth': oauth,
  '0006-quota-prune-gc': quotaPruneGc,
  '0007-repository-mirror': repositoryMirror,
  '0008-resumable-uploads': resumableUploads,
  '0009-login-throttle': loginThrottle,
  '0010-storage-replication': storageReplication,
  '0011-manifest-layers-size': manifestLayersSize,
  '0012-immutable-tags': immutableTags,
  '0013-repository-stars': repositoryStars,
  '0014-notifications': notifications,
  '0015-console-sessions': consoleSessions,
  '0016-manifest-blob-repository': manifestBlobRepository,
  '0017-tag-ended-by-name': tagEndedByName,
};

/** The migrations' names, in order; the deploy re-runs migrations when this list changes. */
export const MIGRATION_NAMES = Object.keys(MIGRATIONS);

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/**
 * Which migrations build the schema, as a short digest of their names: a
 * database made by one list can stand in for a new database only under the
 * same list (see `copyClusterTemplate`). Names, not code: a migration that
 * has run is never run again, here or in any existing database, so one is
 * never edited in place; a change is a new migration, hence a new name.
 */
export function migrationsDigest(): string {
  return createHash('sha256').update(MIGRATION_NAMES.join('\0')).digest('hex').slice(0, 16);
}

/**
 * Whether every migration has run already. Kysely's migrator would find
 * out too, but only after reading the whole catalog; this is one query,
 * and every start on an existing database asks it.
 */
async function upToDate(db: Kysely<unknown>): Promise<boolean> {
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    const applied = new Set(rows.map((r) => r.name));
    return applied.size === MIGRATION_NAMES.length && MIGRATION_NAMES.every((n) => applied.has(n));
  } catch {
    // No migration table yet: a new database.
    return false;
  }
}

/** Kysely's migrator over the one list, for a test that needs the schema as an older release left it. */
export const migrator = (db: Kysely<unknown>): Migrator => new Migrator({ db, provider });

/** Brings the schema up to date; safe to run from several processes at once. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  if (await upToDate(db)) return;
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed`, { cause: error });
  }
}
