import type { UploadState } from '../../ports/blob-store.js';
import { uploadKey } from '../../ports/storage-layout.js';

/**
 * What an S3 upload session keeps in its metadata row (small, so the row
 * stays far below the Data API's 64 KB): the multipart upload its parts go
 * to, how many full parts it has, and how many bytes wait in the tail. The
 * parts' ETags and the tail's bytes are objects of their own, written once
 * per append under a new generation, so the state an append was given stays
 * valid until the caller commits the state it returns.
 */
export interface S3UploadState {
  /** The multipart upload, created with the first full part (small blobs never need one). */
  multipartId: string | null;
  /** Size of parts 1 to 1,000; later parts are eight times larger (S3 allows 10,000). */
  partSize: number;
  /** Bumped by every append; names the staging objects it writes. */
  generation: number;
  parts: number;
  /** The generation whose ETag list is current (meaningful once `parts` > 0). */
  partsGeneration: number;
  /** Bytes received but not yet a part (S3 parts must be at least 5 MiB, but for the last). */
  tail: number;
  tailGeneration: number;
  /** Staging objects this state superseded: removed once it is known to be committed. */
  obsolete: string[];
}

/** Parts beyond this many grow, so that 10,000 parts hold more than 500 GiB at 8 MiB. */
const SMALL_PARTS = 1000;

export function partSizeOf(state: Pick<S3UploadState, 'partSize'>, partNumber: number): number {
  return partNumber <= SMALL_PARTS ? state.partSize : state.partSize * 8;
}

export const uploadTailKey = (uploadId: string, generation: number) =>
  `${uploadKey(uploadId)}/tail-${generation}`;
export const uploadPartsKey = (uploadId: string, generation: number) =>
  `${uploadKey(uploadId)}/parts-${generation}.json`;

export function newUploadState(partSize: number): S3UploadState {
  return {
    multipartId: null,
    partSize,
    generation: 0,
    parts: 0,
    partsGeneration: 0,
    tail: 0,
    tailGeneration: 0,
    obsolete: [],
  };
}

export function parseUploadState(state: UploadState, uploadId: string): S3UploadState {
  const s = state as Partial<S3UploadState> | null;
  if (
    !s ||
    typeof s.partSize !== 'number' ||
    typeof s.generation !== 'number' ||
    typeof s.parts !== 'number' ||
    typeof s.tail !== 'number'
  ) {
    throw new Error(`upload ${uploadId} has no S3 upload state`);
  }
  return s as S3UploadState;
}

/** The staging objects a state points at. */
export function currentStagingKeys(uploadId: string, state: S3UploadState): string[] {
  const keys: string[] = [];
  if (state.parts > 0) keys.push(uploadPartsKey(uploadId, state.partsGeneration));
  if (state.tail > 0) keys.push(uploadTailKey(uploadId, state.tailGeneration));
  return keys;
}
