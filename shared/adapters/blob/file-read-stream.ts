import { open, type FileHandle } from 'node:fs/promises';
import type { ByteRange } from '../../ports/blob-store.js';

const CHUNK_BYTES = 1024 * 1024;

/**
 * A file (or an inclusive byte range of it) as a web stream, read straight
 * into 1 MiB buffers with two chunks of read-ahead, so the disk and the
 * socket work at the same time. Leaner than wrapping a Node stream with
 * `Readable.toWeb`, which adds a stream layer per chunk.
 */
export function fileReadStream(
  path: string,
  size: number,
  range?: ByteRange,
): ReadableStream<Uint8Array> {
  let handle: FileHandle | undefined;
  let position = range?.start ?? 0;
  const end = range ? range.end + 1 : size;
  const close = async () => {
    const h = handle;
    handle = undefined;
    await h?.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      async start() {
        handle = await open(path, 'r');
      },
      async pull(controller) {
        const length = Math.min(CHUNK_BYTES, end - position);
        if (length <= 0 || !handle) {
          await close();
          controller.close();
          return;
        }
        const buffer = Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(buffer, 0, length, position);
        if (bytesRead === 0) {
          await close();
          controller.error(new Error(`${path} ended ${end - position} bytes early`));
          return;
        }
        position += bytesRead;
        controller.enqueue(buffer.subarray(0, bytesRead));
      },
      cancel: close,
    },
    { highWaterMark: 2 },
  );
}
