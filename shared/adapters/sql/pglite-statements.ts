import { messages, parse, protocol, type PGlite, type Results } from '@electric-sql/pglite';
import { isPreparable, isStalePreparedStatement } from './preparable.js';

type BackendMessage = messages.BackendMessage;

/** A statement prepared once under a name, with what Postgres said of its parameters and rows. */
interface Prepared {
  name: string;
  parameterTypes: number[];
  /** The statement's row description; absent for statements that return no rows. */
  rows: messages.RowDescriptionMessage | undefined;
}

/** How many prepared statements one database keeps; the code holds a few hundred distinct queries. */
export const PREPARED_STATEMENT_CAPACITY = 512;

/**
 * Runs statements on PGlite over its wire protocol, each as one message
 * batch. `PGlite.query` sends parse, describe, bind, describe, execute and
 * sync as six separate calls into WebAssembly and parses and plans every
 * statement anew; a registry sends the same few hundred statements over and
 * over. So each distinct DML text is parsed once as a named prepared
 * statement (Postgres then plans it as it would for any driver that
 * prepares: custom plans first, a generic plan once that is no worse), and
 * every later run is one bind-execute-sync batch. Parameters and results
 * are converted by PGlite's own serializers and parsers, so callers see
 * exactly what `PGlite.query` gives.
 *
 * Not safe for concurrent use: the caller hands the database to one
 * statement at a time (the dialect's connection queue does).
 */
export class PGliteStatements {
  private readonly prepared = new Map<string, Prepared>();
  /** Statements evicted from the cache, closed with the next statement that runs. */
  private readonly closing: string[] = [];
  private counter = 0;
  private readonly parser = new protocol.Parser();

  constructor(
    private readonly pglite: PGlite,
    private readonly capacity = PREPARED_STATEMENT_CAPACITY,
  ) {}

  /** How many statements are prepared now. */
  get size(): number {
    return this.prepared.size;
  }

  async run<R>(sql: string, parameters: readonly unknown[]): Promise<Results<R>> {
    if (!isPreparable(sql)) {
      if (parameters.length > 0) return this.pglite.query<R>(sql, [...parameters]);
      return this.result<R>(this.exchange([protocol.serialize.query(sql)]));
    }
    const statement = this.prepared.get(sql) ?? this.prepare(sql);
    // Most recently used last: the first entry is the one to evict.
    this.prepared.delete(sql);
    this.prepared.set(sql, statement);
    this.evictBeyondCapacity();
    const values = parameters.map((value, i) => this.serialize(value, statement.parameterTypes[i]));
    try {
      // Postgres closes statements whatever the transaction's state, so evicted ones go in the same batch.
      const replies = this.exchange([
        ...this.closing.splice(0).map((name) => protocol.serialize.close({ type: 'S', name })),
        protocol.serialize.bind({ statement: statement.name, values }),
        protocol.serialize.execute({}),
        protocol.serialize.sync(),
      ]);
      return this.result<R>(statement.rows ? [statement.rows, ...replies] : replies);
    } catch (error) {
      // A table changed under a statement ("cached plan must not change result
      // type"), or the statement is gone: prepare it afresh next time.
      if (isStalePreparedStatement(error)) this.forget(sql);
      throw error;
    }
  }

  private prepare(sql: string): Prepared {
    const name = `berth_${++this.counter}`;
    const replies = this.exchange([
      protocol.serialize.parse({ name, text: sql }),
      protocol.serialize.describe({ type: 'S', name }),
      protocol.serialize.sync(),
    ]);
    return {
      name,
      parameterTypes: parse.parseDescribeStatementResults(replies),
      rows: replies.find(
        (reply): reply is messages.RowDescriptionMessage => reply.name === 'rowDescription',
      ),
    };
  }

  private serialize(value: unknown, type: number | undefined): string | null {
    if (value === null || value === undefined) return null;
    const serializer = type === undefined ? undefined : this.pglite.serializers[type];
    return serializer ? serializer(value) : String(value);
  }

  /** Sends one batch of messages; answers the replies, or throws the first error Postgres reported. */
  private exchange(batch: Uint8Array[]): BackendMessage[] {
    const data = this.pglite.execProtocolRawSync(concat(batch));
    const replies: BackendMessage[] = [];
    let failure: messages.DatabaseError | undefined;
    this.parser.parse(data, (message) => {
      if (message instanceof messages.DatabaseError) failure ??= message;
      replies.push(message);
    });
    if (failure) throw failure;
    return replies;
  }

  private result<R>(replies: BackendMessage[]): Results<R> {
    return parse.parseResults(replies, this.pglite.parsers)[0] as Results<R>;
  }

  private evictBeyondCapacity(): void {
    while (this.prepared.size > this.capacity) {
      const [oldest] = this.prepared.keys();
      if (oldest === undefined) return;
      this.forget(oldest);
    }
  }

  private forget(sql: string): void {
    const statement = this.prepared.get(sql);
    if (!statement) return;
    this.prepared.delete(sql);
    this.closing.push(statement.name);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const whole = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}
