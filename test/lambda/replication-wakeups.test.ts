import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobWorkerHandler } from '../../functions/aws/job-worker.js';
import { replicationNudgeFor } from '../../functions/aws/replication-wakeups.js';
import { loadConfig } from '../../shared/config/config.js';
import { startSqsEmulator } from '../support/sqs-emulator.js';
import { sqsRecord } from '../support/sqs-record.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { V2Client } from '../support/v2-client.js';

const ACCOUNT = '123456789012';
const queueOf = (region: string) =>
  `https://sqs.${region}.amazonaws.com/${ACCOUNT}/berth-replication`;

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
  /** The nudge's clock stands still: after the first push, only the trailing sends fire. */
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
    const started = Date.now();
    const more = [];
    for (let i = 0; i < 5; i++) more.push(await client.pushBlob('team/app', `push ${i}`));
    const burstMs = Date.now() - started;
    // At most one send per gap while pushes keep coming, and one at the end covers the last.
    await new Promise((resolve) => setTimeout(resolve, GAP_MS + 300));
    expect(sqs.sent.length).toBeGreaterThanOrEqual(2);
    expect(sqs.sent.length).toBeLessThanOrEqual(2 + Math.floor(burstMs / GAP_MS));
    expect(new Set(sqs.sent.map((m) => m.queueUrl))).toEqual(new Set([queueOf('eu-west-1')]));

    const response = await jobWorkerHandler(async () => west.workers)(
      {
        Records: sqs.sent.map((m) =>
          sqsRecord(m.messageId, m.body, `arn:aws:sqs:eu-west-1:${ACCOUNT}:berth-replication`),
        ),
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
