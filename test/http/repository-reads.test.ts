import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RootOperationNode } from 'kysely';
import { createUser, PASSWORD } from '../support/accounts.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { V2Client } from '../support/v2-client.js';

/** A select from `repository` by its name: what a request does to find the repository it names. */
function readsRepositoryByName(node: RootOperationNode): boolean {
  // Written as SQL text: the read of a token's account with the repository.
  if (node.kind === 'RawNode') return JSON.stringify(node).includes('repository.name =');
  if (node.kind !== 'SelectQueryNode') return false;
  const from = JSON.stringify(node.from);
  const where = JSON.stringify(node.where ?? null);
  return from.includes('"name":"repository"') && where.includes('"name":"name"');
}

/** A select from `account` by id: what loading a token's account alone looks like. */
function readsAccountById(node: RootOperationNode): boolean {
  if (node.kind !== 'SelectQueryNode') return false;
  const from = JSON.stringify(node.from);
  const where = JSON.stringify(node.where ?? null);
  return from.includes('"name":"account"') && where.includes('"name":"id"');
}

describe('the repository a write request names', () => {
  let t: TestRegistry;
  let reads = 0;
  let accountReads = 0;

  beforeAll(async () => {
    t = await startTestRegistry({
      access: { enabled: true },
      onQuery: (node) => {
        if (readsRepositoryByName(node)) reads += 1;
        if (readsAccountById(node)) accountReads += 1;
      },
    });
    await createUser(t, 'alice');
  });
  afterAll(() => t.close());

  it("is read once per request, by the permission check, together with the token's account, and the registry acts on that row", async () => {
    const client = new V2Client(t.app, `alice:${PASSWORD}`);
    // The first push creates the repository; pushes after it find it.
    await client.pushImage('alice/app', 'v1');
    reads = 0;
    accountReads = 0;
    await client.pushImage('alice/app', 'v2', { layer: 'another layer' });
    // Two monolithic blob POSTs and one manifest PUT.
    expect(reads).toBe(3);
    expect(accountReads).toBe(0);

    // A chunked upload: POST, PATCH, PUT.
    reads = 0;
    accountReads = 0;
    const started = await client.request('/v2/alice/app/blobs/uploads/', { method: 'POST' });
    const location = started.headers.get('location')!;
    const patched = await client.request(location, {
      method: 'PATCH',
      body: 'chunk',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': '5' },
    });
    expect(patched.status).toBe(202);
    const digest = `sha256:${createHash('sha256').update('chunk').digest('hex')}`;
    const done = await client.request(`${location}?digest=${digest}`, { method: 'PUT' });
    expect(done.status).toBe(201);
    expect(reads).toBe(3);
    expect(accountReads).toBe(0);
    const pulled = await client.request(`/v2/alice/app/blobs/${digest}`);
    expect(await pulled.text()).toBe('chunk');
  });
});
