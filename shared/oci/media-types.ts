export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

export type ManifestKind = 'image' | 'index';

const MANIFEST_KINDS: Record<string, ManifestKind> = {
  [MediaType.ociManifest]: 'image',
  [MediaType.dockerManifest]: 'image',
  [MediaType.ociIndex]: 'index',
  [MediaType.dockerManifestList]: 'index',
};

export function manifestKindOf(mediaType: string): ManifestKind | undefined {
  return MANIFEST_KINDS[mediaType];
}

/**
 * Layers that by definition live elsewhere (Windows base layers and OCI's
 * non-distributable layers); a manifest may name them without pushing them.
 */
export function isForeignLayer(mediaType: string): boolean {
  return (
    mediaType === 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip' ||
    mediaType.startsWith('application/vnd.oci.image.layer.nondistributable.')
  );
}

/** `Content-Type: a/b; charset=x` → `a/b`. */
export function bareMediaType(contentType: string | undefined | null): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}
