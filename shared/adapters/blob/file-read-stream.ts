import { open, type FileHandle } from 'node:fs/promises';
import type { ByteRange } from '../../ports/blob-store.js';

const CHUNK_BYTES = 1024 * 1024;

/** The file and byte range a stream made here reads: `end` is exclusive. */
export interface FileSource {
  path: string;
  start: number;
  end: number;
}

const sources = new WeakMap<ReadableStream<Uint8Array>, FileSource>();

/**
 * The file behind a stream `fileReadStream` made, so a server that can
 * send it better (Node's, with buffers it reuses) may cancel the stream and
 * send the file itself; undefined for any other stream.
 */
export function fileSourceOf(stream: ReadableStream<Uint8Array>): FileSource | undefined {
  return sources.get(stream);
}

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
  let opened: Promise<FileHandle> | undefined;
  let position = range?.start ?? 0;
  const end = range ? range.end + 1 : size;
  let closed = false;
  // A cancel may come while the file is still opening: it closes it once open.
  const close = async () => {
    if (closed) return;
    closed = true;
    await (await opened?.catch(() => undefined))?.close();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      async start() {
        opened = open(path, 'r');
        await opened;
      },
      async pull(controller) {
        const length = Math.min(CHUNK_BYTES, end - position);
        if (length <= 0 || closed || !opened) {
          await close();
          controller.close();
          return;
        }
        const buffer = Buffer.allocUnsafe(length);
        const { bytesRead } = await (await opened).read(buffer, 0, length, position);
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
  sources.set(stream, { path, start: range?.start ?? 0, end });
  return stream;
}
