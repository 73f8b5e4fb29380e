/**
 * Where bytes live inside one storage location. Every blob store adapter
 * (filesystem now, S3 later) uses these keys, so a location's contents can be
 * moved between technologies as a plain copy.
 *
 *   <root>/
 *     blobs/
 *       <algorithm>/<first two hex digits>/<hex>   a verified blob, immutable
 *     uploads/
 *       <upload id>                                bytes staged by an upload session (filesystem)
 *       <upload id>/state.json                     S3: the session's parts and tail, its commit point
 *       <upload id>/tail-<generation>              S3: bytes that do not yet fill a part
 *       <upload id>/data                           S3: the completed multipart upload
 *
 * Stores with a key prefix (S3 `storage_path`) put the whole tree under it.
 *

 * A blob key is written only by committing a finished upload whose digest was
 * verified, so nothing under `blobs/` is ever partial.
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
