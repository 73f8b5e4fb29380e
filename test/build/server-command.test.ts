import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVER_BUNDLE } from '../../functions/local/bundle-server.js';
import { serverStartScript } from '../../functions/local/server-command.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the local server command', () => {
  it('is the one the tests and the bench use, in both of package.json start scripts', () => {
    const { scripts } = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as {
      scripts: Record<string, string>;
    };
    const expected = serverStartScript(relative(root, SERVER_BUNDLE));
    expect(scripts.start).toBe(expected);
    expect(scripts['start:prod']).toBe(expected);
  });
});
