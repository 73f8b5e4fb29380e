import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_TYPES_PATH, consoleApiTypes } from '../../functions/console/api-types.js';

describe('the web console’s API types', () => {
  it('are generated from the routes as they are now, so the console cannot drift from the API', async () => {
    // A route changed without `npm run console:api-types` fails here; the
    // console's typecheck then says which screens the change breaks.
    expect(readFileSync(API_TYPES_PATH, 'utf8')).toBe(await consoleApiTypes());
  });
});
