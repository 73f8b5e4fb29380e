import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAwsApp, type AwsClients } from '../../functions/aws/aws-wiring.js';
import { onMigrationEvent } from '../../functions/aws/migrate.js';
import { startDataPlane } from '../../functions/aws/data-plane-server.js';
import { lambdaHttpHandler } from '../../functions/aws/lambda-http.js';
import { apiSurface } from '../../shared/http/api/api-surface.js';
import { adminFromConfig } from '../../functions/common/admin-from-config.js';
import { tickingWakeups } from '../../shared/ports/wakeups.js';
import { v2Surface } from '../../shared/http/v2/v2-surface.js';
import { S3BlobStore } from '../../shared/adapters/blob/s3-blob-store.js';
import { loadConfig, type BerthConfig } from '../../shared/config/config.js';
import { digestOf } from '../../shared/oci/digest.js';
import { MediaType } from '../../shared/oci/media-types.js';
import { dataApiEmulator } from '../support/data-api-emulator.js';
import { skipUnlessAvailable } from '../support/harness.js';
import { createScratchDatabase } from '../support/postgres.js';
import { startTestS3, type TestS3 } from '../support/s3.js';
import { verifyPresignedGet } from '../support/sigv4.js';
import {
  ADMIN_AUTH,
  FUNCTION_ENV,
  functionUrlEvent,
  MIGRATION_CREATE_EVENT,
  ORIGIN_SECRET_ARN,
  secretsManager,
} from '../support/lambda-events.js';
import pg from 'pg';
import { FUNCTION_URLS } from '../infra/aws-facts.js';

const databaseUrl = process.env.DATABASE_URL;
const context = { awsRequestId: 'req-1', functionName: 'berth-registry-api' } as Context;

describe.skipIf(skipUnlessAvailable(Boolean(databaseUrl), 'DATABASE_URL (PostgreSQL)'))(
  'the registry Lambda, in-process, on the Data API and S3',
  () => {
    let s3: TestS3;
    let scratch: { url: string; drop: () => Promise<void> };
    let emulator: ReturnType<typeof dataApiEmulator>;
    let config: BerthConfig;
    let clients: AwsClients;
    let handler: ReturnType<typeof lambdaHttpHandler>;
    let restHandler: ReturnType<typeof lambdaHttpHandler>;

    beforeAll(async () => {
      s3 = await startTestS3();
      await s3.createBucket('berth-us-east-1');
      scratch = await createScratchDatabase(databaseUrl!);
      emulator = dataApiEmulator(scratch.url);
      config = loadConfig({
        ...FUNCTION_ENV,
        BERTH_ORIGIN_SECRET_ARN: ORIGIN_SECRET_ARN,
        BERTH_DB_RESUME_WAIT_SECONDS: '2',
      });
      clients = {
        rdsData: emulator.client,
        secretsManager,
        originSecrets: secretsManager,
        blobStores: new Map([
          [
            'us-east-1',
            new S3BlobStore({ client: s3.client, bucket: 'berth-us-east-1', redirects: true }),
          ],
        ]),
      };
    });
    afterAll(async () => {
      await emulator?.close();
      await scratch?.drop();
      await s3?.close();
    });

    it('migrates the schema from a CloudFormation custom resource event, repeatably', async () => {
      const event = MIGRATION_CREATE_EVENT;
      expect((await onMigrationEvent(event, config, clients)).PhysicalResourceId).toBe(
        'berth-metadata-schema',
      );
      await onMigrationEvent(
        {
          ...event,
          RequestType: 'Update',
          PhysicalResourceId: 'berth-metadata-schema',
          OldResourceProperties: event.ResourceProperties,
        },
        config,
        clients,
      );
      handler = lambdaHttpHandler(
        (await buildAwsApp(config, clients, { surfaces: [v2Surface] })).app,
      );
      restHandler = lambdaHttpHandler(
        (
          await buildAwsApp(config, clients, {
            surfaces: ({ db, secret }) => [
              apiSurface(
                adminFromConfig(config, db, secret, { wakeups: tickingWakeups, mailer: null }),
              ),
            ],
          })
        ).app,
      );
    });

    it('serves pushes and pulls through function URL events, byte for byte', async () => {
      const layer = Buffer.from('layer through lambda');
      const config_ = Buffer.from('{"os":"linux"}');
      for (const blob of [layer, config_]) {
        const pushed = await handler(
          functionUrlEvent('POST', '/v2/admin/app/blobs/uploads/', {
            query: `digest=${digestOf(blob)}`,
            headers: { 'content-type': 'application/octet-stream' },
            body: blob,
          }),
          context,
        );
        expect(pushed.statusCode).toBe(201);
      }
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ociManifest,
          config: {
            mediaType: 'application/vnd.oci.image.config.v1+json',
            digest: digestOf(config_),
            size: config_.length,
          },
          layers: [
            {
              mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
              digest: digestOf(layer),
              size: layer.length,
            },
          ],
        }),
      );
      const put = await handler(
        functionUrlEvent('PUT', '/v2/admin/app/manifests/v1', {
          headers: { 'content-type': MediaType.ociManifest },
          body: manifest,
        }),
        context,
      );
      expect(put.statusCode).toBe(201);
      expect(put.headers?.['docker-content-digest']).toBe(digestOf(manifest));

      const get = await handler(functionUrlEvent('GET', '/v2/admin/app/manifests/v1'), context);
      expect(get.statusCode).toBe(200);
      expect(get.isBase64Encoded).toBe(true);
      expect(Buffer.from(get.body!, 'base64').equals(manifest)).toBe(true);
      expect(get.headers?.['content-type']).toBe(MediaType.ociManifest);

      const blob = await handler(
        functionUrlEvent('GET', `/v2/admin/app/blobs/${digestOf(layer)}`),
        context,
      );
      expect(blob.statusCode).toBe(307);
      const location = new URL(blob.headers!.location as string);
      expect(verifyPresignedGet(location, s3.secretAccessKey)).toEqual({ valid: true });
      expect(await (await fetch(location)).text()).toBe('layer through lambda');
    });

    it('challenges anonymous callers with a realm on the host the client used', async () => {
      const response = await handler(
        functionUrlEvent('GET', '/v2/admin/app/tags/list', { headers: { authorization: '' } }),
        context,
      );
      expect(response.statusCode).toBe(401);
      expect(response.headers?.['www-authenticate']).toBe(
        'Bearer realm="https://registry.example.com/v2/auth",service="berth",scope="repository:admin/app:pull"',
      );
    });

    it('serves /api/v1 from the REST function, and /v2 not at all there', async () => {
      const repository = await restHandler(
        functionUrlEvent('GET', '/api/v1/repository/admin/app'),
        context,
      );
      expect(repository.statusCode).toBe(200);
      expect(JSON.parse(Buffer.from(repository.body!, 'base64').toString())).toMatchObject({
        namespace: 'admin',
        name: 'app',
        can_admin: true,
      });
      const logs = await restHandler(
        functionUrlEvent('GET', '/api/v1/repository/admin/app/logs'),
        context,
      );
      const kinds = JSON.parse(Buffer.from(logs.body!, 'base64').toString()).logs.map(
        (l: { kind: string }) => l.kind,
      );
      // The registry function wrote these at once: Lambda may freeze after answering.
      expect(kinds).toEqual(expect.arrayContaining(['push_repo', 'pull_repo', 'create_repo']));
      const v2 = await restHandler(functionUrlEvent('GET', '/v2/admin/app/tags/list'), context);
      expect(v2.statusCode).toBe(404);
      const unknownApi = await handler(functionUrlEvent('GET', '/api/v1/discovery'), context);
      expect(unknownApi.statusCode).toBe(404);
    });

    it('keeps a console session in the database: one REST instance signs in, another serves it, signing out ends it for both', async () => {
      const other = lambdaHttpHandler(
        (
          await buildAwsApp(config, clients, {
            surfaces: ({ db, secret }) => [
              apiSurface(
                adminFromConfig(config, db, secret, { wakeups: tickingWakeups, mailer: null }),
              ),
            ],
          })
        ).app,
      );
      // A browser's request: no Authorization header, and its cookies in the event's own
      // `cookies` array, as function URLs carry them (FUNCTION_URLS.payloadSource).
      const browser = (
        method: string,
        path: string,
        init: { headers?: Record<string, string>; body?: Buffer; cookie?: string } = {},
      ) => {
        const event = functionUrlEvent(method, path, init) as unknown as {
          headers: Record<string, string>;
          cookies?: string[];
        };
        delete event.headers.authorization;
        if (init.cookie) event[FUNCTION_URLS.cookiesField] = [init.cookie];
        return event as unknown as Parameters<typeof handler>[0];
      };
      const json = (response: { body?: string }) =>
        JSON.parse(Buffer.from(response.body!, 'base64').toString());

      const signedIn = await restHandler(
        browser('POST', '/api/v1/signin', {
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(
            JSON.stringify({ username: 'admin', password: 'lambda-admin-password' }),
          ),
        }),
        context,
      );
      expect(signedIn.statusCode).toBe(200);
      const [setCookie] =
        (signedIn as unknown as Record<string, string[] | undefined>)[FUNCTION_URLS.cookiesField] ??
        [];
      // Viewers reach the functions over HTTPS only: the cookie is Secure, and __Host- bound.
      expect(setCookie).toMatch(/^__Host-berth-session=[A-Za-z0-9_-]+;/);
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/Secure/);
      const cookie = setCookie!.split(';')[0]!;

      const me = await other(browser('GET', '/api/v1/user', { cookie }), context);
      expect(me.statusCode).toBe(200);
      expect(json(me).username).toBe('admin');
      const { csrf_token } = json(await other(browser('GET', '/csrf_token', { cookie }), context));
      const forged = await other(
        browser('PUT', '/api/v1/repository/admin/app', {
          cookie,
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(JSON.stringify({ description: 'forged' })),
        }),
        context,
      );
      expect(forged.statusCode).toBe(403);
      const out = await restHandler(
        browser('POST', '/api/v1/signout', { cookie, headers: { 'x-csrf-token': csrf_token } }),
        context,
      );
      expect(out.statusCode).toBe(200);
      expect((await other(browser('GET', '/api/v1/user', { cookie }), context)).statusCode).toBe(
        401,
      );
    });

    it('keeps its model cache in its own memory, and refuses a Redis it cannot reach', async () => {
      const layer = Buffer.from('a layer pulled twice from one warm instance');
      const digest = digestOf(layer);
      const cached = await buildAwsApp(config, clients, { surfaces: [v2Surface] });
      const warm = lambdaHttpHandler(cached.app);
      const push = await warm(
        functionUrlEvent('POST', '/v2/admin/cached/blobs/uploads/', {
          query: `digest=${digest}`,
          headers: { 'content-type': 'application/octet-stream' },
          body: layer,
        }),
        context,
      );
      expect(push.statusCode).toBe(201);
      const before = emulator.statements();
      for (let i = 0; i < 2; i++) {
        const pull = await warm(
          functionUrlEvent('HEAD', `/v2/admin/cached/blobs/${digest}`),
          context,
        );
        expect(pull.statusCode).toBe(200);
      }
      const lookups = emulator
        .statements()
        .slice(before.length)
        .filter((sql) => /from "?repository_blob"?/i.test(sql));
      expect(lookups).toHaveLength(1);

      const redis = {
        ...config,
        cache: { ...config.cache, engine: 'redis' as const },
      };
      await expect(buildAwsApp(redis, clients, { surfaces: [v2Surface] })).rejects.toThrow(
        'engine redis is not available on Lambda',
      );
    });

    it('answers in the OCI form, and refuses what did not come through the front door', async () => {
      const missing = await handler(
        functionUrlEvent('GET', '/v2/admin/app/manifests/nope'),
        context,
      );
      expect(missing.statusCode).toBe(404);
      expect(JSON.parse(Buffer.from(missing.body!, 'base64').toString()).errors[0].code).toBe(
        'MANIFEST_UNKNOWN',
      );
      // A function URL is reachable by anyone: without CloudFront's secret, nothing is served.
      for (const secret of ['', 'guessed']) {
        const headers = { 'x-berth-origin-verify': secret };
        const direct = await handler(
          functionUrlEvent('GET', '/v2/admin/app/tags/list', { headers }),
          context,
        );
        expect(direct.statusCode).toBe(403);
        expect(JSON.parse(Buffer.from(direct.body!, 'base64').toString()).errors[0].code).toBe(
          'DENIED',
        );
        const api = await restHandler(
          functionUrlEvent('GET', '/api/v1/user/', { headers }),
          context,
        );
        expect(api.statusCode).toBe(403);
        expect(JSON.parse(Buffer.from(api.body!, 'base64').toString())).toMatchObject({
          status: 403,
          error_type: 'insufficient_scope',
        });
      }
      // Mid-rotation, the previous value still works.
      const previous = await handler(
        functionUrlEvent('GET', '/v2/admin/app/tags/list', {
          headers: { 'x-berth-origin-verify': 'origin-secret-1' },
        }),
        context,
      );
      expect(previous.statusCode).toBe(200);
    });

    it("names the viewer's host over https in token realms, whatever scheme the hop behind CloudFront used", async () => {
      const response = await handler(
        functionUrlEvent('GET', '/v2/', {
          headers: {
            authorization: '',
            'x-forwarded-proto': 'http',
            'x-forwarded-host': 'evil.example',
          },
        }),
        context,
      );
      expect(response.statusCode).toBe(401);
      expect(response.headers?.['www-authenticate']).toBe(
        'Bearer realm="https://registry.example.com/v2/auth",service="berth"',
      );
    });

    it('names the same https realm from the data plane, behind the internal load balancer, and takes uploads the registry function finishes', async () => {
      // The task has no origin secret: only CloudFront's VPC origin reaches its balancer.
      const plane = await startDataPlane(
        { ...config, port: 0, edge: { ...config.edge, originSecretArn: undefined } },
        clients,
      );
      try {
        // As the ALB forwards CloudFront's request: its own Host, the hop's
        // scheme (http inside the VPC), and the front door's viewer host.
        const alb = {
          host: 'internal-berth-dataplane-1234.us-east-1.elb.amazonaws.com',
          'x-forwarded-proto': 'http',
          'x-forwarded-port': '80',
          'x-berth-viewer-host': 'registry.example.com',
        };
        const url = `http://127.0.0.1:${plane.port}`;
        // The load balancer's health check, every 30 s: it must not keep the database awake.
        const queriesBefore = emulator.inputs().length;
        const check = await fetch(`${url}/v2/`, {
          headers: { host: alb.host, 'user-agent': 'ELB-HealthChecker/2.0' },
        });
        expect(check.status).toBe(401);
        expect(emulator.inputs().length).toBe(queriesBefore);
        const challenge = await fetch(`${url}/v2/`, { headers: alb });
        expect(challenge.status).toBe(401);
        expect(challenge.headers.get('www-authenticate')).toBe(
          'Bearer realm="https://registry.example.com/v2/auth",service="berth"',
        );
        const started = await fetch(`${url}/v2/admin/plane/blobs/uploads/`, {
          method: 'POST',
          headers: { ...alb, authorization: ADMIN_AUTH },
        });
        expect(started.status).toBe(202);
        const location = started.headers.get('location')!;
        const body = Buffer.from('bytes through the data plane');
        const patched = await fetch(new URL(location, url), {
          method: 'PATCH',
          headers: {
            ...alb,
            authorization: ADMIN_AUTH,
            'content-type': 'application/octet-stream',
          },
          body,
        });
        expect(patched.status).toBe(202);
        // The finishing PUT lands on the registry function instead.
        const path = new URL(location, url);
        const finished = await handler(
          functionUrlEvent('PUT', path.pathname, {
            query: `${path.search.slice(1)}${path.search ? '&' : ''}digest=${encodeURIComponent(digestOf(body))}`,
          }),
          context,
        );
        expect(finished.statusCode).toBe(201);
      } finally {
        expect(await plane.stop()).toBe('drained');
      }
    });

    it('migrates with schema statements outside transactions, each allowed past the 45-second call limit', () => {
      const ddl = emulator.inputs().filter((input) => /^\s*(create|alter)\b/i.test(input.sql!));
      expect(ddl.length).toBeGreaterThan(20);
      for (const input of ddl) {
        expect(input.continueAfterTimeout, input.sql).toBe(true);
        expect(input.transactionId, input.sql).toBeUndefined();
      }
    });

    it('answers 503 with Retry-After while a paused database resumes past the wait budget, then serves', async () => {
      const pausedAt = Date.now();
      emulator.pause(6_000);
      const paused = await handler(functionUrlEvent('GET', '/v2/admin/app/tags/list'), context);
      expect(paused.statusCode).toBe(503);
      expect(paused.headers?.['retry-after']).toBe('10');
      expect(JSON.parse(Buffer.from(paused.body!, 'base64').toString()).errors[0].code).toBe(
        'UNAVAILABLE',
      );
      const api = await restHandler(
        functionUrlEvent('GET', '/api/v1/repository/admin/app'),
        context,
      );
      expect(api.statusCode).toBe(503);
      expect(JSON.parse(Buffer.from(api.body!, 'base64').toString())).toMatchObject({
        status: 503,
        error_type: 'service_unavailable',
      });
      await new Promise((resolve) => setTimeout(resolve, pausedAt + 6_000 - Date.now()));
      const resumed = await handler(functionUrlEvent('GET', '/v2/admin/app/tags/list'), context);
      expect(resumed.statusCode).toBe(200);
    });

    it('lists 10,000 long tags in one page, in queries that each stay under the 1 MiB result limit', async () => {
      const db = new pg.Client({ connectionString: scratch.url });
      await db.connect();
      try {
        // Straight into the tables: pushing 10,000 tags through the function takes minutes.
        await db.query(`
          insert into tag (repository_id, name, manifest_id, lifetime_start_ms)
          select m.repository_id, 'v' || lpad(i::text, 5, '0') || repeat('x', 120), m.id, 0
          from manifest m join repository r on r.id = m.repository_id and r.name = 'admin/app',
            generate_series(1, 10000) as i`);
      } finally {
        await db.end();
      }
      const page = await handler(
        functionUrlEvent('GET', '/v2/admin/app/tags/list', { query: 'n=10000' }),
        context,
      );
      expect(page.statusCode).toBe(200);
      const { tags } = JSON.parse(Buffer.from(page.body!, 'base64').toString()) as {
        tags: string[];
      };
      expect(tags).toHaveLength(10_000);
      expect(page.headers?.link).toContain('last=');
    });
  },
);
