import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STOP_GRACE_MS } from '../../functions/aws/data-plane-timing.js';
import { MAX_BUFFERED_BODY_BYTES } from '../../functions/aws/lambda-http.js';
import { DATA_API_ROWS_PER_QUERY } from '../../functions/common/registry-from-config.js';
import { buildStacks } from '../../infra/app.js';
import { bundleAll } from '../../infra/bundle.js';
import { parseDeployConfig } from '../../infra/deploy-config.js';
import { frontDoorFunctionCode } from '../../infra/edge/front-door-function.js';
import { REGION_LOCATIONS } from '../../infra/edge/region-locations.js';
import { dataPlaneOriginId } from '../../infra/stacks/edge-stack.js';
import { newUploadState, partSizeOf } from '../../shared/adapters/blob/s3-upload-state.js';
import { MAX_COPY_OBJECT_BYTES } from '../../shared/adapters/blob/s3-blob-store.js';
import {
  MAX_PART_BYTES,
  MAX_PARTS,
  MIN_PART_BYTES,
  planCopyParts,
} from '../../shared/adapters/blob/s3-part-copy.js';
import { MAX_REPOSITORY_NAME_LENGTH } from '../../shared/oci/grammar.js';
import { INLINE_MANIFEST_BYTES } from '../../shared/registry/manifest-bytes.js';
import {
  entrySize,
  EventBridgePublisher,
  PUT_EVENTS_MAX_ENTRIES,
  PUT_EVENTS_MAX_ENTRY_BYTES,
} from '../../shared/adapters/events/eventbridge-publisher.js';
import { SqsJobQueue } from '../../shared/adapters/queue/sqs-job-queue.js';
import { MAX_JOB_DELAY_MS } from '../../shared/ports/job-queue.js';
import type { OutboxEvent } from '../../shared/ports/event-outbox.js';
import type { PutEventsCommand, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import {
  AURORA_SERVERLESS_V2,
  EVENTBRIDGE_PUT_EVENTS,
  SQS_DELAY,
  CLOUDFRONT_FUNCTIONS,
  CLOUDFRONT_ORIGINS,
  DATA_API,
  ECS_DRAINING,
  FUNCTION_URLS,
  LAMBDA,
  S3_COPY,
  S3_MULTIPART,
} from './aws-facts.js';
import { runViewerRequest, viewerRequest } from './cloudfront-function-runtime.js';

/**
 * The deployment checked against what AWS documents (`aws-facts.ts`), one
 * fact at a time: the templates as synthesized, and the code's own limits.
 */

type Resource = { Type: string; Properties: Record<string, unknown> };
type Resources = Record<string, Resource>;

const MiB = 1024 * 1024;
let bundleDir: string;
let regional: Template;
let edge: Template;
let primary: Template;

beforeAll(async () => {
  bundleDir = await mkdtemp(join(tmpdir(), 'berth-facts-'));
  await bundleAll(bundleDir);
  const stacks = buildStacks(
    new App(),
    parseDeployConfig({ regions: ['us-east-1', 'eu-west-1'], proxyStorage: true }),
    bundleDir,
    '123456789012',
  );
  regional = Template.fromStack(stacks.regional[0]!);
  edge = Template.fromStack(stacks.edge);
  primary = Template.fromStack(stacks.primary);
}, 120_000);
afterAll(() => rm(bundleDir, { recursive: true, force: true }));

describe(`CloudFront Functions (${CLOUDFRONT_FUNCTIONS.headersSource.document})`, () => {
  it('refuses, as CloudFront would, a function that adds X-Forwarded-Proto', () => {
    const forwarding = `${CLOUDFRONT_FUNCTIONS.firstLine}
function handler(event) {
  event.request.headers['x-forwarded-proto'] = { value: 'https' };
  return event.request;
}`;
    expect(() => runViewerRequest(forwarding, viewerRequest('GET', '/v2/', {}))).toThrow(
      'adds disallowed header x-forwarded-proto',
    );
    const rehosting = `${CLOUDFRONT_FUNCTIONS.firstLine}
function handler(event) {
  event.request.headers.host = { value: 'elsewhere' };
  return event.request;
}`;
    expect(() => runViewerRequest(rehosting, viewerRequest('GET', '/v2/', {}))).toThrow(
      'changes read-only header host',
    );
  });

  it('keeps the front door function within the size quota and the header rules, for every known region at once', () => {
    const everyRegion = Object.keys(REGION_LOCATIONS).map((region) => ({
      region,
      originId: dataPlaneOriginId(region),
    }));
    for (const blobReads of [false, true]) {
      const code = frontDoorFunctionCode(everyRegion, { blobReads });
      expect(Buffer.byteLength(code)).toBeLessThan(CLOUDFRONT_FUNCTIONS.maxCodeBytes);
      for (const uri of [
        '/v2/',
        '/v2/acme/app/blobs/uploads/',
        `/v2/acme/app/blobs/sha256:${'b'.repeat(64)}`,
        '/api/v1/user/',
      ]) {
        // Throws on anything CloudFront would refuse.
        runViewerRequest(
          code,
          viewerRequest('PUT', uri, {
            'cloudfront-viewer-latitude': { value: '1.3' },
            'cloudfront-viewer-longitude': { value: '103.8' },
            'x-forwarded-proto': { value: 'https' },
          }),
        );
      }
    }
    const [fn] = Object.values(edge.findResources('AWS::CloudFront::Function') as Resources);
    expect(fn!.Properties.FunctionConfig).toMatchObject({ Runtime: CLOUDFRONT_FUNCTIONS.runtime });
  });
});

describe(`CloudFront origins (${CLOUDFRONT_ORIGINS.source.document})`, () => {
  it('waits for no origin longer than CloudFront allows, and longer for the functions than they run', () => {
    const [distribution] = Object.values(
      edge.findResources('AWS::CloudFront::Distribution') as Resources,
    );
    const origins = (
      distribution!.Properties.DistributionConfig as {
        Origins: {
          Id: string;
          CustomOriginConfig?: { OriginReadTimeout?: number };
          VpcOriginConfig?: { OriginReadTimeout?: number };
        }[];
      }
    ).Origins;
    const timeouts = origins.map((o) => ({
      id: o.Id,
      seconds:
        (o.CustomOriginConfig ?? o.VpcOriginConfig)?.OriginReadTimeout ??
        CLOUDFRONT_ORIGINS.defaultResponseTimeoutSeconds,
    }));
    for (const t of timeouts) {
      expect(t.seconds, t.id).toBeLessThanOrEqual(CLOUDFRONT_ORIGINS.maxResponseTimeoutSeconds);
    }
    const functions = regional.findResources('AWS::Lambda::Function') as Resources;
    for (const [part, origin] of [
      ['RegistryApi', 'registry-api'],
      ['RestApi', 'rest-api'],
    ] as const) {
      const [, fn] = Object.entries(functions).find(([id]) => id.includes(part))!;
      expect(timeouts.find((t) => t.id === origin)!.seconds).toBeGreaterThan(
        fn.Properties.Timeout as number,
      );
    }
    // Finishing an upload answers only once the blob is published.
    for (const t of timeouts.filter((x) => x.id.startsWith('uploads-'))) {
      expect(t.seconds).toBe(CLOUDFRONT_ORIGINS.maxResponseTimeoutSeconds);
    }
  });
});

describe(`Lambda payloads (${LAMBDA.source.document})`, () => {
  it('answers a 4 MiB manifest in one buffered response, base64 and headers included, and nothing larger', () => {
    expect(4 * MiB).toBeLessThanOrEqual(MAX_BUFFERED_BODY_BYTES);
    expect(Math.ceil((MAX_BUFFERED_BODY_BYTES * 4) / 3) + 64 * 1024).toBeLessThanOrEqual(
      LAMBDA.maxBufferedPayloadBytes,
    );
    const urls = Object.values(regional.findResources('AWS::Lambda::Url') as Resources);
    for (const url of urls) expect(url.Properties.InvokeMode).toBe('BUFFERED');
  });
});

describe(`Lambda function URLs (${FUNCTION_URLS.source.document})`, () => {
  it('lets the public invoke each function through its URL with both permissions a new URL needs', () => {
    const urls = Object.values(regional.findResources('AWS::Lambda::Url') as Resources);
    expect(urls).toHaveLength(2);
    const permissions = Object.values(
      regional.findResources('AWS::Lambda::Permission') as Resources,
    ).map((r) => r.Properties);
    for (const url of urls) {
      const target = JSON.stringify(url.Properties.TargetFunctionArn);
      const granted = permissions
        .filter((p) => JSON.stringify(p.FunctionName) === target && p.Principal === '*')
        .map((p) => p.Action);
      expect(granted.sort()).toEqual([...FUNCTION_URLS.publicInvokeActions].sort());
    }
  });
});

describe(`RDS Data API (${DATA_API.limitsSource.document})`, () => {
  it('asks for listing rows in chunks whose results stay under 1 MiB', () => {
    // Each value comes back wrapped as {"stringValue":"…"} inside its record's array.
    const perRow = MAX_REPOSITORY_NAME_LENGTH + 40;
    expect(DATA_API_ROWS_PER_QUERY * perRow).toBeLessThan(DATA_API.maxResponseBytes);
  });

  it('keeps every row it reads under 64 KB: inline manifests, and an S3 upload session of any size', () => {
    expect(INLINE_MANIFEST_BYTES * (4 / 3)).toBeLessThan(DATA_API.maxRowBytes);
    const fullest = {
      ...newUploadState(8 * MiB),
      multipartId: 'x'.repeat(200),
      generation: 10_000,
      parts: S3_MULTIPART.maxParts,
      obsolete: [
        'uploads/0000000000000000000000000000000000000/parts-9999.json',
        'uploads/x/tail-9999',
      ],
    };
    expect(JSON.stringify(fullest).length).toBeLessThan(DATA_API.maxRowBytes / 16);
  });
});

describe(`S3 multipart uploads (${S3_MULTIPART.source.document})`, () => {
  it('uploads parts S3 accepts, and holds layers of more than 500 GiB in 10,000 of them', () => {
    const state = newUploadState(8 * MiB);
    let total = 0;
    for (let part = 1; part <= S3_MULTIPART.maxParts; part++) {
      const size = partSizeOf(state, part);
      expect(size).toBeGreaterThanOrEqual(S3_MULTIPART.minPartBytes);
      expect(size).toBeLessThanOrEqual(S3_MULTIPART.maxPartBytes);
      total += size;
    }
    expect(total).toBeGreaterThan(500 * 1024 * MiB);
  });

  it("copies a blob over CopyObject's limit in parts S3 accepts, with ranges that cover it exactly", () => {
    expect(MIN_PART_BYTES).toBe(S3_MULTIPART.minPartBytes);
    expect(MAX_PART_BYTES).toBe(S3_MULTIPART.maxPartBytes);
    expect(MAX_PARTS).toBe(S3_MULTIPART.maxParts);
    const GiB = 1024 * MiB;
    // Just over CopyObject's limit, a large blob, and S3's largest object (5 TiB).
    for (const size of [5 * GiB + 1, 48 * GiB + 12_345, 5 * 1024 * GiB]) {
      const parts = planCopyParts(size, 512 * MiB);
      expect(parts.length).toBeLessThanOrEqual(S3_MULTIPART.maxParts);
      let next = 0;
      for (const [i, part] of parts.entries()) {
        expect(part.partNumber).toBe(i + 1);
        const [, first, last] = S3_COPY.copySourceRange.exec(part.range)!.map(Number);
        expect(first).toBe(next);
        const bytes = last! - first! + 1;
        expect(bytes).toBeLessThanOrEqual(S3_MULTIPART.maxPartBytes);
        if (i < parts.length - 1) expect(bytes).toBeGreaterThanOrEqual(S3_MULTIPART.minPartBytes);
        next = last! + 1;
      }
      expect(next).toBe(size);
    }
  });
});

describe(`Aurora auto-pause (${AURORA_SERVERLESS_V2.source.document})`, () => {
  it('pauses after an allowed idle time, and housekeeping leaves it idle long enough to pause', () => {
    const [cluster] = Object.values(primary.findResources('AWS::RDS::DBCluster') as Resources);
    const seconds = (
      cluster!.Properties.ServerlessV2ScalingConfiguration as { SecondsUntilAutoPause: number }
    ).SecondsUntilAutoPause;
    expect(seconds).toBeGreaterThanOrEqual(AURORA_SERVERLESS_V2.minSecondsUntilAutoPause);
    expect(seconds).toBeLessThanOrEqual(AURORA_SERVERLESS_V2.maxSecondsUntilAutoPause);
    // Nothing scheduled runs more often than every hour (1 h is the smallest setting).
    const rules = Object.values(regional.findResources('AWS::Events::Rule') as Resources);
    for (const rule of rules) {
      expect(rule.Properties.ScheduleExpression).toMatch(/^cron\(7 0(\/\d+)? \* \* \? \*\)$/);
    }
    // With the default 6 h housekeeping, the database is idle far longer than it needs to pause.
    expect(6 * 3600 - 15 * 60).toBeGreaterThan(seconds);
  });
});

describe(`ECS draining (${ECS_DRAINING.source.document})`, () => {
  it('drains within what the load balancer allows and stops within what Fargate allows', () => {
    const [group] = Object.values(
      regional.findResources('AWS::ElasticLoadBalancingV2::TargetGroup') as Resources,
    );
    const delay = Number(
      (group!.Properties.TargetGroupAttributes as { Key: string; Value: string }[]).find(
        (a) => a.Key === 'deregistration_delay.timeout_seconds',
      )!.Value,
    );
    expect(delay).toBeLessThanOrEqual(ECS_DRAINING.maxDeregistrationDelaySeconds);
    const [task] = Object.values(regional.findResources('AWS::ECS::TaskDefinition') as Resources);
    const stop = (task!.Properties.ContainerDefinitions as { StopTimeout: number }[])[0]!
      .StopTimeout;
    expect(stop).toBeLessThanOrEqual(ECS_DRAINING.maxFargateStopTimeoutSeconds);
    expect(STOP_GRACE_MS).toBeLessThan(stop * 1000);
  });
});

describe(`S3 copies (${S3_COPY.source.document})`, () => {
  it('copies inside S3 only what one CopyObject can take; larger blobs stream', () => {
    expect(MAX_COPY_OBJECT_BYTES).toBe(S3_COPY.maxCopyObjectBytes);
  });
});

describe(`EventBridge PutEvents (${EVENTBRIDGE_PUT_EVENTS.source.document})`, () => {
  const event = (id: number, payload: Record<string, unknown> = { updated_tags: ['v1'] }) =>
    ({
      id,
      kind: 'repo_push',
      repository: 'acme/app',
      namespace: 'acme',
      payload,
      createdAtMs: Date.UTC(2026, 11, 7),
    }) satisfies OutboxEvent;

  it('puts at most 10 entries a call, each under the size limit, and takes back only the entries that failed', async () => {
    expect(PUT_EVENTS_MAX_ENTRIES).toBe(EVENTBRIDGE_PUT_EVENTS.maxEntries);
    expect(PUT_EVENTS_MAX_ENTRY_BYTES).toBeLessThanOrEqual(EVENTBRIDGE_PUT_EVENTS.maxEntryBytes);
    const calls: PutEventsRequestEntry[][] = [];
    const client = {
      send: async (command: PutEventsCommand) => {
        const entries = command.input.Entries!;
        calls.push(entries);
        return {
          FailedEntryCount: 0,
          // Failures come back in the entries' own order, as the guide describes.
          Entries: entries.map((e) =>
            JSON.parse(e.Detail!).id === '13'
              ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }
              : { EventId: 'x' },
          ),
        };
      },
    };
    const huge = { blob: 'x'.repeat(EVENTBRIDGE_PUT_EVENTS.maxEntryBytes) };
    const events = Array.from({ length: 23 }, (_, n) => event(n, n === 5 ? huge : undefined));

    const { refused } = await new EventBridgePublisher(client as never, 'berth-events').publish(
      events,
    );

    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(refused).toEqual([{ id: 13, reason: 'InternalFailure: try again' }]);
    for (const entry of calls.flat()) {
      expect(entry.EventBusName).toBe('berth-events');
      // The guide's rule: Time counts 14 bytes, the rest their UTF-8 length.
      const size =
        EVENTBRIDGE_PUT_EVENTS.timeBytes +
        Buffer.byteLength(entry.Source!) +
        Buffer.byteLength(entry.DetailType!) +
        Buffer.byteLength(entry.Detail!);
      expect(entrySize(entry)).toBe(size);
      expect(size).toBeLessThan(EVENTBRIDGE_PUT_EVENTS.maxEntryBytes);
    }
    expect(JSON.parse(calls[0]![5]!.Detail!)).toMatchObject({ data: null, truncated: true });
  });
});

describe(`SQS delays (${SQS_DELAY.source.document})`, () => {
  it('delays a queued wakeup by whole seconds within what SQS takes, never early', async () => {
    expect(MAX_JOB_DELAY_MS / 1000).toBe(SQS_DELAY.delaySeconds.max);
    const delays: (number | undefined)[] = [];
    const client = {
      send: async (command: SendMessageBatchCommand) => {
        delays.push(...command.input.Entries!.map((e) => e.DelaySeconds));
        return { Successful: [], Failed: [] };
      },
    };
    const queue = new SqsJobQueue(client as never, 'https://sqs.us-east-1.amazonaws.com/1/q');
    for (const delayMs of [0, 29_500, 30_000, 3_600_000]) {
      await queue.send([{ kind: 'task', task: 'notifications' }], { delayMs });
    }
    expect(delays).toEqual([undefined, 30, 30, SQS_DELAY.delaySeconds.max]);
  });
});
