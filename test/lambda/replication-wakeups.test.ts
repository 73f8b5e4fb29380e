import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobWorkerHandler } from '../../functions/aws/job-worker.js';
import { replicationNudgeFor } from '../../functions/aws/replication-wakeups.js';
import { loadConfig } from '../../shared/config/config.js';
import { startSqsEmulator } from '../support/sqs-emulator.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { V2Client } from '../support/v2-client.js';

const ACCOUNT = '123456789012';
const queueOf = (region: string) =>
  `https://sqs.${region}.amazonaws.com/${ACCOUNT}/berth-replication`;

/** An SQS record as Lambda's event source mapping delivers it. */
const record = (messageId: string, body: string, region: string): SQSRecord => ({
  messageId,
  receiptHandle: `handle-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '1764028800000',
    SenderId: 'AROAEXAMPLE',
    ApproximateFirstReceiveTimestamp: '1764028800001',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: `arn:aws:sqs:${region}:${ACCOUNT}:berth-replication`,
  awsRegion: region,
});

/**
 * Two regions, as the stacks configure them: each writes only its own
 * location (`local` here stands for us-east-1's bucket, `second` for
 * eu-west-1's), and a push in one wakes the other's replication worker
 * through that region's queue.
 */
describe('waking the other regions after a push', () => {
  let sqs: Awaited<ReturnType<typeof startSqsEmulator>>;
  let east: TestRegistry;
  let west: TestRegistry;
  const GAP_MS = 300;
  /** The nudge's clock stands still: every push below falls inside one gap, however slow the machine. */
  const frozen = () => 1_000_000;

  beforeAll(async () => {
    sqs = await startSqsEmulator();
    const config = loadConfig({
      DISTRIBUTED_STORAGE_CONFIG: JSON.stringify({
        local: ['LocalStorage', { storage_path: '/unused/east' }],
        second: ['LocalStorage', { storage_path: '/unused/west' }],
      }),
      DISTRIBUTED_STORAGE_PREFERENCE: 'local,second',
      BERTH_WRITABLE_LOCATIONS: 'local',
      FEATURE_STORAGE_REPLICATION: 'true',
      DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: 'local,second',
      BERTH_REPLICATION_QUEUES: JSON.stringify({
        local: queueOf('us-east-1'),
        second: queueOf('eu-west-1'),
      }),
    });
    const clients: string[] = [];
    const nudge = replicationNudgeFor(
      config,
      {
        sqsFor: (url) => {
          clients.push(url);
          return new SQSClient({
            endpoint: sqs.endpoint,
            region: 'eu-west-1',
            credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
          });
        },
      },
      GAP_MS,
      frozen,
    );
    expect(nudge).not.toBeNull();
    // The region's own queue is not woken: its own bucket already holds what it pushed.
    expect(clients).toEqual([queueOf('eu-west-1')]);
    east = await startTestRegistry({
      storage: 'fs',
      extraLocations: ['second'],
      replicateTo: ['local', 'second'],
      writableLocations: ['local'],
      replicationNudge: nudge!,
    });
    west = await startTestRegistry({
      shareWith: east,
      replicateTo: ['local', 'second'],
      writableLocations: ['second'],
    });
  });
  afterAll(async () => {
    await west?.close();
    await east?.close();
    await sqs?.close();
  });

  it("sends the other region's worker one replication task, however many pushes, and that worker copies them all", async () => {
    const client = new V2Client(east.app);
    const first = await client.pushBlob('team/app', 'first push');
    expect(sqs.sent.map((m) => [m.queueUrl, JSON.parse(m.body)])).toEqual([
      [queueOf('eu-west-1'), { kind: 'task', task: 'replication' }],
    ]);
    const more = [];
    for (let i = 0; i < 5; i++) more.push(await client.pushBlob('team/app', `push ${i}`));
    // Within the gap: one more send, at its end, covers all five.
    expect(sqs.sent).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, GAP_MS + 300));
    expect(sqs.sent).toHaveLength(2);

    const response = await jobWorkerHandler(async () => west.workers)(
      {
        Records: sqs.sent.map((m) => record(m.messageId, m.body, 'eu-west-1')),
      } satisfies SQSEvent,
      { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 900_000 } as unknown as Context,
    );
    expect(response).toEqual({ batchItemFailures: [] });
    for (const blob of [first, ...more]) {
      expect(await west.stores.get('second')!.stat({ digest: blob.digest, key: null })).toEqual({
        size: blob.size,
      });
    }
  });
});
