import type { ServerResponse } from 'node:http';
import { open, type FileHandle } from 'node:fs/promises';
import {
  FILE_CHUNK_BYTES,
  readChunk,
  type FileSource,
} from '../../shared/adapters/blob/file-read-stream.js';

/**
 * Writes `response`'s status and headers, then the bytes of `file`, to a
 * Node response. Two buffers take turns: one is read from disk while the
 * other goes to the socket, and a buffer is read into again only once Node
 * reports it written. A web stream cannot tell when its chunks are written,
 * so it needs a new buffer per chunk; at gigabytes per second those fresh
 * buffers keep V8 marking its whole heap (about half a large pull's time).
 */
export async function sendFile(
  outgoing: ServerResponse,
  response: Response,
  file: FileSource,
): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(file.path, 'r');
  } catch (error) {
    outgoing.destroy(error as Error);
    return;
  }
  outgoing.writeHead(response.status, Object.fromEntries(response.headers));
  const gone = new Promise<never>((_, reject) =>
    outgoing.once('close', () => reject(new Error('the client went away'))),
  );
  gone.catch(() => {});
  const buffers = [Buffer.allocUnsafe(FILE_CHUNK_BYTES), Buffer.allocUnsafe(FILE_CHUNK_BYTES)];
  let position = file.start;
  const readInto = async (buffer: Buffer) => {
    if (position >= file.end) return 0;
    const bytesRead = await readChunk(handle, buffer, file, position);
    position += bytesRead;
    return bytesRead;
  };
  let turn = 0;
  let reading = readInto(buffers[turn]!);
  try {
    for (;;) {
      const length = await Promise.race([reading, gone]);
      if (length === 0) break;
      const ready = buffers[turn]!;
      turn ^= 1;
      reading = readInto(buffers[turn]!);
      await Promise.race([written(outgoing, ready.subarray(0, length)), gone]);
    }
    outgoing.end();
  } catch (error) {
    outgoing.destroy(error as Error);
  } finally {
    await reading.catch(() => 0);
    await handle.close();
  }
}

function written(outgoing: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    outgoing.write(chunk, (error) => (error ? reject(error) : resolve())),
  );
}
