import { ociError } from '../errors/registry-error.js';
import { isDigest } from './digest.js';
import {
  bareMediaType,
  isForeignLayer,
  manifestKindOf,
  MediaType,
  type ManifestKind,
} from './media-types.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ParsedManifest {
  mediaType: string;
  kind: ManifestKind;
  /** Blobs that must already be in the repository: config and distributable layers. */
  blobs: Descriptor[];
  /** An image manifest's config. */
  config?: Descriptor;
  /** Manifests an index points at; they must already be in the repository. */
  children: Descriptor[];
  subject?: Descriptor;
  /** What the referrers API reports: `artifactType`, else the config's media type. */
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** The spec's floor for what registries must accept; also Distribution's and containers/image's limit. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const invalid = (message: string, detail?: unknown) =>
  ociError('MANIFEST_INVALID', { message: `manifest invalid: ${message}`, detail });

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseAnnotations(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw invalid(`${where}.annotations must map strings to strings`);
  }
  return value as Record<string, string>;
}

function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw invalid(`${where} must be a descriptor object`);
  const { mediaType, digest, size, artifactType, urls } = value;
  if (typeof mediaType !== 'string' || mediaType === '') {
    throw invalid(`${where}.mediaType is required`);
  }
  if (typeof digest !== 'string' || !isDigest(digest)) {
    throw invalid(`${where}.digest is not a valid sha256 or sha512 digest`, { digest });
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`${where}.size must be a non-negative integer`);
  }
  if (artifactType !== undefined && typeof artifactType !== 'string') {
    throw invalid(`${where}.artifactType must be a string`);
  }
  if (urls !== undefined && (!Array.isArray(urls) || urls.some((u) => typeof u !== 'string'))) {
    throw invalid(`${where}.urls must be an array of strings`);
  }
  const descriptor: Descriptor = { mediaType, digest, size };
  if (artifactType !== undefined) descriptor.artifactType = artifactType;
  const annotations = parseAnnotations(value.annotations, where);
  if (annotations) descriptor.annotations = annotations;
  if (urls) descriptor.urls = urls as string[];
  return descriptor;
}

function parseDescriptorList(value: unknown, where: string): Descriptor[] {
  if (!Array.isArray(value)) throw invalid(`${where} must be an array`);
  return value.map((item, i) => parseDescriptor(item, `${where}[${i}]`));
}

/**
 * Decides the manifest's media type from the body and `Content-Type`. They
 * must agree when both are given; a body without `mediaType` (allowed by OCI)
 * takes the header's.
 */
function resolveMediaType(body: Json, contentType: string): string {
  const declared = body.mediaType;
  if (declared !== undefined && typeof declared !== 'string') {
    throw invalid('mediaType must be a string');
  }
  const header = bareMediaType(contentType);
  const headerIsSpecific = header !== '' && header !== 'application/octet-stream';
  if (declared && headerIsSpecific && declared !== header) {
    throw invalid(`mediaType ${declared} does not match Content-Type ${header}`);
  }
  const mediaType = declared ?? (headerIsSpecific ? header : undefined);
  if (mediaType) return mediaType;
  if (Array.isArray(body.manifests)) return MediaType.ociIndex;
  return MediaType.ociManifest;
}

export function parseManifest(bytes: Uint8Array, contentType: string): ParsedManifest {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalid('body is not valid UTF-8 JSON');
  }
  if (!isObject(body)) throw invalid('body must be a JSON object');
  if (body.schemaVersion !== 2) {
    throw invalid('schemaVersion must be 2 (Docker schema 1 is not supported)');
  }
  const mediaType = resolveMediaType(body, contentType);
  const kind = manifestKindOf(mediaType);
  if (!kind) throw invalid(`unsupported manifest media type ${mediaType}`);

  const annotations = parseAnnotations(body.annotations, 'manifest');
  const subject = body.subject === undefined ? undefined : parseDescriptor(body.subject, 'subject');
  const artifactType = body.artifactType;
  if (artifactType !== undefined && typeof artifactType !== 'string') {
    throw invalid('artifactType must be a string');
  }

  const parsed: ParsedManifest = { mediaType, kind, blobs: [], children: [] };
  if (kind === 'image') {
    const config = parseDescriptor(body.config, 'config');
    const layers = parseDescriptorList(body.layers ?? [], 'layers');
    parsed.config = config;
    parsed.blobs = [config, ...layers.filter((l) => !(isForeignLayer(l.mediaType) && l.urls))];
    parsed.artifactType = artifactType ?? config.mediaType;
  } else {
    parsed.children = parseDescriptorList(body.manifests, 'manifests');
    if (artifactType !== undefined) parsed.artifactType = artifactType;
  }
  if (subject) parsed.subject = subject;
  if (annotations) parsed.annotations = annotations;
  return parsed;
}
