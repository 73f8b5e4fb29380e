import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe } from 'vitest';
import { openDataApiDatabase } from '../../shared/adapters/sql/data-api-database.js';
import { migrateToLatest } from '../../shared/adapters/sql/migrate.js';
import { openEmbeddedDatabase } from '../../shared/adapters/sql/embedded-database.js';
import { openPostgresDatabase } from '../../shared/adapters/sql/postgres-database.js';
import type { Database } from '../../shared/adapters/sql/schema.js';
import { SqlMetadataStore } from '../../shared/adapters/sql/sql-metadata-store.js';
import { skipUnlessAvailable } from '../support/harness.js';
import { createScratchDatabase } from '../support/postgres.js';
import { dataApiEmulator } from '../support/data-api-emulator.js';
import { createSqlIdentityStore } from '../../shared/adapters/sql/sql-identity-store.js';
import { SqlOAuthStore } from '../../shared/adapters/sql/sql-oauth-store.js';
import { identityStoreContract } from './identity-store.contract.js';
import { metadataStoreContract } from './metadata-store.contract.js';
import { mirrorStoreContract } from './mirror-store.contract.js';

/**
 * Empties every table the migrations created (read from the catalog, so new
 * tables are included without a list to keep up) between tests.
 */
async function truncateAll(db: Kysely<Database>) {
  const { rows } = await sql<{ tablename: string }>`
    select tablename from pg_tables
    where schemaname = current_schema() and tablename not like 'kysely_migration%'`.execute(db);
  const tables = rows.map((r) => sql.id(r.tablename));
  await sql`truncate ${sql.join(tables)} restart identity cascade`.execute(db);
}

/** Every SQL store's contract on one database, emptied before each test. */
function storeContracts(db: () => Kysely<Database>) {
  metadataStoreContract(async () => {
    await truncateAll(db());
    return new SqlMetadataStore(db());
  });
  identityStoreContract(async () => {
    await truncateAll(db());
    return { identity: createSqlIdentityStore(db()), oauth: new SqlOAuthStore(db()) };
  });
  mirrorStoreContract(async () => {
    await truncateAll(db());
    return db();
  });
}

describe('SQL stores on embedded Postgres (PGlite)', () => {
  let db: Kysely<Database>;
  beforeAll(async () => {
    db = await openEmbeddedDatabase(null);
  });
  afterAll(() => db.destroy());
  storeContracts(() => db);
});

const databaseUrl = process.env.DATABASE_URL;

describe.skipIf(skipUnlessAvailable(Boolean(databaseUrl), 'DATABASE_URL (PostgreSQL)'))(
  'SQL stores on PostgreSQL (node-postgres)',
  () => {
    let db: Kysely<Database>;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      const scratch = await createScratchDatabase(databaseUrl!);
      drop = scratch.drop;
      db = await openPostgresDatabase(scratch.url);
    });
    afterAll(async () => {
      await db?.destroy();
      await drop?.();
    });
    storeContracts(() => db);
  },
);

describe.skipIf(skipUnlessAvailable(Boolean(databaseUrl), 'DATABASE_URL (PostgreSQL)'))(
  'SQL stores over the RDS Data API (DataApiDialect, emulated on PostgreSQL)',
  () => {
    let db: Kysely<Database>;
    let drop: () => Promise<void>;
    let closeEmulator: () => Promise<void>;
    beforeAll(async () => {
      const scratch = await createScratchDatabase(databaseUrl!);
      drop = scratch.drop;
      const emulator = dataApiEmulator(scratch.url);
      closeEmulator = emulator.close;
      db = openDataApiDatabase({
        client: emulator.client,
        resourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster:berth',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:berth-db',
        database: 'berth',
      });
      // As the deploy-time migration function does: through the Data API.
      await migrateToLatest(db as Kysely<unknown>);
    });
    afterAll(async () => {
      await db?.destroy();
      await closeEmulator?.();
      await drop?.();
    });
    storeContracts(() => db);
  },
);
