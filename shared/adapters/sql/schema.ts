import type { Generated } from 'kysely';

/** The metadata tables, as Kysely sees them. Migrations in `migrations/` define them. */
export interface Database {
  repository: RepositoryTable;
  blob: BlobTable;
  blob_placement: BlobPlacementTable;
  repository_blob: RepositoryBlobTable;
  blob_upload: BlobUploadTable;
  manifest: ManifestTable;
  manifest_blob: ManifestBlobTable;
  manifest_child: ManifestChildTable;
  tag: TagTable;
}

export interface RepositoryTable {
  id: Generated<number>;
  name: string;
  created_at_ms: number;
}

export interface BlobTable {
  digest: string;
  size: number;
  created_at_ms: number;
}

/** Which storage locations hold a blob's bytes (geo-replication adds rows here). */
export interface BlobPlacementTable {
  digest: string;
  location: string;
  created_at_ms: number;
}

/** A blob is readable through a repository only when linked into it. */
export interface RepositoryBlobTable {
  repository_id: number;
  digest: string;
  created_at_ms: number;
}

export interface BlobUploadTable {
  id: string;
  repository_id: number;
  location: string;
  size: number;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface ManifestTable {
  id: Generated<number>;
  repository_id: number;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  subject_digest: string | null;
  annotations: Record<string, string> | null;
  size: number;
  /** The manifest's bytes, or null when they are kept in blob storage (large manifests). */
  content: Uint8Array | null;
  created_at_ms: number;
  /** Set when deleted; the row stays for tag history until garbage collection. */
  deleted_at_ms: number | null;
}

export interface ManifestBlobTable {
  manifest_id: number;
  digest: string;
}

export interface ManifestChildTable {
  manifest_id: number;
  child_id: number;
}

/**
 * One row per lifetime of a tag: moving or deleting a tag ends the live row
 * (`lifetime_end_ms`) and, for a move, starts another. At most one live row
 * per (repository, name).
 */
export interface TagTable {
  id: Generated<number>;
  repository_id: number;
  name: string;
  manifest_id: number;
  lifetime_start_ms: number;
  lifetime_end_ms: number | null;
}
