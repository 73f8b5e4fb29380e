import type { BlobStore, StoredArea, StoredObject } from '../ports/blob-store.js';
import type { GarbageStore } from '../ports/garbage-store.js';
import { parseStoredKey, uploadedBlobKey } from '../ports/storage-layout.js';
import type { StorageLocations } from '../registry/storage-locations.js';

export interface StorageSweepDeps {
  garbage: GarbageStore;
  storage: StorageLocations;
}

export interface StorageSwept {
  /** Blobs found under their canonical keys with no row, now rows the blob sweep collects. */
  adopted: number;
  /** Upload sessions whose leftover bytes were removed. */
  uploads: number;
}

/**
 * Finds bytes in every location that no row points at, stored before
 * `cutoffMs` (the grace period: a push writes its bytes a moment before its
 * row): a blob a push stored just before its repository was deleted or its
 * process died, or the scratch of an upload session that is gone. Blobs are
 * adopted as rows for the blob sweep, which deletes them under the same
 * locks a push takes; an upload's bytes go once its session is gone and no
 * placement names them, checked in that order, because a session ends in
 * the same transaction that records the blob it published.
 */
export async function sweepStorage(
  deps: StorageSweepDeps,
  cutoffMs: number,
  pageSize: number,
): Promise<StorageSwept> {
  const swept: StorageSwept = { adopted: 0, uploads: 0 };
  for (const location of deps.storage.names()) {
    const store = deps.storage.get(location);
    for (const area of ['blobs', 'uploads'] as StoredArea[]) {
      for await (const page of pages(store, area, pageSize)) {
        const old = page.filter((o) => o.modifiedMs < cutoffMs);
        const blobs = old.flatMap((o) => {
          const key = parseStoredKey(o.key);
          return key.kind === 'blob'
            ? [{ digest: key.digest, size: o.size, storedAtMs: o.modifiedMs }]
            : [];
        });
        swept.adopted += await deps.garbage.adoptStoredBlobs(location, blobs);
        swept.uploads += await removeLeftUploads(deps.garbage, location, store, old);
      }
    }
  }
  return swept;
}

async function* pages(
  store: BlobStore,
  area: StoredArea,
  pageSize: number,
): AsyncGenerator<StoredObject[]> {
  let after: string | null = null;
  do {
    const page: { objects: StoredObject[]; next: string | null } = await store.listStored(
      area,
      after,
      pageSize,
    );
    if (page.objects.length > 0) yield page.objects;
    after = page.next;
  } while (after !== null);
}

async function removeLeftUploads(
  garbage: GarbageStore,
  location: string,
  store: BlobStore,
  objects: StoredObject[],
): Promise<number> {
  const ids = [
    ...new Set(
      objects.flatMap((o) => {
        const key = parseStoredKey(o.key);
        return key.kind === 'upload' ? [key.uploadId] : [];
      }),
    ),
  ];
  const gone = await garbage.missingUploads(ids);
  const unplaced = new Set(await garbage.unplacedKeys(location, gone.map(uploadedBlobKey)));
  const removable = gone.filter((id) => unplaced.has(uploadedBlobKey(id)));
  for (const id of removable) await store.abortUpload(id, null);
  return removable.length;
}
