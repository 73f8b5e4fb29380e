/** URLs `/v2` hands back to clients (`Location`, `Link`); clients treat them as opaque. */

export const blobPath = (name: string, digest: string) => `/v2/${name}/blobs/${digest}`;
export const uploadPath = (name: string, uploadId: string) =>
  `/v2/${name}/blobs/uploads/${uploadId}`;
export const manifestPath = (name: string, digest: string) => `/v2/${name}/manifests/${digest}`;

/** RFC 5988 `Link` to the next page, as Distribution writes it. */
export function nextLink(path: string, next: { n: number; last: string } | undefined) {
  if (!next) return undefined;
  const query = new URLSearchParams({ n: String(next.n), last: next.last });
  return `<${path}?${query.toString()}>; rel="next"`;
}
