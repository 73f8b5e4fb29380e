/**
 * Where bytes live inside one storage location. Every blob store adapter
 * uses these keys, so a location's contents can be moved between
 * technologies as a plain copy.
 *
 *   <root>/
 *     blobs/
 *       <algorithm>/<first two hex digits>/<hex>   a verified blob, immutable
 *       uploaded/<upload id>                        S3: a verified blob left where its
 *                                                   multipart upload completed (S3 cannot
 *                                                   rename); its placement row names the key
 *     uploads/
 *       <upload id>                                bytes staged by an upload session (filesystem)
 *       <upload id>/tail-<generation>              S3: bytes that do not yet fill a part
 *       <upload id>/parts-<generation>.json        S3: the ETags of the parts uploaded so far
 *
 * Stores with a key prefix (S3 `storage_path`) put the whole tree under it.
 *
 * A key under `blobs/` is written only with bytes whose digest was verified
 * (a multipart upload completes only then), so nothing there is ever
 * partial; `uploads/` is scratch, and on S3 a lifecycle rule expires it.
 */

const SAFE_UPLOAD_ID = /^[a-zA-Z0-9-]{1,64}$/;

export function blobKey(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  if (!algorithm || !hex || !/^[a-z0-9]+$/.test(algorithm) || !/^[a-f0-9]+$/.test(hex)) {
    throw new Error(`not a storable digest: ${digest}`);
  }
  return `blobs/${algorithm}/${hex.slice(0, 2)}/${hex}`;
}

export function uploadKey(uploadId: string): string {
  if (!SAFE_UPLOAD_ID.test(uploadId)) throw new Error(`not a storable upload id: ${uploadId}`);
  return `uploads/${uploadId}`;
}

/** Where an S3 upload's multipart upload is created, and so where its blob stays. */
export function uploadedBlobKey(uploadId: string): string {
  if (!SAFE_UPLOAD_ID.test(uploadId)) throw new Error(`not a storable upload id: ${uploadId}`);
  return `blobs/uploaded/${uploadId}`;
}

/** What a key under a location's root holds. */
export type StoredKey =
  { kind: 'blob'; digest: string } | { kind: 'upload'; uploadId: string } | { kind: 'other' };

const CANONICAL = /^blobs\/([a-z0-9]+)\/[a-f0-9]{2}\/([a-f0-9]+)$/;
const UPLOADED = /^blobs\/uploaded\/([a-zA-Z0-9-]{1,64})$/;
const STAGED = /^uploads\/([a-zA-Z0-9-]{1,64})(?:\/.*)?$/;

/** The inverse of the keys above: a verified blob, or bytes belonging to one upload session. */
export function parseStoredKey(key: string): StoredKey {
  const canonical = CANONICAL.exec(key);
  if (canonical) return { kind: 'blob', digest: `${canonical[1]}:${canonical[2]}` };
  // An upload's own scratch, or the blob its multipart upload left in place.
  const byUpload = UPLOADED.exec(key) ?? STAGED.exec(key);
  if (byUpload) return { kind: 'upload', uploadId: byUpload[1]! };
  return { kind: 'other' };
}
