import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

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
}

/** An S3-compatible server (s3rver) on a free local port, with its own directory. */
export async function startTestS3(): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'berth-s3rver-'));
  let server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
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
      server = new S3rver({ address: '127.0.0.1', port, silent: true, directory });
      await server.run();
      running = true;
    },
    close: async () => {
      client.destroy();
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
