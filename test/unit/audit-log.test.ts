import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../shared/access/audit.js';
import type { IdentityStore, RepositoryAuditEntry } from '../../shared/ports/identity-store.js';
import { FixedClock } from '../support/harness.js';

/** An audit table that can be made to refuse writes, as a database in an outage does. */
function auditTable() {
  const rows: RepositoryAuditEntry[] = [];
  const table = {
    rows,
    down: false,
    store: {
      appendAuditForRepositories: async (entries: RepositoryAuditEntry[]) => {
        if (table.down) throw new Error('connection refused');
        rows.push(...entries);
      },
    } as unknown as IdentityStore,
  };
  return table;
}

const pull = (log: AuditLog, n: number) =>
  log.recordByName('pull_repo', null, 'ann/app', { n }, null);

describe('the audit log when the database refuses writes', () => {
  it('does not fail the event, keeps its entry, and writes it on the next try', async () => {
    const table = auditTable();
    const errors: unknown[] = [];
    const log = new AuditLog(table.store, new FixedClock(), {
      batchDelayMs: 0,
      onFlushError: (e) => errors.push(e),
    });
    table.down = true;
    await pull(log, 1);
    await pull(log, 2);
    expect(log.unwritten).toBe(2);
    expect(errors).toHaveLength(2);
    table.down = false;
    await pull(log, 3);
    expect(log.unwritten).toBe(0);
    expect(table.rows.map((r) => r.metadata.n)).toEqual([1, 2, 3]);
  });

  it('keeps at most maxPending entries, dropping the oldest and saying so', async () => {
    const table = auditTable();
    const errors: Error[] = [];
    const log = new AuditLog(table.store, new FixedClock(), {
      batchDelayMs: 0,
      maxPending: 3,
      onFlushError: (e) => errors.push(e as Error),
    });
    table.down = true;
    for (let n = 1; n <= 5; n++) await pull(log, n);
    expect(log.unwritten).toBe(3);
    expect(errors.map((e) => e.message).filter((m) => m.includes('dropped'))).toEqual([
      '1 audit entries dropped: more than 3 could not be written',
      '1 audit entries dropped: more than 3 could not be written',
    ]);
    table.down = false;
    await log.flush();
    expect(table.rows.map((r) => r.metadata.n)).toEqual([3, 4, 5]);
  });

  it('writes a long backlog in batches the database accepts', async () => {
    const table = auditTable();
    const sizes: number[] = [];
    const inner = table.store.appendAuditForRepositories.bind(table.store);
    table.store.appendAuditForRepositories = async (entries) => {
      sizes.push(entries.length);
      return inner(entries);
    };
    const log = new AuditLog(table.store, new FixedClock(), {
      batchDelayMs: 60_000,
      onFlushError: () => {},
    });
    table.down = true;
    for (let n = 1; n <= 450; n++) await pull(log, n);
    await expect(log.flush()).rejects.toThrow();
    table.down = false;
    sizes.length = 0;
    await log.flush();
    expect(table.rows).toHaveLength(450);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(200);
  });
});
