import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import type { Descriptor } from '../../shared/oci/manifest.js';
import { OciLayout, readLayoutIndex } from './oci-layout.js';
import { skopeo } from './registry-clients.js';
import type { TestS3 } from './s3.js';

/**
 * Images for the skopeo tests: layouts to push, byte-for-byte checks of what
 * comes back, and what a bucket holds.
 */

/** The superuser the servers of these tests start with, and who pushes and pulls. */
export const ADMIN = { BERTH_SUPERUSER: 'admin', BERTH_SUPERUSER_PASSWORD: 'e2e-admin-password' };
export const CREDS = `${ADMIN.BERTH_SUPERUSER}:${ADMIN.BERTH_SUPERUSER_PASSWORD}`;

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}

/** Every blob file of a layout, checked against the digest it is named by. */
export async function layoutBlobs(dir: string): Promise<string[]> {
  const names = await readdir(join(dir, 'blobs', 'sha256'));
  const digests: string[] = [];
  for (const name of names) {
    const digest = await sha256File(join(dir, 'blobs', 'sha256', name));
    expect(digest).toBe(`sha256:${name}`);
    digests.push(digest);
  }
  return digests.sort();
}

/** `skopeo copy` that fails rather than let skopeo rewrite anything on the way. */
export const copy = (from: string, to: string, ...flags: string[]) => {
  const creds = [
    ...(from.startsWith('docker://') ? ['--src-creds', CREDS] : []),
    ...(to.startsWith('docker://') ? ['--dest-creds', CREDS] : []),
  ];
  return skopeo('copy', '--preserve-digests', ...creds, ...flags, from, to);
};

/** A layout holding one image with the given layer sizes, tagged `tag`. */
export async function imageLayout(dir: string, tag: string, layerSizes: number[]) {
  const layout = await OciLayout.create(dir);
  const layers = [];
  for (const size of layerSizes) layers.push(await layout.addLayer(size));
  const image = await layout.addImage(layers);
  await layout.tag(image, tag);
  return { layout, image, layers };
}

/** A layout holding an amd64 + arm64 index, tagged `multi`. */
export async function indexLayout(dir: string) {
  const layout = await OciLayout.create(dir);
  const platforms: Descriptor[] = [];
  for (const [architecture, size] of [
    ['amd64', 4096],
    ['arm64', 70_000],
  ] as const) {
    platforms.push(
      await layout.addImage([await layout.addLayer(size)], { architecture, os: 'linux' }),
    );
  }
  const index = await layout.addIndex(platforms);
  await layout.tag(index, 'multi');
  return { layout, index, platforms };
}

/** Pulls `reference` into a new layout and checks it holds exactly the source's bytes. */
export async function expectPulledIdentical(
  reference: string,
  source: OciLayout,
  top: Descriptor,
  pulledDir: string,
  ...flags: string[]
) {
  await copy(reference, `oci:${pulledDir}:pulled`, ...flags);
  expect((await readLayoutIndex(pulledDir)).manifests[0]!.digest).toBe(top.digest);
  expect(await layoutBlobs(pulledDir)).toEqual(await layoutBlobs(source.dir));
}

/** Every object under `registry/blobs/` of a bucket, by the digest its bytes hash to. */
export async function heldDigests(s3: TestS3, bucket: string): Promise<string[]> {
  const listed = await s3.client.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: 'registry/' }),
  );
  const digests: string[] = [];
  for (const object of listed.Contents ?? []) {
    const got = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key! }));
    const hash = createHash('sha256').update(await got.Body!.transformToByteArray());
    digests.push(`sha256:${hash.digest('hex')}`);
  }
  return [...new Set(digests)].sort();
}
