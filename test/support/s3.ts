import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { S3_COPY } from '../infra/aws-facts.js';

export interface TestS3 {
  endpoint: string;
  client: S3Client;
  accessKeyId: string;
  secretAccessKey: string;
  createBucket(name: string): Promise<void>;
  /** Stops serving, as an outage would; what it holds stays for `restart`. */
  stop(): Promise<void>;
  /** Serves again on the same port, with what it held. */
  restart(): Promise<void>;
  close(): Promise<void>;
  /** UploadPartCopy requests answered so far (with `uploadPartCopy`). */
  partCopies(): number;
}

export interface TestS3Options {
  /**
   * Answer UploadPartCopy, which s3rver leaves NotImplemented, as S3's API
   * reference describes it (`S3_COPY` in `aws-facts.ts`): the source range
   * `bytes=first-last`, zero-based and inclusive, within the source, which
   * must be over 5 MB; the part is stored as UploadPart would store it.
   */
  uploadPartCopy?: boolean;
}

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  status: number;
  type: string;
  body: string;
}

/** A Koa middleware for s3rver that answers UploadPartCopy by GetObject (ranged) and UploadPart. */
function uploadPartCopy(clientOf: () => S3Client, count: () => void) {
  return async (ctx: KoaContext, next: () => Promise<void>) => {
    const source = ctx.headers['x-amz-copy-source'];
    const { uploadId, partNumber } = ctx.query;
    if (ctx.method !== 'PUT' || !source || !uploadId || !partNumber) return next();
    const client = clientOf();
    const fail = (status: number, code: string, message: string) => {
      ctx.status = status;
      ctx.type = 'application/xml';
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
    };
    const [bucket, ...rest] = decodeURIComponent(source.replace(/^\//, '')).split('/');
    const sourceKey = rest.join('/');
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: sourceKey }));
    const size = head.ContentLength!;
    const range = ctx.headers['x-amz-copy-source-range'];
    if (range !== undefined) {
      const match = S3_COPY.copySourceRange.exec(range);
      const first = match ? Number(match[1]) : NaN;
      const last = match ? Number(match[2]) : NaN;
      if (!match || first > last || last >= size) {
        return fail(
          400,
          'InvalidArgument',
          `The x-amz-copy-source-range value ${range} is invalid`,
        );
      }
      if (size <= S3_COPY.rangeNeedsSourceOver) {
        return fail(
          400,
          'InvalidRequest',
          'The specified copy source is not supported as a byte-range copy source',
        );
      }
    }
    const got = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: sourceKey, ...(range ? { Range: range } : {}) }),
    );
    const [targetBucket, ...targetKey] = ctx.path.replace(/^\//, '').split('/');
    const stored = await client.send(
      new UploadPartCommand({
        Bucket: targetBucket,
        Key: decodeURIComponent(targetKey.join('/')),
        UploadId: uploadId,
        PartNumber: Number(partNumber),
        Body: await got.Body!.transformToByteArray(),
      }),
    );
    count();
    ctx.status = 200;
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?><CopyPartResult><LastModified>${new Date().toISOString()}</LastModified><ETag>${stored.ETag}</ETag></CopyPartResult>`;
  };
}

/** An S3-compatible server (s3rver) on a free local port, with its own directory. */
export async function startTestS3(options: TestS3Options = {}): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'berth-s3rver-'));
  let partCopies = 0;
  const extend = (s: S3rver) => {
    // Ahead of s3rver's own routes, which refuse UploadPartCopy.
    if (options.uploadPartCopy) {
      (s as unknown as { middleware: unknown[] }).middleware.unshift(
        uploadPartCopy(
          // The client exists once the port is known, before any request.
          () => client,
          () => (partCopies += 1),
        ),
      );
    }
    return s;
  };
  let server = extend(new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory }));
  const { port } = (await server.run()) as { port: number };
  let running = true;
  const endpoint = `http://127.0.0.1:${port}`;
  const accessKeyId = 'S3RVER';
  const secretAccessKey = 'S3RVER';
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
  });
  const stop = async () => {
    if (running) await server.close();
    running = false;
  };
  return {
    endpoint,
    client,
    accessKeyId,
    secretAccessKey,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop,
    restart: async () => {
      server = extend(new S3rver({ address: '127.0.0.1', port, silent: true, directory }));
      await server.run();
      running = true;
    },
    partCopies: () => partCopies,
    close: async () => {
      client.destroy();
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
