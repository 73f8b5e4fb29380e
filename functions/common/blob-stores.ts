import { FsBlobStore } from '../../shared/adapters/blob/fs-blob-store.js';
import type { StorageLocationConfig } from '../../shared/config/config.js';
import type { BlobStore } from '../../shared/ports/blob-store.js';

type StoreFor = (location: StorageLocationConfig, proxyStorage: boolean) => BlobStore;

/**
 * How the local server builds the blob store each configured location
 * names: a directory, or S3. The AWS SDK is loaded only when some location
 * is S3, so a laptop registry on local disk never pays its memory and
 * start-up time.
 */
export async function blobStoresFor(locations: StorageLocationConfig[]): Promise<StoreFor> {
  if (locations.every((l) => l.driver === 'LocalStorage')) return localOnly;
  const [{ s3StoreFor }, { copyInParts }] = await Promise.all([
    import('./s3-blob-stores.js'),
    import('../../shared/adapters/blob/s3-part-copy.js'),
  ]);
  // The local server runs replication itself.
  return (location, proxyStorage) =>
    location.driver === 'LocalStorage'
      ? new FsBlobStore(location.path)
      : s3StoreFor(location, proxyStorage, copyInParts);
}

const localOnly: StoreFor = (location) => {
  if (location.driver !== 'LocalStorage') throw new Error(`not a local location: ${location.name}`);
  return new FsBlobStore(location.path);
};
