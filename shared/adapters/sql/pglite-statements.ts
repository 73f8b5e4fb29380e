import { messages, parse, protocol, type PGlite, type Results } from '@electric-sql/pglite';
import { readRun, writeRun, type Column } from './pg-wire.js';
import { isPreparable, isStalePreparedStatement } from './preparable.js';

type BackendMessage = messages.BackendMessage;

/** A statement prepared once under a name, with what Postgres said of its parameters and rows. */
interface Prepared {
  name: string;
  parameterTypes: number[];
  /** The statement's row description; absent for statements that return no rows. */
  rows: messages.RowDescriptionMessage | undefined;
  columns: Column[] | undefined;
}

const BYTEA = 17;

/**
 * `bytea` as PGlite converts it (hex text both ways, `Uint8Array` out), by
 * Node's hex codec rather than a call per byte: manifests are stored as
 * bytea and read on every pull.
 */
const byteaText = (value: unknown): string => {
  if (!(value instanceof Uint8Array)) throw new Error('Invalid input for bytea type');
  return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
};
const byteaValue = (text: string): Uint8Array => {
  const bytes = new Uint8Array((text.length - 2) >> 1);
  Buffer.from(bytes.buffer).write(text.slice(2), 'hex');
  return bytes;
};

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
 * every later run is one bind-execute-sync batch, written and read by
 * `pg-wire` rather than PGlite's protocol code. Values are converted by
 * PGlite's own serializers and parsers (bytea by Node's hex codec, to the
 * same bytes), so callers see exactly what `PGlite.query` gives.
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
    // A statement prepared before needs no second look at its text.
    const known = this.prepared.get(sql);
    if (!known && !isPreparable(sql)) {
      if (parameters.length > 0) return this.pglite.query<R>(sql, [...parameters]);
      return this.result<R>(await this.exchange([protocol.serialize.query(sql)]));
    }
    const statement = known ?? (await this.prepare(sql));
    // Most recently used last: the first entry is the one to evict.
    this.prepared.delete(sql);
    this.prepared.set(sql, statement);
    this.evictBeyondCapacity();
    const values = parameters.map((value, i) => this.serialize(value, statement.parameterTypes[i]));
    try {
      // Postgres closes statements whatever the transaction's state, so evicted ones go in the same batch.
      const data = await this.raw(writeRun(this.closing.splice(0), statement.name, values));
      const fast = readRun(data, statement.columns, this.parseValue);
      if (fast) return fast as Results<R>;
      // An error or a reply the fast reader does not know: PGlite's parser, for its exact shapes.
      const replies = this.replies(data);
      return this.result<R>(statement.rows ? [statement.rows, ...replies] : replies);
    } catch (error) {
      // A table changed under a statement ("cached plan must not change result
      // type"), or the statement is gone: prepare it afresh next time.
      if (isStalePreparedStatement(error)) this.forget(sql);
      throw error;
    }
  }

  private async prepare(sql: string): Promise<Prepared> {
    const name = `berth_${++this.counter}`;
    const replies = await this.exchange([
      protocol.serialize.parse({ name, text: sql }),
      protocol.serialize.describe({ type: 'S', name }),
      protocol.serialize.sync(),
    ]);
    const rows = replies.find(
      (reply): reply is messages.RowDescriptionMessage => reply.name === 'rowDescription',
    );
    return {
      name,
      parameterTypes: parse.parseDescribeStatementResults(replies),
      rows,
      columns: rows?.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
    };
  }

  private serialize(value: unknown, type: number | undefined): string | null {
    if (value === null || value === undefined) return null;
    if (type === BYTEA) return byteaText(value);
    const serializer = type === undefined ? undefined : this.pglite.serializers[type];
    return serializer ? serializer(value) : String(value);
  }

  private readonly parseValue = (text: string, type: number): unknown => {
    if (type === BYTEA) return byteaValue(text);
    const parser = this.pglite.parsers[type];
    return parser ? parser(text, type) : text;
  };

  /** Sends one batch of messages; answers the replies, or throws the first error Postgres reported. */
  private async exchange(batch: Uint8Array[]): Promise<BackendMessage[]> {
    return this.replies(await this.raw(concat(batch)));
  }

  /**
   * The bytes Postgres answers to `message`, untouched. Not
   * `execProtocolRawSync`: its default reader parses every reply as well
   * and keeps the parsed messages until the next `query` (about half a
   * kilobyte per statement, never released on a busy server).
   */
  private async raw(message: Uint8Array): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    await this.pglite.execProtocolRawStream(message, {
      syncToFs: false,
      // A view into the database's memory, which the next write reuses.
      onRawData: (bytes) => chunks.push(bytes.slice()),
    });
    return chunks.length === 1 ? chunks[0]! : concat(chunks);
  }

  /** The messages of a batch's replies; throws the first error Postgres reported. */
  private replies(data: Uint8Array): BackendMessage[] {
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
