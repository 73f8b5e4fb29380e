import { S3Client } from '@aws-sdk/client-s3';
import { FsBlobStore } from '../../shared/adapters/blob/fs-blob-store.js';
import { S3BlobStore } from '../../shared/adapters/blob/s3-blob-store.js';
import type { StorageLocationConfig } from '../../shared/config/config.js';
import type { BlobStore } from '../../shared/ports/blob-store.js';

/** Builds the blob store a configured storage location names. */
export function blobStoreFor(location: StorageLocationConfig, proxyStorage: boolean): BlobStore {
  if (location.driver === 'LocalStorage') return new FsBlobStore(location.path);
  const client = new S3Client({
    region: location.region,
    ...(location.endpoint ? { endpoint: location.endpoint, forcePathStyle: true } : {}),
    ...(location.credentials ? { credentials: location.credentials } : {}),
  });
  return new S3BlobStore({
    client,
    bucket: location.bucket,
    prefix: location.prefix,
    redirects: !proxyStorage,
    // One endpoint (or AWS itself, across regions) copies between its buckets with CopyObject.
    copyDomain: location.endpoint ?? 'aws',
  });
}
