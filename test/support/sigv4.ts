import { createHash, createHmac } from 'node:crypto';

/** RFC 3986 encoding, as SigV4 wants it. */
const encode = (value: string) =>
  encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

const hmac = (key: string | Buffer, data: string) =>
  createHmac('sha256', key).update(data).digest();

/**
 * Recomputes the signature of a SigV4 presigned S3 GET URL from the secret
 * key, independently of the SDK that made it, and says whether it matches.
 */
export function verifyPresignedGet(
  url: URL,
  secretAccessKey: string,
): { valid: boolean; reason?: string } {
  const q = url.searchParams;
  if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return { valid: false, reason: 'algorithm' };
  const credential = q.get('X-Amz-Credential')?.split('/') ?? [];
  const [, date, region, service, terminator] = credential;
  if (service !== 's3' || terminator !== 'aws4_request' || !date || !region) {
    return { valid: false, reason: 'credential scope' };
  }
  const signedHeaders = q.get('X-Amz-SignedHeaders');
  if (signedHeaders !== 'host') return { valid: false, reason: `signed headers ${signedHeaders}` };
  const amzDate = q.get('X-Amz-Date')!;

  const canonicalQuery = [...q.entries()]
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => [encode(key), encode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalRequest = [
    'GET',
    url.pathname,
    canonicalQuery,
    `host:${url.host}\n`,
    'host',
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const signingKey = ['s3', 'aws4_request'].reduce<Buffer>(
    (key, part) => hmac(key, part),
    hmac(hmac(`AWS4${secretAccessKey}`, date), region),
  );
  const expected = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  return expected === q.get('X-Amz-Signature')
    ? { valid: true }
    : { valid: false, reason: 'signature' };
}
