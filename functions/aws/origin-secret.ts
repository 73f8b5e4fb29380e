import { timingSafeEqual } from 'node:crypto';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ORIGIN_VERIFY_HEADER } from '../../shared/http/edge-headers.js';

/** How long the secret's values are trusted before they are read again. */
const REFRESH_MS = 5 * 60_000;

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks the origin secret CloudFront adds to every request for a function
 * URL. Both the current and the previous version of the Secrets Manager
 * secret are accepted, so rotating it (a new version, then a deploy of the
 * edge stack) drops no request; values are read again every few minutes.
 */
export function originSecretVerifier(
  secretArn: string,
  client = new SecretsManagerClient({ region: secretArn.split(':')[3] }),
  now: () => number = Date.now,
): (request: Request) => Promise<boolean> {
  let values: string[] = [];
  let readAt = -Infinity;
  const read = async (stage: 'AWSCURRENT' | 'AWSPREVIOUS') => {
    try {
      const result = await client.send(
        new GetSecretValueCommand({ SecretId: secretArn, VersionStage: stage }),
      );
      return result.SecretString;
    } catch (error) {
      // A secret never rotated has no previous version.
      if (stage === 'AWSPREVIOUS' && error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  };
  return async (request) => {
    const sent = request.headers.get(ORIGIN_VERIFY_HEADER);
    if (!sent) return false;
    if (now() - readAt > REFRESH_MS || !values.some((v) => same(v, sent))) {
      // A value we do not know yet may be a rotation we have not seen: read again, at most once a second.
      if (now() - readAt > 1000) {
        const [current, previous] = await Promise.all([read('AWSCURRENT'), read('AWSPREVIOUS')]);
        values = [current, previous].filter((v): v is string => Boolean(v));
        readAt = now();
      }
    }
    return values.some((v) => same(v, sent));
  };
}
