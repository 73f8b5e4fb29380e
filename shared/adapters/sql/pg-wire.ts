/**
 * The few messages of Postgres's wire protocol a prepared statement's run
 * needs, written and read straight from one buffer. PGlite's own protocol
 * code copies every message and every field into fresh buffers and reaches
 * its state through down-levelled private fields; on a registry's short
 * statements that was a sixth of the server's CPU.
 *
 * Reading covers the replies of a run that went well. Anything else (an
 * error, a notice, a message not expected here) makes `readRun` answer
 * null, and the caller parses the batch with PGlite's parser instead, so
 * errors keep exactly PGlite's shape.
 */

/** A column of a statement's rows, as its row description names it. */
export interface Column {
  name: string;
  dataTypeID: number;
}

/** What a run answered, in the shape of PGlite's `Results`. */
export interface RunResult {
  rows: Record<string, unknown>[];
  fields: Column[];
  affectedRows: number;
  rowCount?: number;
  command?: string;
}

const EMPTY = Buffer.alloc(0);

/** Bytes of a message's body written as a C string (UTF-8, then NUL). */
const cstringLength = (text: string) => Buffer.byteLength(text) + 1;

/**
 * Close (for each of `closing`), Bind of `statement` with text parameters,
 * Execute of all rows, and Sync: one batch, one allocation.
 */
export function writeRun(
  closing: readonly string[],
  statement: string,
  values: readonly (string | null)[],
): Uint8Array {
  let size = 0;
  for (const name of closing) size += 1 + 4 + 1 + cstringLength(name);
  const valueBytes = values.map((v) => (v === null ? -1 : Buffer.byteLength(v)));
  // portal "", statement, 0 parameter formats (all text), count, values, 0 result formats.
  let bind = 1 + cstringLength(statement) + 2 + 2 + 2;
  for (const length of valueBytes) bind += 4 + Math.max(length, 0);
  size += 1 + 4 + bind;
  size += 1 + 4 + 1 + 4; // Execute: portal "", no row limit
  size += 1 + 4; // Sync

  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const name of closing) {
    out[at] = 0x43; // 'C'
    at = out.writeInt32BE(4 + 1 + cstringLength(name), at + 1);
    out[at++] = 0x53; // 'S': a prepared statement
    at = writeCString(out, name, at);
  }
  out[at] = 0x42; // 'B'
  at = out.writeInt32BE(4 + bind, at + 1);
  out[at++] = 0; // unnamed portal
  at = writeCString(out, statement, at);
  at = out.writeInt16BE(0, at);
  at = out.writeInt16BE(values.length, at);
  values.forEach((value, i) => {
    at = out.writeInt32BE(valueBytes[i]!, at);
    if (value !== null) at += out.write(value, at, 'utf8');
  });
  at = out.writeInt16BE(0, at);
  out[at] = 0x45; // 'E'
  at = out.writeInt32BE(4 + 1 + 4, at + 1);
  out[at++] = 0;
  at = out.writeInt32BE(0, at);
  out[at] = 0x53; // 'S'
  out.writeInt32BE(4, at + 1);
  return out;
}

function writeCString(out: Buffer, text: string, at: number): number {
  const end = at + out.write(text, at, 'utf8');
  out[end] = 0;
  return end + 1;
}

/**
 * The rows and command tag of a run's replies, each field converted by
 * `parse` as PGlite's `parseResults` does; null when the replies hold
 * anything but a successful run.
 */
export function readRun(
  data: Uint8Array,
  columns: readonly Column[] | undefined,
  parse: (text: string, dataTypeID: number) => unknown,
): RunResult | null {
  const bytes =
    data.byteLength === 0 ? EMPTY : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const rows: Record<string, unknown>[] = [];
  let complete: { command: string; count: number } | null = null;
  let at = 0;
  while (at + 5 <= bytes.length) {
    const type = bytes[at]!;
    const length = bytes.readInt32BE(at + 1);
    const body = at + 5;
    const end = at + 1 + length;
    if (length < 4 || end > bytes.length) return null;
    switch (type) {
      case 0x32: // '2' BindComplete
      case 0x33: // '3' CloseComplete
      case 0x5a: // 'Z' ReadyForQuery
        break;
      case 0x44: {
        // 'D' DataRow
        if (!columns) return null;
        const row = readRow(bytes, body, columns, parse);
        if (!row) return null;
        rows.push(row);
        break;
      }
      case 0x43: {
        // 'C' CommandComplete
        const tag = bytes.toString('utf8', body, end - 1).split(' ');
        complete = { command: tag[0]!, count: parseInt(tag[tag.length - 1]!, 10) };
        break;
      }
      default:
        return null;
    }
    at = end;
  }
  if (at !== bytes.length) return null;
  const fields = columns ? [...columns] : [];
  if (!complete) return { rows, fields, affectedRows: 0 };
  const counted = ['INSERT', 'UPDATE', 'DELETE', 'COPY', 'MERGE'].includes(complete.command);
  return {
    rows,
    fields,
    command: complete.command,
    affectedRows: counted ? complete.count : 0,
    ...(Number.isNaN(complete.count) ? {} : { rowCount: complete.count }),
  };
}

function readRow(
  bytes: Buffer,
  at: number,
  columns: readonly Column[],
  parse: (text: string, dataTypeID: number) => unknown,
): Record<string, unknown> | null {
  const count = bytes.readInt16BE(at);
  if (count !== columns.length) return null;
  at += 2;
  const row: Record<string, unknown> = {};
  for (const column of columns) {
    const length = bytes.readInt32BE(at);
    at += 4;
    if (length < 0) {
      row[column.name] = null;
      continue;
    }
    row[column.name] = parse(bytes.toString('utf8', at, at + length), column.dataTypeID);
    at += length;
  }
  return row;
}
