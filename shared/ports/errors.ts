/** Errors every adapter of a port reports in the same way, whatever its technology. */

export class BlobNotFoundError extends Error {
  constructor(readonly digest: string) {
    super(`blob ${digest} is not in storage`);
    this.name = 'BlobNotFoundError';
  }
}

export class UploadNotFoundError extends Error {
  constructor(readonly uploadId: string) {
    super(`upload ${uploadId} is not in storage`);
    this.name = 'UploadNotFoundError';
  }
}

/** An append that does not start where the stored bytes end. */
export class UploadOffsetError extends Error {
  constructor(
    readonly uploadId: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`upload ${uploadId} is at offset ${actual}, not ${expected}`);
    this.name = 'UploadOffsetError';
  }
}

/**
 * The metadata database cannot answer now (an Aurora cluster resuming from
 * a pause, an outage); a client should try again after `retryAfterSeconds`.
 */
export class DatabaseUnavailableError extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super('the metadata database is not available right now', options);
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * No storage location this server writes answers now, so it cannot take a
 * new upload; a client should try again after `retryAfterSeconds`.
 */
export class StorageUnavailableError extends Error {
  readonly retryAfterSeconds = 5;

  constructor(locations: readonly string[], options?: { cause?: unknown }) {
    super(`no storage location this server writes is available (${locations.join(', ')})`, options);
    this.name = 'StorageUnavailableError';
  }
}

/**
 * The repository was deleted while a request was writing into it; the
 * write stored nothing. A client sees the repository as unknown.
 */
export class RepositoryGoneError extends Error {
  constructor(readonly repositoryId: number) {
    super(`repository ${repositoryId} was deleted`);
    this.name = 'RepositoryGoneError';
  }
}

/** A write would overwrite, move, delete or expire an immutable tag; nothing changed. */
export class TagImmutableError extends Error {
  constructor(readonly tag: string) {
    super(`tag ${tag} is immutable and cannot be overwritten, moved, deleted or expired`);
    this.name = 'TagImmutableError';
  }
}
