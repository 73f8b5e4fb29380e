import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobWorkerHandler } from '../../functions/aws/job-worker.js';
import { scheduledTaskHandler } from '../../functions/aws/scheduled-task.js';
import { SqsJobQueue } from '../../shared/adapters/queue/sqs-job-queue.js';
import type { WorkerDeps } from '../../shared/workers/worker-deps.js';
import { createUser, PASSWORD } from '../support/accounts.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import {
  mirrorConfig,
  mirrorSetup,
  serveOnLoopback,
  tagDigests,
  type LoopbackServer,
} from '../support/mirroring.js';
import { startSqsEmulator } from '../support/sqs-emulator.js';
import { sqsRecord } from '../support/sqs-record.js';
import { V2Client } from '../support/v2-client.js';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/berth-jobs';

const record = (messageId: string, body: string): SQSRecord =>
  sqsRecord(messageId, body, 'arn:aws:sqs:eu-west-1:123456789012:berth-jobs');

const context = (remainingMs: number) =>
  ({ awsRequestId: 'req-9', getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;

describe('the job worker Lambda and the SQS queue', () => {
  let upstream: TestRegistry;
  let downstream: TestRegistry;
  let server: LoopbackServer;
  let sqs: Awaited<ReturnType<typeof startSqsEmulator>>;
  let deps: WorkerDeps;

  beforeAll(async () => {
    sqs = await startSqsEmulator();
    upstream = await startTestRegistry({ access: { enabled: true } });
    downstream = await startTestRegistry({ access: { enabled: true } });
    await createUser(upstream, 'alice');
    await new V2Client(upstream.app, `alice:${PASSWORD}`).pushImage('alice/app', 'v1');
    server = await serveOnLoopback(upstream.app);
    const { api, path } = await mirrorSetup(downstream);
    await api.post(path, mirrorConfig(downstream, server.host));
    const client = new SQSClient({
      endpoint: sqs.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });
    deps = {
      ...downstream.workers,
      mirror: { ...downstream.workers.mirror, queue: new SqsJobQueue(client, QUEUE_URL) },
    };
  });
  afterAll(async () => {
    await server?.close();
    await upstream?.close();
    await downstream?.close();
    await sqs?.close();
  });

  it('the mirror-schedule task sends one SQS message per due mirror; the worker syncs from it', async () => {
    // Act
    const scheduled = await scheduledTaskHandler(async () => deps)(
      { task: 'mirror-schedule', time: '2026-11-25T10:00:00Z' },
      context(60_000),
    );
    const message = sqs.sent[0]!;
    const response = await jobWorkerHandler(async () => deps)(
      { Records: [record(message.messageId, message.body)] } satisfies SQSEvent,
      context(15 * 60_000),
    );

    // Assess
    expect(scheduled).toEqual({ task: 'mirror-schedule', handled: 1 });
    expect(sqs.sent).toHaveLength(1);
    expect(message.queueUrl).toBe(QUEUE_URL);
    expect(JSON.parse(message.body)).toEqual({
      kind: 'mirror-sync',
      repositoryId: expect.any(Number),
    });
    expect(response).toEqual({ batchItemFailures: [] });
    const mirrored = await tagDigests(
      (p, i) => new V2Client(downstream.app, `owner:${PASSWORD}`).request(p, i),
      'mirrors/app',
    );
    expect(Object.keys(mirrored)).toEqual(['v1']);
  });

  it('reports the messages it could not handle as partial batch failures', async () => {
    const response = await jobWorkerHandler(async () => deps)(
      {
        Records: [
          record('not-json', '{oops'),
          record('unknown-kind', JSON.stringify({ kind: 'paint-the-shed' })),
          record('no-such-mirror', JSON.stringify({ kind: 'mirror-sync', repositoryId: 999_999 })),
        ],
      },
      context(15 * 60_000),
    );

    // A job for a repository that is not a mirror (any more) is done: nothing to retry.
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: 'not-json' },
      { itemIdentifier: 'unknown-kind' },
    ]);
  });

  it('leaves a record for a retry when too little time is left to start it', async () => {
    const response = await jobWorkerHandler(async () => deps)(
      { Records: [record('late', JSON.stringify({ kind: 'mirror-sync', repositoryId: 1 }))] },
      context(10_000),
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'late' }]);
  });

  it('fails a send that SQS partly refuses, so no job is silently lost', async () => {
    const queue = deps.mirror.queue;
    await expect(
      queue.send([{ kind: 'mirror-sync', repositoryId: 1, token: 'refuse-me' }]),
    ).rejects.toThrow(/SQS refused 1 job/);
  });
});
