import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../functions/local/data-dir-lock.js';

describe('lockDataDir', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-lock-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('records the holder and releases the directory', async () => {
    const release = await lockDataDir(dir);
    expect(await readFile(join(dir, 'berth.lock'), 'utf8')).toBe(String(process.pid));
    await release();
    await (
      await lockDataDir(dir)
    )();
  });

  it('refuses a directory a running process holds', async () => {
    await writeFile(join(dir, 'berth.lock'), String(process.ppid));
    await expect(lockDataDir(dir)).rejects.toThrow(`pid ${process.ppid}`);
  });

  it('takes over the lock of a process that no longer runs (killed with SIGKILL, say)', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    await writeFile(join(dir, 'berth.lock'), gone.stdout.toString());
    const release = await lockDataDir(dir);
    expect(await readFile(join(dir, 'berth.lock'), 'utf8')).toBe(String(process.pid));
    await release();
  });
});
