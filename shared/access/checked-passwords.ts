import { createHmac, randomBytes } from 'node:crypto';
import { BoundedMemo } from './bounded-memo.js';

/** How long a checked password is taken on trust before scrypt runs again. */
const REMEMBER_MS = 5 * 60 * 1000;
const CAPACITY = 10_000;

/**
 * Passwords that scrypt found right recently, so that a client sending Basic
 * credentials on every request (skopeo and podman do, to `/v2` and to the
 * token endpoint) pays the 50-odd milliseconds of scrypt once every few
 * minutes instead of on each request. An entry is an HMAC, under a key
 * that lives only in this process, of the stored hash and the password:
 * a changed password has a new stored hash and never matches an old entry.
 * Only right answers are remembered; every wrong guess still pays scrypt and
 * counts against the login throttle.
 */
export class CheckedPasswords {
  private readonly key = randomBytes(32);
  private readonly memo = new BoundedMemo<number>(CAPACITY);

  private entry(storedHash: string, password: string): string {
    return createHmac('sha256', this.key)
      .update(storedHash)
      .update('\0')
      .update(password)
      .digest('base64');
  }

  isKnownRight(storedHash: string, password: string, nowMs: number): boolean {
    const key = this.entry(storedHash, password);
    const until = this.memo.get(key);
    if (until === undefined) return false;
    if (nowMs < until) return true;
    this.memo.delete(key);
    return false;
  }

  rememberRight(storedHash: string, password: string, nowMs: number): void {
    this.memo.set(this.entry(storedHash, password), nowMs + REMEMBER_MS);
  }
}
