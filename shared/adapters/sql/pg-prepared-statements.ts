import type pg from 'pg';
import { isPreparable, isStalePreparedStatement } from './preparable.js';

/** How many statements one connection prepares; the code holds a few hundred distinct queries. */
export const PREPARED_PER_CONNECTION = 512;

type Query = (...args: unknown[]) => unknown;

/**
 * Makes a connection run each distinct DML text it is given with values
 * (as Kysely sends every query) as a named prepared statement:
 * node-postgres parses it once per connection and afterwards sends only
 * bind and execute, and the server skips parsing it. Up to `capacity` per
 * connection (a statement whose text grows with a list has a text per
 * length); beyond that, texts run unnamed as before. A statement the
 * server no longer accepts gets a new name on its next run.
 */
export function prepareStatementsOn(
  client: pg.ClientBase,
  capacity = PREPARED_PER_CONNECTION,
): void {
  const names = new Map<string, string>();
  let counter = 0;
  const query = client.query.bind(client) as Query;
  const prepared: Query = (text, values, callback) => {
    if (
      typeof text !== 'string' ||
      !Array.isArray(values) ||
      callback !== undefined ||
      !isPreparable(text)
    ) {
      return query(text, values, callback);
    }
    let name = names.get(text);
    if (name === undefined) {
      if (names.size >= capacity) return query(text, values);
      name = `berth_${++counter}`;
      names.set(text, name);
    }
    return (query({ name, text, values }) as Promise<unknown>).catch((error: unknown) => {
      if (isStalePreparedStatement(error)) names.delete(text);
      throw error;
    });
  };
  client.query = prepared as typeof client.query;
}
