import type { Context, SQSEvent } from 'aws-lambda';
import { Hono } from 'hono';
import type { LambdaEvent } from 'hono/aws-lambda';
import { describe, expect, it } from 'vitest';
import { dataApiClientFor } from '../../functions/aws/aws-wiring.js';
import { jobWorkerHandler } from '../../functions/aws/job-worker.js';
import { lambdaHttpHandler, MAX_BUFFERED_BODY_BYTES } from '../../functions/aws/lambda-http.js';
import { lazyInit } from '../../functions/aws/lazy-init.js';
import { serveRegistry } from '../../functions/common/node-server.js';
import type { HttpApp } from '../../shared/http/http-env.js';
import type { WorkerDeps } from '../../shared/workers/worker-deps.js';
import { s3StoreFor } from '../../functions/common/s3-blob-stores.js';
import { copySource } from '../../shared/adapters/blob/s3-blob-store.js';
import { loadConfig } from '../../shared/config/config.js';
import { LAMBDA, S3_ACCESS_POINTS } from '../infra/aws-facts.js';

const context = {
  awsRequestId: 'req-1',
  functionName: 'berth-job-worker',
  getRemainingTimeInMillis: () => 900_000,
} as unknown as Context;

describe('the AWS runtime', () => {
  it("calls the Data API in the cluster's region, not the function's own", async () => {
    const previous = process.env.AWS_REGION;
    process.env.AWS_REGION = 'eu-west-1';
    try {
      const client = dataApiClientFor('arn:aws:rds:us-east-1:123456789012:cluster:berth-metadata');
      expect(await client.config.region()).toBe('us-east-1');
    } finally {
      process.env.AWS_REGION = previous;
    }
  });

  it("reads another region's bucket through its access point, with pull redirects to the point's host", async () => {
    const arn = S3_ACCESS_POINTS.arn('eu-west-1', '123456789012', 'berth-blobs');
    // The location as the remote region's stack writes it (`infra/constructs/bindings.ts`).
    const config = loadConfig({
      DISTRIBUTED_STORAGE_CONFIG: JSON.stringify({
        'eu-west-1': [
          'S3Storage',
          {
            s3_bucket: arn,
            s3_region: 'eu-west-1',
            s3_access_key: 'AKIDEXAMPLE',
            s3_secret_key: 'x',
          },
        ],
      }),
    });
    const store = s3StoreFor(config.storage.locations[0]!, false);
    const digest = `sha256:${'ab'.repeat(32)}`;
    const url = new URL((await store.redirectUrl({ digest, key: null }, 600))!);
    expect(url.host).toBe(S3_ACCESS_POINTS.host('eu-west-1', '123456789012', 'berth-blobs'));
    expect(url.pathname).toContain('sha256/ab/');
    expect(url.searchParams.get('X-Amz-Credential')).toContain('/eu-west-1/s3/');
    expect(copySource(arn, 'uploads/u1/tail-0')).toBe(
      S3_ACCESS_POINTS.copySource(arn, 'uploads/u1/tail-0'),
    );
    expect(copySource('berth-blobs-x', 'uploads/u1/tail-0')).toBe(
      'berth-blobs-x/uploads/u1/tail-0',
    );
  });

  it('builds again on the next invocation after a cold start that failed', async () => {
    let attempts = 0;
    const deps = lazyInit(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('Secrets Manager: Rate exceeded');
      return {} as WorkerDeps;
    });
    const handler = jobWorkerHandler(deps);
    const event: SQSEvent = {
      Records: [
        {
          messageId: 'm1',
          receiptHandle: 'r1',
          body: '{"kind":"not-a-job"}',
          attributes: {
            ApproximateReceiveCount: '1',
            SentTimestamp: '1795990320000',
            SenderId: 'AIDAEXAMPLE',
            ApproximateFirstReceiveTimestamp: '1795990320000',
          },
          messageAttributes: {},
          md5OfBody: 'x',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:berth-jobs',
          awsRegion: 'us-east-1',
        },
      ],
    };
    await expect(handler(event, context)).rejects.toThrow('Rate exceeded');
    // The same warm instance recovers: the failed build was not kept.
    expect(await handler(event, context)).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm1' }],
    });
    expect(attempts).toBe(2);
  });

  it('refuses a response too large to buffer before reading its body, and passes a 4 MiB manifest', async () => {
    expect(MAX_BUFFERED_BODY_BYTES * (4 / 3)).toBeLessThan(LAMBDA.maxBufferedPayloadBytes);
    expect(MAX_BUFFERED_BODY_BYTES).toBeGreaterThan(4 * 1024 * 1024);
    let pulled = 0;
    const app = new Hono();
    app.get('/big', () => {
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled += 1;
          controller.enqueue(new Uint8Array(1024 * 1024));
        },
      });
      return new Response(body, { headers: { 'content-length': String(512 * 1024 * 1024) } });
    });
    app.get(
      '/manifest',
      () =>
        new Response(new Uint8Array(4 * 1024 * 1024), {
          headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
        }),
    );
    const handler = lambdaHttpHandler(app as unknown as HttpApp);
    const event = (path: string) =>
      ({
        version: '2.0',
        rawPath: path,
        rawQueryString: '',
        headers: { host: 'f3k2example.lambda-url.us-east-1.on.aws' },
        requestContext: {
          http: { method: 'GET', path },
          domainName: 'f3k2example.lambda-url.us-east-1.on.aws',
        },
        isBase64Encoded: false,
      }) as unknown as LambdaEvent;
    const big = await handler(event('/big'), context);
    expect(big.statusCode).toBe(500);
    expect(JSON.parse(Buffer.from(big.body!, 'base64').toString()).errors[0].detail).toEqual({
      bytes: 512 * 1024 * 1024,
      limit: MAX_BUFFERED_BODY_BYTES,
    });
    expect(pulled).toBeLessThan(3);
    const manifest = await handler(event('/manifest'), context);
    expect(manifest.statusCode).toBe(200);
    expect(Buffer.from(manifest.body!, 'base64').byteLength).toBe(4 * 1024 * 1024);
  });

  it("runs the registry's Node server without a request timeout, so long uploads are not cut", async () => {
    const server = serveRegistry(
      new Hono() as unknown as HttpApp,
      { hostname: '127.0.0.1', port: 0 },
      () => {},
    );
    try {
      expect(server.requestTimeout).toBe(0);
      expect(server.headersTimeout).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  });
  it('keeps blobs in S3 only: a LocalStorage location is refused at start, by name', () => {
    const config = loadConfig({
      DISTRIBUTED_STORAGE_CONFIG: JSON.stringify({
        disk: ['LocalStorage', { storage_path: '/tmp/berth' }],
      }),
    });
    expect(() => s3StoreFor(config.storage.locations[0]!, false)).toThrow(
      'storage location disk is LocalStorage; on AWS every location must be S3Storage',
    );
  });
});
