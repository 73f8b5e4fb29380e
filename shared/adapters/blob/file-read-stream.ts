import { open, type FileHandle } from 'node:fs/promises';
import type { ByteRange } from '../../ports/blob-store.js';

/** How much of a file one read takes, into one buffer. */
export const FILE_CHUNK_BYTES = 1024 * 1024;

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
 * Reads the next chunk of `file` at `position` into `buffer`; how many
 * bytes it read. A file shorter than the range it was to have is an error.
 */
export async function readChunk(
  handle: FileHandle,
  buffer: Buffer,
  file: FileSource,
  position: number,
): Promise<number> {
  const length = Math.min(buffer.byteLength, file.end - position);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  if (bytesRead === 0) throw new Error(`${file.path} ended ${file.end - position} bytes early`);
  return bytesRead;
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
  const file: FileSource = { path, start: range?.start ?? 0, end: range ? range.end + 1 : size };
  let opened: Promise<FileHandle> | undefined;
  let position = file.start;
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
        if (position >= file.end || closed || !opened) {
          await close();
          controller.close();
          return;
        }
        const buffer = Buffer.allocUnsafe(Math.min(FILE_CHUNK_BYTES, file.end - position));
        try {
          const bytesRead = await readChunk(await opened, buffer, file, position);
          position += bytesRead;
          controller.enqueue(buffer.subarray(0, bytesRead));
        } catch (error) {
          await close();
          controller.error(error);
        }
      },
      cancel: close,
    },
    { highWaterMark: 2 },
  );
  sources.set(stream, file);
  return stream;
}
