import { describe, expect, it } from 'vitest';
import { digestOf, parseDigest } from '../../shared/oci/digest.js';
import { isRepositoryName, isTag } from '../../shared/oci/grammar.js';

describe('repository names', () => {
  it.each(['alpine', 'org/team/app', 'a0/b-c/d__e/f.g', 'x--y'])('accepts %s', (name) => {
    expect(isRepositoryName(name)).toBe(true);
  });

  it.each([
    '',
    'Upper',
    'a//b',
    '/a',
    'a/',
    'a/../b',
    '..',
    'a_',
    '-a',
    'a b',
    'a%2Fb',
    'a'.repeat(256),
  ])('refuses %j', (name) => {
    expect(isRepositoryName(name)).toBe(false);
  });
});

describe('tags', () => {
  it('accepts up to 128 characters starting with a word character', () => {
    expect(isTag('v1.2.3-rc_1')).toBe(true);
    expect(isTag('_x')).toBe(true);
    expect(isTag('a'.repeat(128))).toBe(true);
  });

  it('refuses a leading dot or dash, more than 128 characters and slashes', () => {
    expect(isTag('.hidden')).toBe(false);
    expect(isTag('-x')).toBe(false);
    expect(isTag('a'.repeat(129))).toBe(false);
    expect(isTag('a/b')).toBe(false);
  });
});

describe('digests', () => {
  it('parses sha256 and sha512 in canonical form', () => {
    const sha256 = digestOf(Buffer.from('x'));
    const sha512 = digestOf(Buffer.from('x'), 'sha512');
    expect(parseDigest(sha256)).toMatchObject({ algorithm: 'sha256', value: sha256 });
    expect(parseDigest(sha512)).toMatchObject({ algorithm: 'sha512', value: sha512 });
  });

  it('refuses unknown algorithms, wrong lengths and upper-case hex', () => {
    const hex = 'a'.repeat(64);
    expect(parseDigest(`md5:${hex}`)).toBeNull();
    expect(parseDigest(`sha256:${hex}0`)).toBeNull();
    expect(parseDigest(`sha256:${hex.toUpperCase()}`)).toBeNull();
    expect(parseDigest(`sha512:${hex}`)).toBeNull();
    expect(parseDigest('sha256')).toBeNull();
  });
});
