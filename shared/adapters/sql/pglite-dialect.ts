import type { PGlite } from '@electric-sql/pglite';
import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';
import { PGliteStatements } from './pglite-statements.js';
import { PostgresFamilyDialect } from './postgres-family-dialect.js';

export interface PGliteDialectOptions {
  /**
   * How often to look for tables to vacuum or analyze, when anything was
   * written since the last look. PGlite runs no autovacuum daemon: without
   * this its planner never learns how the tables grew, and dead rows pile up.
   */
  maintenanceEveryMs?: number;
}

/** Tables past autovacuum's default thresholds (`autovacuum_analyze_*`, `autovacuum_vacuum_*`). */
const DUE_FOR_MAINTENANCE = `
  select relname, n_dead_tup > 50 + 0.2 * n_live_tup as vacuum from pg_stat_user_tables
  where n_mod_since_analyze > 50 + 0.1 * n_live_tup or n_dead_tup > 50 + 0.2 * n_live_tup`;

/**
 * Kysely over embedded Postgres (PGlite). PGlite is one connection, so the
 * driver hands it to one caller at a time: a transaction owns it from BEGIN
 * to COMMIT, and other queries queue behind it.
 */
export class PGliteDialect extends PostgresFamilyDialect {
  constructor(
    private readonly pglite: PGlite,
    private readonly options: PGliteDialectOptions = {},
  ) {
    super();
  }

  createDriver(): Driver {
    return new PGliteDriver(this.pglite, this.options);
  }
}

class PGliteDriver implements Driver {
  private readonly connection: PGliteConnection;
  private queue: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;
  private maintenance: ReturnType<typeof setInterval> | undefined;
  private maintaining: Promise<void> = Promise.resolve();

  constructor(
    private readonly pglite: PGlite,
    private readonly options: PGliteDialectOptions,
  ) {
    this.connection = new PGliteConnection(pglite);
  }

  async init(): Promise<void> {
    await this.pglite.waitReady;
    const every = this.options.maintenanceEveryMs;
    if (every) {
      this.maintenance = setInterval(() => (this.maintaining = this.maintain()), every);
      this.maintenance.unref();
    }
  }

  /**
   * What autovacuum would do, table by table, if anything was written since
   * the last look: ANALYZE a table once more than 50 rows plus a tenth of it
   * changed, VACUUM (ANALYZE) it once more than 50 plus a fifth are dead
   * (PostgreSQL's default thresholds). An ANALYZE also makes Postgres plan
   * the statements that read the table afresh, so cached plans follow a
   * table as it grows. Each table in turn with every other caller.
   */
  private async maintain(): Promise<void> {
    if (this.connection.writes === 0) return;
    this.connection.writes = 0;
    try {
      // A backend publishes its row counts at most once a second; asked to,
      // it publishes them as this statement ends, so the next sees them all.
      await this.inTurn((c) =>
        c.executeQuery(CompiledQuery.raw('select pg_stat_force_next_flush()')),
      );
      const { rows } = await this.inTurn((c) =>
        c.executeQuery<{ relname: string; vacuum: boolean }>(
          CompiledQuery.raw(DUE_FOR_MAINTENANCE),
        ),
      );
      for (const { relname, vacuum } of rows) {
        const table = `"${relname.replaceAll('"', '""')}"`;
        await this.inTurn((c) =>
          c.executeQuery(CompiledQuery.raw(`${vacuum ? 'vacuum (analyze)' : 'analyze'} ${table}`)),
        );
      }
    } catch (error) {
      console.warn('[berth] embedded database maintenance failed:', error);
    }
  }

  private async inTurn<T>(work: (connection: DatabaseConnection) => Promise<T>): Promise<T> {
    const connection = await this.acquireConnection();
    try {
      return await work(connection);
    } finally {
      await this.releaseConnection();
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.release = release;
    return this.connection;
  }

  async releaseConnection(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    clearInterval(this.maintenance);
    await this.maintaining;
    await this.pglite.close();
  }
}

class PGliteConnection implements DatabaseConnection {
  /** Statements that changed rows since maintenance last looked. */
  writes = 0;

  private readonly statements: PGliteStatements;

  constructor(pglite: PGlite) {
    this.statements = new PGliteStatements(pglite);
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.statements.run<R>(compiled.sql, compiled.parameters);
    // Rows changed, not statements run: the job queue's idle polls change none.
    if (result.affectedRows) this.writes++;
    return {
      rows: result.rows,
      ...(result.affectedRows !== undefined
        ? { numAffectedRows: BigInt(result.affectedRows) }
        : {}),
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite does not stream query results');
  }
}
