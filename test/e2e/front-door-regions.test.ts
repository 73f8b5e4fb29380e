import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frontDoorFunctionCode } from '../../infra/edge/front-door-function.js';
import {
  BLOB_PATH_PATTERN,
  dataPlaneOriginId,
  UPLOAD_PATH_PATTERN,
} from '../../infra/stacks/edge-stack.js';
import { basic } from '../support/accounts.js';
import { startFrontDoor, type FrontDoor } from '../support/front-door.js';
import { skipUnlessAvailable } from '../support/harness.js';
import { createScratchDatabase } from '../support/postgres.js';
import { skopeoAvailable } from '../support/registry-clients.js';
import { startTestS3, type TestS3 } from '../support/s3.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import {
  ADMIN,
  copy,
  CREDS,
  expectPulledIdentical,
  heldDigests,
  imageLayout,
  layoutBlobs,
} from '../support/skopeo-images.js';

const databaseUrl = process.env.DATABASE_URL;
const skip =
  skipUnlessAvailable(skopeoAvailable(), 'skopeo') ||
  skipUnlessAvailable(Boolean(databaseUrl), 'DATABASE_URL (PostgreSQL)');

const US = 'us-east-1';
const EU = 'eu-central-1';
/** CloudFront's geolocation headers for viewers in two cities. */
const FRANKFURT = {
  'CloudFront-Viewer-Latitude': '50.11090',
  'CloudFront-Viewer-Longitude': '8.68213',
};
const VIRGINIA = {
  'CloudFront-Viewer-Latitude': '38.95330',
  'CloudFront-Viewer-Longitude': '-77.35030',
};

/**
 * Two regions behind the global front door, each region's server writing
 * only its own bucket (as on AWS), one database between them, and the real
 * front door function choosing where each request goes. The servers are
 * the local runtime: the same core and routes the data plane runs, on
 * PostgreSQL instead of the Data API.
 */
describe.skipIf(skip)('two regions behind the front door function (skopeo)', () => {
  let work: string;
  let scratch: { url: string; drop: () => Promise<void> };
  const s3: Record<string, TestS3> = {};
  const servers: Record<string, ServerProcess> = {};
  let door: FrontDoor;

  const bucketOf = (region: string) => [
    'S3Storage',
    {
      s3_bucket: region,
      storage_path: 'registry',
      endpoint_url: s3[region]!.endpoint,
      s3_access_key: s3[region]!.accessKeyId,
      s3_secret_key: s3[region]!.secretAccessKey,
    },
  ];
  const startRegion = (region: string, other: string) =>
    startServerProcess({
      ...ADMIN,
      BERTH_DATA_DIR: join(work, region),
      DATABASE_URL: scratch.url,
      BERTH_SECRET_KEY: 'regions-share-one-secret-key-0123456789abcdef',
      DISTRIBUTED_STORAGE_CONFIG: JSON.stringify({ [US]: bucketOf(US), [EU]: bucketOf(EU) }),
      DISTRIBUTED_STORAGE_PREFERENCE: `${region},${other}`,
      BERTH_WRITABLE_LOCATIONS: region,
      FEATURE_STORAGE_REPLICATION: 'true',
      DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: `${US},${EU}`,
      BERTH_REPLICATION_INTERVAL_SECONDS: '1',
      BERTH_STORAGE_PROBE_SECONDS: '0',
    });

  /** Waits until no copy into `target` is pending. */
  async function caughtUp(target: string) {
    for (let i = 0; i < 160; i++) {
      const answer = await fetch(`${servers[US]!.url}/api/v1/superuser/replication`, {
        headers: { Authorization: basic(CREDS) },
      });
      const state = (await answer.json()) as {
        locations: { location: string; pending: number; failed: number }[];
      };
      const at = state.locations.find((l) => l.location === target)!;
      if (at.pending === 0) return at;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`copies into ${target} still pending`);
  }

  /** The requests since `from` that carried bytes or sessions of blob uploads. */
  const uploadsSince = (from: number) =>
    door.log.slice(from).filter((r) => r.url.includes('/blobs/uploads'));
  /** Where the blob reads since `from` were redirected to: the S3 endpoints. */
  const blobRedirectsSince = (from: number) =>
    door.log
      .slice(from)
      .filter((r) => /\/blobs\/sha256:/.test(r.url) && r.status === 307)
      .map((r) => ({ originId: r.originId, to: new URL(r.location!).origin }));

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-e2e-regions-'));
    scratch = await createScratchDatabase(databaseUrl!);
    [s3[US], s3[EU]] = await Promise.all([startTestS3(), startTestS3()]);
    await s3[US]!.createBucket(US);
    await s3[EU]!.createBucket(EU);
    // One after the other: the first migrates the shared database.
    servers[US] = await startRegion(US, EU);
    servers[EU] = await startRegion(EU, US);
    const regions = [US, EU];
    door = await startFrontDoor({
      code: frontDoorFunctionCode(
        regions.map((region) => ({ region, originId: dataPlaneOriginId(region) })),
        { blobReads: true },
      ),
      origins: {
        [dataPlaneOriginId(US)]: servers[US]!.url,
        [dataPlaneOriginId(EU)]: servers[EU]!.url,
        'registry-api': servers[US]!.url,
      },
      behaviors: [
        { pattern: UPLOAD_PATH_PATTERN, originId: dataPlaneOriginId(US) },
        { pattern: BLOB_PATH_PATTERN, originId: dataPlaneOriginId(US) },
      ],
      defaultOrigin: 'registry-api',
    });
  });
  afterAll(async () => {
    await door?.close();
    for (const server of Object.values(servers)) await server.stop();
    for (const bucket of Object.values(s3)) await bucket.close();
    await scratch?.drop();
    await rm(work, { recursive: true, force: true });
  });

  it("pushes into the viewer's nearest region, pulls each viewer from its own region's copy, and hands uploads to the next region while one's storage is down", async () => {
    // A viewer in Frankfurt pushes: every upload request reaches the Frankfurt region.
    Object.assign(door.viewer, FRANKFURT);
    const first = await imageLayout(join(work, 'first'), 'v1', [1500, 200 * 1024]);
    let mark = door.log.length;
    await copy(`oci:${first.layout.dir}:v1`, `docker://${door.host}/admin/geo:v1`);
    const pushed = uploadsSince(mark);
    expect(pushed.length).toBeGreaterThan(0);
    expect(new Set(pushed.map((r) => r.originId))).toEqual(new Set([dataPlaneOriginId(EU)]));
    const started = pushed.find((r) => r.method === 'POST' && r.status === 202)!;
    expect(started.location).toContain(`_location=${EU}`);
    const layers = (await layoutBlobs(first.layout.dir)).filter((d) => d !== first.image.digest);
    expect(await heldDigests(s3[EU]!, EU)).toEqual(layers);

    // Virginia's region copies the layers into its own bucket.
    expect((await caughtUp(US)).failed).toBe(0);
    expect(await heldDigests(s3[US]!, US)).toEqual(layers);

    // Each viewer's blob reads go to its nearest region, which redirects to its own bucket.
    for (const [viewer, region] of [
      [VIRGINIA, US],
      [FRANKFURT, EU],
    ] as const) {
      Object.assign(door.viewer, viewer);
      mark = door.log.length;
      await expectPulledIdentical(
        `docker://${door.host}/admin/geo:v1`,
        first.layout,
        first.image,
        join(work, `pulled-${region}`),
      );
      const redirects = blobRedirectsSince(mark);
      expect(redirects.length).toBeGreaterThanOrEqual(layers.length);
      for (const r of redirects) {
        expect(r).toEqual({ originId: dataPlaneOriginId(region), to: s3[region]!.endpoint });
      }
    }

    // Frankfurt's storage goes down. Its region hands the push to Virginia's.
    await s3[EU]!.stop();
    Object.assign(door.viewer, FRANKFURT);
    const second = await imageLayout(join(work, 'second'), 'v2', [2500, 150 * 1024]);
    mark = door.log.length;
    await copy(`oci:${second.layout.dir}:v2`, `docker://${door.host}/admin/geo:v2`);
    const handedOff = uploadsSince(mark);
    const refused = handedOff.filter((r) => r.originId === dataPlaneOriginId(EU));
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r).toMatchObject({ method: 'POST', status: 307 });
      expect(r.location).toContain(`_location=${US}`);
    }
    // The session's own requests follow its URL to Virginia, though the viewer is in Frankfurt.
    const session = handedOff.filter((r) => r.method === 'PATCH' || r.method === 'PUT');
    expect(session.length).toBeGreaterThan(0);
    for (const r of session) expect(r.originId).toBe(dataPlaneOriginId(US));
    const secondLayers = (await layoutBlobs(second.layout.dir)).filter(
      (d) => d !== second.image.digest,
    );
    expect(await heldDigests(s3[US]!, US)).toEqual(
      [...new Set([...layers, ...secondLayers])].sort(),
    );

    // Frankfurt's viewers still pull, from Virginia's bucket, through their own region.
    mark = door.log.length;
    await expectPulledIdentical(
      `docker://${door.host}/admin/geo:v2`,
      second.layout,
      second.image,
      join(work, 'pulled-second'),
    );
    for (const r of blobRedirectsSince(mark)) {
      expect(r).toEqual({ originId: dataPlaneOriginId(EU), to: s3[US]!.endpoint });
    }

    // Back up: Frankfurt catches up, and takes Frankfurt's pushes again.
    await s3[EU]!.restart();
    expect((await caughtUp(EU)).failed).toBe(0);
    expect(await heldDigests(s3[EU]!, EU)).toEqual(await heldDigests(s3[US]!, US));
    const third = await imageLayout(join(work, 'third'), 'v3', [700]);
    mark = door.log.length;
    await copy(`oci:${third.layout.dir}:v3`, `docker://${door.host}/admin/geo:v3`);
    expect(new Set(uploadsSince(mark).map((r) => r.originId))).toEqual(
      new Set([dataPlaneOriginId(EU)]),
    );
  });
});
