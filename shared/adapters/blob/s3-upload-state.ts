import { uploadKey } from './storage-layout.js';

/**
 * What an S3 upload session holds, kept as a JSON object beside its parts.
 * Writing a new state is the commit point of an append: parts and tails
 * written before it are invisible until it lands, and a failed append leaves
 * the previous state, and so the previous bytes, in force.
 */
export interface S3UploadState {
  multipartId: string;
  parts: { number: number; etag: string; size: number }[];
  /** Bytes received but not yet a part (S3 parts must be at least 5 MiB, but for the last). */
  tail: { key: string; size: number } | null;
  /** Bumped by every append, so a new tail never overwrites the one in force. */
  generation: number;
  /** Set once the multipart upload is completed: where the whole upload now is (null: empty). */
  completed: { key: string | null } | null;
}

export const uploadStateKey = (uploadId: string) => `${uploadKey(uploadId)}/state.json`;
export const uploadDataKey = (uploadId: string) => `${uploadKey(uploadId)}/data`;
export const uploadTailKey = (uploadId: string, generation: number) =>
  `${uploadKey(uploadId)}/tail-${generation}`;

export function uploadedSize(state: S3UploadState): number {
  return state.parts.reduce((sum, part) => sum + part.size, 0) + (state.tail?.size ?? 0);
}
