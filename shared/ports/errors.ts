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
