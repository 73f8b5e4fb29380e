import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOf } from '../shared/oci/digest.js';
import { MediaType } from '../shared/oci/media-types.js';
import { runNotifications } from '../shared/workers/notifications.js';
import { createUser, PASSWORD } from '../test/support/accounts.js';
import { ApiClient } from '../test/support/api-client.js';
import { startTestRegistry } from '../test/support/harness.js';
import { createScratchDatabase } from '../test/support/postgres.js';
import { V2Client } from '../test/support/v2-client.js';
import { HttpReceiver } from '../test/support/receivers.js';
import { startServerProcess, type ServerProcess } from '../test/support/server-process.js';

/**
 * `npm run bench:notifications`: how fast a push reaches a webhook, with
 * `npm start` (embedded Postgres; and PostgreSQL at DATABASE_URL when set)
 * and a receiver on loopback. Latency: sequential pushes by tag, from the
 * manifest PUT being sent to the webhook arriving. Throughput: a burst of
 * pushes from 16 clients at once, from the first PUT to the last webhook;
 * and, to see the sender apart from the pushes, how fast one worker run
 * drains deliveries already queued. BENCH_NOTIFY_SEQUENTIAL and
 * BENCH_NOTIFY_BURST change the counts.
 */
const sequential = Number(process.env.BENCH_NOTIFY_SEQUENTIAL ?? 200);
const burst = Number(process.env.BENCH_NOTIFY_BURST ?? 1000);
const CLIENTS = 16;
const ADMIN = { BERTH_SUPERUSER: 'admin', BERTH_SUPERUSER_PASSWORD: 'bench-admin-password' };

interface Figures {
  database: string;
  /** The manifest PUT's own time, for comparison. */
  putP50Ms: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  burstPushesPerS: number;
  burstDeliveriesPerS: number;
  burstLastMs: number;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

async function token(server: ServerProcess): Promise<string> {
  const query = new URLSearchParams({ service: 'berth', scope: 'repository:admin/app:pull,push' });
  const credentials = `${ADMIN.BERTH_SUPERUSER}:${ADMIN.BERTH_SUPERUSER_PASSWORD}`;
  const response = await fetch(`${server.url}/v2/auth?${query.toString()}`, {
    headers: { Authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
  });
  return ((await response.json()) as { token: string }).token;
}

async function measure(database: string, env: Record<string, string>): Promise<Figures> {
  const work = await mkdtemp(join(tmpdir(), 'berth-bench-notify-'));
  const hooks = await HttpReceiver.start();
  const server = await startServerProcess({
    ...ADMIN,
    ...env,
    BERTH_DATA_DIR: join(work, 'data'),
    BERTH_OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
  });
  try {
    const auth = `Basic ${Buffer.from(`${ADMIN.BERTH_SUPERUSER}:${ADMIN.BERTH_SUPERUSER_PASSWORD}`).toString('base64')}`;
    const api = (path: string, body: unknown) =>
      fetch(`${server.url}/api/v1${path}`, {
        method: 'POST',
        headers: { Authorization: auth, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    await api('/repository', {
      namespace: 'admin',
      repository: 'app',
      visibility: 'private',
      description: '',
    });
    const created = await api('/repository/admin/app/notification/', {
      event: 'repo_push',
      method: 'webhook',
      config: { url: `${hooks.url}/hook` },
      eventConfig: {},
    });
    if (created.status !== 201) throw new Error(`notification: ${created.status}`);
    const headers = { Authorization: `Bearer ${await token(server)}` };

    // One image whose manifest every push tags anew: each PUT is a repo_push.
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const layer = Buffer.from('a small layer');
    for (const blob of [config, layer]) {
      await fetch(`${server.url}/v2/admin/app/blobs/uploads/?digest=${digestOf(blob)}`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/octet-stream' },
        body: blob,
      });
    }
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: digestOf(config),
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: digestOf(layer),
          size: layer.length,
        },
      ],
    });
    const sentAt = new Map<string, number>();
    const putTimes: number[] = [];
    const push = async (tag: string) => {
      const start = performance.timeOrigin + performance.now();
      sentAt.set(tag, start);
      const response = await fetch(`${server.url}/v2/admin/app/manifests/${tag}`, {
        method: 'PUT',
        headers: { ...headers, 'Content-Type': MediaType.ociManifest },
        body: manifest,
      });
      if (response.status !== 201) throw new Error(`push ${tag}: ${response.status}`);
      putTimes.push(performance.timeOrigin + performance.now() - start);
    };
    const arrivedAt = (tag: string) =>
      hooks.requests.find((r) => (JSON.parse(r.body).updated_tags as string[])[0] === tag)!
        .receivedAtMs;

    // Latency, one push at a time, each waiting for its webhook.
    const delays: number[] = [];
    for (let i = 0; i < sequential; i++) {
      const tag = `seq-${i}`;
      await push(tag);
      await hooks.waitFor(i + 1);
      delays.push(arrivedAt(tag) - sentAt.get(tag)!);
    }

    const putP50Ms = percentile(putTimes, 50);

    // Throughput: a burst from 16 clients.
    const base = hooks.requests.length;
    const started = performance.timeOrigin + performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < burst) await push(`burst-${next++}`);
      }),
    );
    const pushed = performance.timeOrigin + performance.now();
    await hooks.waitFor(base + burst, 600_000);
    const last = Math.max(...hooks.requests.slice(base).map((r) => r.receivedAtMs));
    return {
      database,
      putP50Ms,
      p50Ms: percentile(delays, 50),
      p99Ms: percentile(delays, 99),
      maxMs: Math.max(...delays),
      burstPushesPerS: burst / ((pushed - started) / 1000),
      burstDeliveriesPerS: burst / ((last - started) / 1000),
      burstLastMs: last - pushed,
    };
  } finally {
    await server.stop();
    await hooks.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** One worker run sending `burst` deliveries queued beforehand, in-process, to the receiver. */
async function drain(postgresUrl: string | undefined): Promise<number> {
  const hooks = await HttpReceiver.start();
  const t = await startTestRegistry({
    access: { enabled: true },
    ...(postgresUrl ? { postgresUrl } : {}),
  });
  try {
    await createUser(t, 'owner');
    await new V2Client(t.app, `owner:${PASSWORD}`).pushImage('owner/app', 'v1');
    const created = await new ApiClient(t.app, { basic: `owner:${PASSWORD}` }).post(
      '/repository/owner/app/notification/',
      { event: 'repo_push', method: 'webhook', config: { url: hooks.url }, eventConfig: {} },
    );
    if (created.status !== 201) throw new Error(`notification: ${created.status}`);
    const { id } = await t.db
      .selectFrom('notification')
      .select('id')
      .where('uuid', '=', created.body.uuid)
      .executeTakeFirstOrThrow();
    const store = t.workers.notifications.store;
    for (let i = 0; i < burst; i++) {
      await store.enqueue(
        id,
        'repo_push',
        { repository: 'owner/app', updated_tags: [`t${i}`] },
        t.clock.now(),
      );
    }
    const started = performance.now();
    await runNotifications(t.workers.notifications);
    const seconds = (performance.now() - started) / 1000;
    if (hooks.requests.length !== burst)
      throw new Error(`${hooks.requests.length} of ${burst} sent`);
    return burst / seconds;
  } finally {
    await t.close();
    await hooks.close();
  }
}

const figures: Figures[] = [];
const drains: [string, number][] = [];
process.stdout.write(`embedded: ${sequential} pushes, then a burst of ${burst}... `);
figures.push(await measure('embedded', {}));
drains.push(['embedded', await drain(undefined)]);
console.log('done');
if (process.env.DATABASE_URL) {
  const scratch = await createScratchDatabase(process.env.DATABASE_URL);
  try {
    process.stdout.write(`PostgreSQL: ${sequential} pushes, then a burst of ${burst}... `);
    figures.push(await measure('PostgreSQL', { DATABASE_URL: scratch.url }));
    drains.push(['PostgreSQL', await drain(process.env.DATABASE_URL)]);
    console.log('done');
  } finally {
    await scratch.drop();
  }
}
console.log(
  `\nPush to webhook (${sequential} sequential pushes; burst of ${burst} from ${CLIENTS} clients):`,
);
console.log(
  '| database | push to webhook p50 | p99 | max | the PUT alone p50 | burst pushes/s | burst deliveries/s | last webhook after last push |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const f of figures) {
  console.log(
    `| ${f.database} | ${f.p50Ms.toFixed(1)} ms | ${f.p99Ms.toFixed(1)} ms | ${f.maxMs.toFixed(1)} ms | ${f.putP50Ms.toFixed(1)} ms | ${f.burstPushesPerS.toFixed(0)} | ${f.burstDeliveriesPerS.toFixed(0)} | ${f.burstLastMs.toFixed(0)} ms |`,
  );
}
console.log(`\nOne worker run sending ${burst} deliveries queued beforehand (16 at a time):`);
console.log('| database | deliveries/s |');
console.log('| --- | --- |');
for (const [database, rate] of drains) console.log(`| ${database} | ${rate.toFixed(0)} |`);
