import { copyInParts } from '../../shared/adapters/blob/s3-part-copy.js';
import { FsBlobStore } from '../../shared/adapters/blob/fs-blob-store.js';
import type { StorageLocationConfig } from '../../shared/config/config.js';
import type { BlobStore } from '../../shared/ports/blob-store.js';
import { s3StoreFor } from './s3-blob-stores.js';

/** Builds the blob store a configured storage location names: a directory, or S3. */
export function blobStoreFor(location: StorageLocationConfig, proxyStorage: boolean): BlobStore {
  if (location.driver === 'LocalStorage') return new FsBlobStore(location.path);
  // The local server runs replication itself.
  return s3StoreFor(location, proxyStorage, copyInParts);
}
