import {
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type Dialect,
  type Driver,
  type Kysely,
} from 'kysely';

/** A dialect that speaks Postgres SQL through its own driver (PGlite, the Data API). */
export abstract class PostgresFamilyDialect implements Dialect {
  abstract createDriver(): Driver;

  createAdapter() {
    return new PostgresAdapter();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}
