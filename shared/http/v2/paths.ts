/** URLs `/v2` hands back to clients (`Location`, `Link`); clients treat them as opaque. */

export const blobPath = (name: string, digest: string) => `/v2/${name}/blobs/${digest}`;
/**
 * The query parameter naming the storage location an upload session lives
 * in, for a front door that must send each of its requests to the server
 * that writes there (a region's data plane). Only servers that cannot write
 * every location add it.
 */
export const SESSION_LOCATION_PARAM = '_location';

export const uploadPath = (name: string, uploadId: string, location?: string) =>
  `/v2/${name}/blobs/uploads/${uploadId}` +
  (location ? `?${new URLSearchParams({ [SESSION_LOCATION_PARAM]: location }).toString()}` : '');
export const manifestPath = (name: string, digest: string) => `/v2/${name}/manifests/${digest}`;

/** RFC 5988 `Link` to the next page, as Distribution writes it. */
export function nextLink(path: string, next: { n: number; last: string } | undefined) {
  if (!next) return undefined;
  const query = new URLSearchParams({ n: String(next.n), last: next.last });
  return `<${path}?${query.toString()}>; rel="next"`;
}
