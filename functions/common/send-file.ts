import type { ServerResponse } from 'node:http';
import { open, type FileHandle } from 'node:fs/promises';
import type { FileSource } from '../../shared/adapters/blob/file-read-stream.js';

const CHUNK_BYTES = 1024 * 1024;

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
  const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
  let position = file.start;
  const readInto = async (buffer: Buffer) => {
    const length = Math.min(CHUNK_BYTES, file.end - position);
    if (length <= 0) return 0;
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    if (bytesRead === 0) throw new Error(`${file.path} ended ${file.end - position} bytes early`);
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
