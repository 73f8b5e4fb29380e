import { describe, expect, it } from 'vitest';
import { CredentialBox, mirrorCredentialContext } from '../../shared/access/credential-box.js';
import { AddressGuard } from '../../shared/adapters/upstream/address-guard.js';
import { parseChallenge } from '../../shared/adapters/upstream/www-authenticate.js';
import { parseExternalReference } from '../../shared/registry/external-reference.js';
import { globProblem, tagMatcher } from '../../shared/registry/tag-globs.js';

describe('tag globs', () => {
  it('match whole tags with *, ? and character classes', () => {
    const matches = tagMatcher(['v1.*', 'latest', 'rc?', 'build-[0-9]', 'x[!a]']);
    const tags = [
      'v1.0',
      'v1.10-alpine',
      'v10',
      'latest',
      'latest-1',
      'rc1',
      'rc10',
      'build-7',
      'build-a',
      'xb',
      'xa',
    ];
    expect(tags.filter(matches)).toEqual([
      'v1.0',
      'v1.10-alpine',
      'latest',
      'rc1',
      'build-7',
      'xb',
    ]);
  });

  it('treat a dot as a dot, not any character', () => {
    expect(tagMatcher(['1.0'])('110')).toBe(false);
  });

  it('refuse empty lists and what no tag could match', () => {
    expect(globProblem([])).toMatch(/at least one/);
    expect(globProblem(['a b'])).toMatch(/not a tag glob/);
    expect(globProblem(['v[1'])).toMatch(/unclosed/);
    expect(globProblem(['v1.*', 'latest'])).toBeNull();
  });
});

describe('external references', () => {
  it('take host[:port]/path as Quay does, with Docker Hub short names', () => {
    expect(parseExternalReference('quay.io/coreos/etcd')).toEqual({
      host: 'quay.io',
      repository: 'coreos/etcd',
    });
    expect(parseExternalReference('127.0.0.1:5000/a/b')).toEqual({
      host: '127.0.0.1:5000',
      repository: 'a/b',
    });
    expect(parseExternalReference('docker.io/alpine')).toEqual({
      host: 'registry-1.docker.io',
      repository: 'library/alpine',
    });
    expect(parseExternalReference('localhost/x')).toEqual({ host: 'localhost', repository: 'x' });
  });

  it('refuse schemes, tags, digests and names that are not hosts', () => {
    for (const bad of [
      'https://quay.io/a',
      'quay.io/a:latest',
      'quay.io/a@sha256:00',
      'library/alpine',
      'quay.io/',
      'quay.io/A',
    ]) {
      expect(typeof parseExternalReference(bad), bad).toBe('string');
    }
  });
});

describe('address guard', () => {
  const resolver = (table: Record<string, string[]>) => (name: string) =>
    table[name] ? Promise.resolve(table[name]) : Promise.reject(new Error('ENOTFOUND'));

  it('refuses names that resolve to internal addresses, any of them', async () => {
    const guard = new AddressGuard(
      [],
      resolver({
        'public.example': ['203.0.113.10'],
        'sneaky.example': ['203.0.113.10', '10.0.0.5'],
        'metadata.example': ['169.254.169.254'],
        'v6.example': ['fd00::1'],
        'mapped.example': ['::ffff:127.0.0.1'],
      }),
    );
    expect(await guard.refusal('public.example')).toBeNull();
    for (const host of [
      'sneaky.example',
      'metadata.example',
      'v6.example',
      'mapped.example',
      '127.0.0.1',
      '::1',
      '0.0.0.0',
    ]) {
      expect(await guard.refusal(host), host).toMatch(/internal address/);
    }
    expect(await guard.refusal('nowhere.example')).toMatch(/cannot resolve/);
  });

  it('judges IPv6 forms that carry an IPv4 address by that address', async () => {
    const guard = new AddressGuard([]);
    for (const internal of [
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::127.0.0.1',
      '[::127.0.0.1]',
      '::7f00:1',
      '::a9fe:a9fe',
      '64:ff9b::127.0.0.1',
      '64:ff9b::a00:1',
      '64:ff9b:1::1',
      '2002:7f00:1::',
      '2002:a9fe:a9fe::1',
      '2001:0:4136:e378:8000:63bf:80ff:fffe',
      'fec0::1',
    ]) {
      expect(guard.forbidden(internal), internal).toBe(true);
      expect(await guard.refusal(internal), internal).toMatch(/internal address/);
    }
    for (const external of ['64:ff9b::cb00:710a', '2002:cb00:710a::1', '2606:4700::1111']) {
      expect(guard.forbidden(external), external).toBe(false);
    }
  });

  it('lets the allow-list name hosts, addresses and ranges', async () => {
    const guard = new AddressGuard(
      ['registry.internal', '10.1.0.0/16', '127.0.0.1'],
      resolver({
        'registry.internal': ['10.9.9.9'],
        'other.internal': ['10.1.2.3'],
        'outside.internal': ['10.2.0.1'],
      }),
    );
    expect(await guard.refusal('registry.internal')).toBeNull();
    expect(await guard.refusal('other.internal')).toBeNull();
    expect(await guard.refusal('127.0.0.1')).toBeNull();
    expect(await guard.refusal('outside.internal')).toMatch(/internal address/);
  });

  it('refuses at connection time too, when a name resolves differently later', async () => {
    const guard = new AddressGuard([], resolver({ 'rebind.example': ['127.0.0.1'] }));
    const error = await new Promise<Error | null>((resolve) =>
      guard.lookup('rebind.example', { all: true }, (e) => resolve(e)),
    );
    expect(error?.message).toMatch(/internal address/);
  });
});

describe('WWW-Authenticate', () => {
  it('parses Bearer and Basic challenges', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example/token',
        service: 'registry.example',
        scope: 'repository:a/b:pull',
      },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      params: { realm: 'Registry Realm' },
    });
    expect(parseChallenge(null)).toBeNull();
  });
});

describe('credential box', () => {
  const box = new CredentialBox(new Uint8Array(32).fill(1));

  it('opens what it sealed, only in the same place and under the same key', () => {
    const sealed = box.seal('s3cret', mirrorCredentialContext(1, 'password'));
    expect(sealed).not.toContain('s3cret');
    expect(box.open(sealed, mirrorCredentialContext(1, 'password'))).toBe('s3cret');
    expect(() => box.open(sealed, mirrorCredentialContext(2, 'password'))).toThrow();
    expect(() => box.open(sealed, mirrorCredentialContext(1, 'username'))).toThrow();
    expect(() =>
      new CredentialBox(new Uint8Array(32).fill(2)).open(
        sealed,
        mirrorCredentialContext(1, 'password'),
      ),
    ).toThrow();
    const [version, iv, body, tag] = sealed.split('.') as [string, string, string, string];
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    const tampered = [version, iv, flipped.toString('base64url'), tag].join('.');
    expect(() => box.open(tampered, mirrorCredentialContext(1, 'password'))).toThrow();
    // The tag's last character carries spare bits a lenient decoder would ignore.
    const lastOfTag = tag.at(-1)!;
    const respelled = tag.slice(0, -1) + (lastOfTag === 'A' ? 'B' : 'A');
    expect(() =>
      box.open([version, iv, body, respelled].join('.'), mirrorCredentialContext(1, 'password')),
    ).toThrow();
  });

  it('seals the same value differently each time', () => {
    expect(box.seal('x', 'c')).not.toBe(box.seal('x', 'c'));
  });
});
