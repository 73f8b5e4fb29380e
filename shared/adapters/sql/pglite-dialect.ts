import type { PGlite } from '@electric-sql/pglite';
import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';
import { PGliteStatements } from './pglite-statements.js';
import { PostgresFamilyDialect } from './postgres-family-dialect.js';

export interface PGliteDialectOptions {
  /**
   * How often to vacuum and analyze the database, when anything was written
   * since the last time. PGlite runs no autovacuum daemon: without this its
   * planner never learns how the tables grew, and dead rows pile up.
   */
  maintenanceEveryMs?: number;
}

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

  /** VACUUM (ANALYZE), in turn with every other caller, if anything was written since the last. */
  private async maintain(): Promise<void> {
    if (this.connection.writes === 0) return;
    this.connection.writes = 0;
    const connection = await this.acquireConnection();
    try {
      await connection.executeQuery(CompiledQuery.raw('vacuum (analyze)'));
    } catch (error) {
      console.warn('[berth] embedded database maintenance failed:', error);
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
  /** Statements other than plain reads since maintenance last ran. */
  writes = 0;

  private readonly statements: PGliteStatements;

  constructor(pglite: PGlite) {
    this.statements = new PGliteStatements(pglite);
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (!/^\s*(select|begin|commit|rollback)\b/i.test(compiled.sql)) this.writes++;
    const result = await this.statements.run<R>(compiled.sql, compiled.parameters);
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
