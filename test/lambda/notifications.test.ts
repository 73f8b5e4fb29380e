import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsJobQueue, notificationWakeups } from '../../functions/aws/aws-job-queue.js';
import { awsMailer } from '../../functions/aws/aws-mail.js';
import { awsWakeups } from '../../functions/aws/aws-wakeups.js';
import { buildAwsApp, type AwsClients } from '../../functions/aws/aws-wiring.js';
import { buildAwsWorkers } from '../../functions/aws/aws-workers.js';
import { jobWorkerHandler } from '../../functions/aws/job-worker.js';
import { lambdaHttpHandler } from '../../functions/aws/lambda-http.js';
import { onMigrationEvent } from '../../functions/aws/migrate.js';
import { adminFromConfig } from '../../functions/common/admin-from-config.js';
import { EVENT_SOURCE } from '../../shared/adapters/events/eventbridge-publisher.js';
import { S3BlobStore } from '../../shared/adapters/blob/s3-blob-store.js';
import { loadConfig, type BerthConfig } from '../../shared/config/config.js';
import { apiSurface } from '../../shared/http/api/api-surface.js';
import { v2Surface } from '../../shared/http/v2/v2-surface.js';
import { digestOf } from '../../shared/oci/digest.js';
import { MediaType } from '../../shared/oci/media-types.js';
import { EVENTBRIDGE_PUT_EVENTS } from '../infra/aws-facts.js';
import { dataApiEmulator } from '../support/data-api-emulator.js';
import { skipUnlessAvailable } from '../support/harness.js';
import {
  FUNCTION_ENV,
  functionUrlEvent,
  MIGRATION_CREATE_EVENT,
  secretsManager,
} from '../support/lambda-events.js';
import { createScratchDatabase } from '../support/postgres.js';
import { HttpReceiver } from '../support/receivers.js';
import { startTestS3, type TestS3 } from '../support/s3.js';
import { startSqsEmulator } from '../support/sqs-emulator.js';
import { sqsRecord } from '../support/sqs-record.js';

const databaseUrl = process.env.DATABASE_URL;
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/berth-jobs';
const context = {
  awsRequestId: 'req-n',
  functionName: 'berth',
  getRemainingTimeInMillis: () => 15 * 60_000,
} as unknown as Context;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

/**
 * Notifications on the AWS runtimes, in-process: a push through the
 * registry function records the delivery and wakes the job worker with an
 * SQS message; the job worker Lambda sends the webhook, publishes the
 * event to EventBridge, and mails through SES. SQS, EventBridge and SES
 * are answered by local servers speaking their wire protocols to the real
 * SDK clients.
 */
describe.skipIf(skipUnlessAvailable(Boolean(databaseUrl), 'DATABASE_URL (PostgreSQL)'))(
  'notifications on AWS: registry function, SQS, job worker, EventBridge, SES',
  () => {
    let s3: TestS3;
    let scratch: { url: string; drop: () => Promise<void> };
    let emulator: ReturnType<typeof dataApiEmulator>;
    let sqs: Awaited<ReturnType<typeof startSqsEmulator>>;
    let eventBridge: HttpReceiver;
    let ses: HttpReceiver;
    let hooks: HttpReceiver;
    let config: BerthConfig;
    let clients: AwsClients;
    let registry: ReturnType<typeof lambdaHttpHandler>;
    let rest: ReturnType<typeof lambdaHttpHandler>;
    let worker: ReturnType<typeof jobWorkerHandler>;

    const call = async (
      handler: ReturnType<typeof lambdaHttpHandler>,
      method: string,
      path: string,
      body?: unknown,
    ) => {
      const response = await handler(
        functionUrlEvent(method, path, {
          headers: { 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)) }),
        }),
        context,
      );
      const text = response.isBase64Encoded
        ? Buffer.from(response.body ?? '', 'base64').toString()
        : (response.body ?? '');
      return { status: response.statusCode, body: text ? JSON.parse(text) : null };
    };

    /** Pushes a one-layer image by tag through the registry function. */
    const push = async (tag: string, repository = 'acme/app') => {
      const layer = Buffer.from(`layer ${tag}`);
      const image = Buffer.from('{"os":"linux"}');
      for (const blob of [layer, image]) {
        const pushed = await registry(
          functionUrlEvent('POST', `/v2/${repository}/blobs/uploads/`, {
            query: `digest=${digestOf(blob)}`,
            headers: { 'content-type': 'application/octet-stream' },
            body: blob,
          }),
          context,
        );
        expect(pushed.statusCode).toBe(201);
      }
      const manifest = {
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: digestOf(image),
          size: image.length,
        },
        layers: [
          {
            mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
            digest: digestOf(layer),
            size: layer.length,
          },
        ],
      };
      const put = await registry(
        functionUrlEvent('PUT', `/v2/${repository}/manifests/${tag}`, {
          headers: { 'content-type': MediaType.ociManifest },
          body: Buffer.from(JSON.stringify(manifest)),
        }),
        context,
      );
      expect(put.statusCode).toBe(201);
    };

    /** Hands the SQS messages sent since `from` to the job worker Lambda, as SQS would. */
    const runWorker = async (from: number) => {
      const records = sqs.sent
        .slice(from)
        .map((m) =>
          sqsRecord(m.messageId, m.body, 'arn:aws:sqs:us-east-1:123456789012:berth-jobs'),
        );
      return worker({ Records: records } satisfies SQSEvent, context);
    };

    beforeAll(async () => {
      s3 = await startTestS3();
      await s3.createBucket('berth-us-east-1');
      scratch = await createScratchDatabase(databaseUrl!);
      emulator = dataApiEmulator(scratch.url);
      sqs = await startSqsEmulator();
      hooks = await HttpReceiver.start();
      eventBridge = await HttpReceiver.start();
      eventBridge.answer = (r) => {
        const { Entries } = JSON.parse(r.body) as { Entries: unknown[] };
        const ok = r.headers['x-amz-target'] === 'AWSEvents.PutEvents';
        return {
          status: ok && Entries.length <= EVENTBRIDGE_PUT_EVENTS.maxEntries ? 200 : 400,
          headers: { 'content-type': 'application/x-amz-json-1.1' },
          body: JSON.stringify({
            FailedEntryCount: 0,
            Entries: Entries.map((_, n) => ({ EventId: `event-${n}` })),
          }),
        };
      };
      ses = await HttpReceiver.start();
      ses.answer = (r) => ({
        status: r.method === 'POST' && r.path === '/v2/email/outbound-emails' ? 200 : 404,
        body: JSON.stringify({ MessageId: `mail-${ses.requests.length}` }),
      });
      config = loadConfig({
        ...FUNCTION_ENV,
        SERVER_HOSTNAME: 'registry.example.com',
        PREFERRED_URL_SCHEME: 'https',
        BERTH_JOB_QUEUE_URL: QUEUE_URL,
        BERTH_EVENT_BUS_NAME: 'berth-events',
        BERTH_OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
        MAIL_DEFAULT_SENDER: 'registry@example.com',
      });
      clients = {
        rdsData: emulator.client,
        secretsManager,
        originSecrets: secretsManager,
        sqs: new SQSClient({ endpoint: sqs.endpoint, region: 'us-east-1', credentials }),
        eventBridge: new EventBridgeClient({
          endpoint: eventBridge.url,
          region: 'us-east-1',
          credentials,
        }),
        ses: new SESv2Client({ endpoint: ses.url, region: 'us-east-1', credentials }),
        blobStores: new Map([
          [
            'us-east-1',
            new S3BlobStore({ client: s3.client, bucket: 'berth-us-east-1', redirects: true }),
          ],
        ]),
      };
      await onMigrationEvent(MIGRATION_CREATE_EVENT, config, clients);
      // As the entry points wire them: registry-api.ts, rest-api.ts, job-worker.ts.
      const queue = awsJobQueue(config, clients);
      registry = lambdaHttpHandler(
        (
          await buildAwsApp(config, clients, {
            surfaces: [v2Surface],
            wakeups: notificationWakeups(queue),
          })
        ).app,
      );
      const wakeups = awsWakeups(config, undefined, queue ?? undefined);
      rest = lambdaHttpHandler(
        (
          await buildAwsApp(config, clients, {
            surfaces: ({ db, secret }) => [
              apiSurface(
                adminFromConfig(config, db, secret, {
                  wakeups,
                  mailer: awsMailer(config, clients),
                }),
              ),
            ],
            wakeups,
          })
        ).app,
      );
      worker = jobWorkerHandler(() => buildAwsWorkers(config, clients));
      expect((await call(rest, 'POST', '/api/v1/organization/', { name: 'acme' })).status).toBe(
        201,
      );
      await call(rest, 'POST', '/api/v1/repository', {
        namespace: 'acme',
        repository: 'app',
        visibility: 'private',
        description: '',
      });
    });
    afterAll(async () => {
      await emulator?.close();
      await scratch?.drop();
      await s3?.close();
      await sqs?.close();
      for (const r of [hooks, eventBridge, ses]) await r?.close();
    });

    it('wakes the job worker from the registry function; the worker sends the webhook and publishes the event to EventBridge', async () => {
      // Prepare
      const created = await call(rest, 'POST', '/api/v1/repository/acme/app/notification/', {
        event: 'repo_push',
        method: 'webhook',
        config: { url: `${hooks.url}/hook` },
        eventConfig: {},
      });
      expect(created.status).toBe(201);
      const before = sqs.sent.length;

      // Act
      await push('v1');
      const wakeups = sqs.sent.slice(before);
      const response = await runWorker(before);

      // Assess
      expect(wakeups.map((m) => [JSON.parse(m.body), m.queueUrl, m.delaySeconds])).toEqual([
        [{ kind: 'task', task: 'notifications' }, QUEUE_URL, undefined],
      ]);
      expect(response).toEqual({ batchItemFailures: [] });
      expect(hooks.requests).toHaveLength(1);
      expect(hooks.json(0)).toMatchObject({
        repository: 'acme/app',
        docker_url: 'registry.example.com/acme/app',
        updated_tags: ['v1'],
      });
      const entries = eventBridge.requests.flatMap(
        (r) => (JSON.parse(r.body) as { Entries: Record<string, string>[] }).Entries,
      );
      const pushEvent = entries.find((e) => e.DetailType === 'repo_push')!;
      expect(pushEvent).toMatchObject({ Source: EVENT_SOURCE, EventBusName: 'berth-events' });
      expect(JSON.parse(pushEvent.Detail!)).toMatchObject({
        kind: 'repo_push',
        repository: 'acme/app',
        namespace: 'acme',
        data: { updated_tags: ['v1'] },
      });
      // Published once: another run finds nothing left to publish.
      await runWorker(sqs.sent.length - 1);
      const again = eventBridge.requests.flatMap(
        (r) => (JSON.parse(r.body) as { Entries: Record<string, string>[] }).Entries,
      );
      expect(again.filter((e) => e.DetailType === 'repo_push')).toHaveLength(1);
    });

    it('publishes a push no notification subscribes to: the registry function, which knows the bus, wakes the publisher', async () => {
      await call(rest, 'POST', '/api/v1/repository', {
        namespace: 'acme',
        repository: 'quiet',
        visibility: 'private',
        description: '',
      });
      const before = sqs.sent.length;
      const published = eventBridge.requests.length;

      await push('q1', 'acme/quiet');
      await runWorker(before);

      expect(sqs.sent.length - before).toBe(1);
      const entries = eventBridge.requests
        .slice(published)
        .flatMap((r) => (JSON.parse(r.body) as { Entries: Record<string, string>[] }).Entries);
      expect(entries.map((e) => JSON.parse(e.Detail!).repository)).toEqual(['acme/quiet']);
    });

    it('stores a push whose wakeup SQS cannot take; the delivery waits for the next run', async () => {
      const unreachable = new SQSClient({
        endpoint: 'http://127.0.0.1:9',
        region: 'us-east-1',
        credentials,
        maxAttempts: 1,
      });
      const quietRegistry = lambdaHttpHandler(
        (
          await buildAwsApp(config, clients, {
            surfaces: [v2Surface],
            wakeups: notificationWakeups(awsJobQueue(config, { ...clients, sqs: unreachable })),
          })
        ).app,
      );
      const received = hooks.requests.length;
      const before = sqs.sent.length;
      const saved = registry;
      registry = quietRegistry;
      try {
        await push('v-nowake');
      } finally {
        registry = saved;
      }
      expect(sqs.sent.length).toBe(before);

      // What housekeeping runs on its schedule, as the job worker runs a woken task.
      await worker(
        {
          Records: [
            sqsRecord(
              'housekeeping-like',
              JSON.stringify({ kind: 'task', task: 'notifications' }),
              'arn:aws:sqs:us-east-1:123456789012:berth-jobs',
            ),
          ],
        },
        context,
      );
      expect(hooks.requests.slice(received).map((r) => JSON.parse(r.body).updated_tags[0])).toEqual(
        ['v-nowake'],
      );
    });

    it('asks SQS to wake it again at the retry, 30 s later, when the receiver fails', async () => {
      hooks.answer = () => ({ status: 500 });
      const before = sqs.sent.length;
      await push('v2');
      await runWorker(before);

      const retry = sqs.sent.slice(before).find((m) => m.delaySeconds !== undefined);
      // 30 s, up to the next whole second: a wakeup never comes before the retry is due.
      expect([30, 31]).toContain(retry!.delaySeconds);
      expect(JSON.parse(retry!.body)).toEqual({ kind: 'task', task: 'notifications' });
      hooks.answer = () => ({ status: 200 });
    });

    it('mails through SES: the address confirmation from the REST function, notifications from the job worker', async () => {
      // Prepare
      const email = 'ops@example.com';
      const asked = await call(
        rest,
        'POST',
        `/api/v1/repository/acme/app/authorizedemail/${email}`,
      );
      const confirmation = JSON.parse(ses.requests[0]!.body);
      const link = /https:\/\/registry\.example\.com(\/api\/v1\/authrepoemail\?code=[\w%-]+)/.exec(
        confirmation.Content.Simple.Body.Text.Data,
      )!;
      expect(
        (
          await rest(
            functionUrlEvent('GET', link[1]!.split('?')[0]!, { query: link[1]!.split('?')[1] }),
            context,
          )
        ).statusCode,
      ).toBe(200);
      const created = await call(rest, 'POST', '/api/v1/repository/acme/app/notification/', {
        event: 'repo_push',
        method: 'email',
        config: { email },
        eventConfig: {},
      });
      const before = sqs.sent.length;

      // Act
      await push('v3');
      await runWorker(before);

      // Assess
      expect(asked.status).toBe(200);
      expect(confirmation).toMatchObject({
        FromEmailAddress: 'registry@example.com',
        Destination: { ToAddresses: [email] },
        Content: { Simple: { Subject: { Data: 'Confirm notifications for acme/app' } } },
      });
      expect(created.status).toBe(201);
      const mails = ses.requests.map((r) => JSON.parse(r.body));
      const notification = mails.find(
        (m) => m.Content.Simple.Subject.Data === 'Repository acme/app updated',
      );
      expect(notification).toMatchObject({
        FromEmailAddress: 'registry@example.com',
        Destination: { ToAddresses: [email] },
      });
      expect(notification.Content.Simple.Body.Text.Data).toContain('tags updated: v3');
    });
  },
);
