import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

const MiB = 1024 * 1024;
/** S3's multipart limits: every part but the last at least 5 MiB, none over 5 GiB, 10,000 at most. */
export const MIN_PART_BYTES = 5 * MiB;
export const MAX_PART_BYTES = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;

export interface CopyPart {
  partNumber: number;
  /** `x-amz-copy-source-range`: zero-based offsets, both inclusive. */
  range: string;
}

/**
 * The parts a copy of `size` bytes is made of: `partBytes` each (raised so
 * that 10,000 parts cover the object, kept within S3's part sizes), the last
 * holding the rest.
 */
export function planCopyParts(size: number, partBytes: number): CopyPart[] {
  const each = Math.min(
    MAX_PART_BYTES,
    Math.max(MIN_PART_BYTES, partBytes, Math.ceil(size / MAX_PARTS)),
  );
  const parts: CopyPart[] = [];
  for (let first = 0; first < size; first += each) {
    const last = Math.min(first + each, size) - 1;
    parts.push({ partNumber: parts.length + 1, range: `bytes=${first}-${last}` });
  }
  return parts;
}

export interface PartCopy {
  bucket: string;
  key: string;
  /** `x-amz-copy-source`, as CopyObject names it. */
  copySource: string;
  size: number;
  partBytes: number;
  /** Parts copied at once. */
  concurrency: number;
}

/**
 * Copies an object inside S3 in parts (UploadPartCopy), several at a time,
 * into a multipart upload at `key`: for objects over CopyObject's 5 GiB.
 * Nothing is visible at `key` until every part is copied; a failure aborts
 * the upload, leaving nothing behind.
 */
export async function copyInParts(s3: S3Client, copy: PartCopy): Promise<void> {
  const created = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: copy.bucket, Key: copy.key }),
  );
  const uploadId = created.UploadId!;
  const parts = planCopyParts(copy.size, copy.partBytes);
  const etags: string[] = new Array<string>(parts.length);
  try {
    let next = 0;
    const worker = async () => {
      while (next < parts.length) {
        const part = parts[next++]!;
        const copied = await s3.send(
          new UploadPartCopyCommand({
            Bucket: copy.bucket,
            Key: copy.key,
            UploadId: uploadId,
            PartNumber: part.partNumber,
            CopySource: copy.copySource,
            CopySourceRange: part.range,
          }),
        );
        etags[part.partNumber - 1] = copied.CopyPartResult!.ETag!;
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(copy.concurrency, parts.length) }, () => worker()),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: copy.bucket,
        Key: copy.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
  } catch (error) {
    await s3
      .send(
        new AbortMultipartUploadCommand({ Bucket: copy.bucket, Key: copy.key, UploadId: uploadId }),
      )
      .catch(() => undefined);
    throw error;
  }
}
