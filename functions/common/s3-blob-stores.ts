import { S3Client } from '@aws-sdk/client-s3';
import { S3BlobStore, type S3BlobStoreOptions } from '../../shared/adapters/blob/s3-blob-store.js';
import type { StorageLocationConfig } from '../../shared/config/config.js';
import type { BlobStore } from '../../shared/ports/blob-store.js';

/**
 * The blob store of an S3 storage location: all the AWS runtimes keep (a
 * function has no disk that outlives it), so their bundles carry no file
 * system store.
 */
export function s3StoreFor(
  location: StorageLocationConfig,
  proxyStorage: boolean,
  /** For the servers that replicate: blobs over CopyObject's limit copied in parts. */
  partCopy?: S3BlobStoreOptions['partCopy'],
): BlobStore {
  if (location.driver === 'LocalStorage') {
    throw new Error(
      `storage location ${location.name} is LocalStorage; on AWS every location must be S3Storage`,
    );
  }
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
    ...(partCopy ? { partCopy } : {}),
  });
}
