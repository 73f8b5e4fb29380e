import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Seals secrets the registry must keep in the database but use in clear
 * (a mirror's upstream credentials) with AES-256-GCM under a key that is
 * not in the database: derived from the local key file, or on AWS from
 * the KMS-encrypted Secrets Manager secret. Each value is bound to where it
 * is kept (`context`), so a sealed value copied to another row or column
 * does not open.
 */
export class CredentialBox {
  constructor(private readonly key: Uint8Array) {
    if (key.byteLength !== 32) throw new Error('the credential key must be 32 bytes');
  }

  seal(plain: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `v1.${iv.toString('base64url')}.${body.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
  }

  /** The clear value; throws if it was sealed under another key or context, or altered. */
  open(sealed: string, context: string): string {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== 'v1' || !iv || body === undefined || !tag) {
      throw new Error('not a sealed value');
    }
    const ivBytes = canonicalBase64url(iv);
    const tagBytes = canonicalBase64url(tag);
    if (ivBytes.byteLength !== 12 || tagBytes.byteLength !== 16)
      throw new Error('not a sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, ivBytes);
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(canonicalBase64url(body)), decipher.final()]).toString(
      'utf8',
    );
  }
}

/**
 * Node's decoder ignores stray characters and the spare bits of the last
 * one, so two spellings would open to the same value; only the one seal()
 * writes is accepted.
 */
function canonicalBase64url(text: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw new Error('not a sealed value');
  return bytes;
}

/** Where a mirror's credential is kept: the AAD that binds a sealed value to its row and column. */
export const mirrorCredentialContext = (repositoryId: number, field: 'username' | 'password') =>
  `repo_mirror:${repositoryId}:${field}`;
