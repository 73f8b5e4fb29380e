import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Another server holds the data directory: a plain fact for the person starting this one. */
export class DataDirInUseError extends Error {
  constructor(dir: string, holder: number) {
    super(`data directory ${dir} is in use by another Berth server (pid ${holder})`);
    this.name = 'DataDirInUseError';
  }
}

/**
 * Claims the data directory for this process. Embedded Postgres has no lock
 * of its own, and two servers writing one database directory corrupt it. A
 * lock left by a process that no longer runs is taken over. Returns the
 * release function.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'berth.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (holder && holder !== process.pid && isRunning(holder)) {
        throw new DataDirInUseError(dir, holder);
      }
      await rm(path, { force: true });
    }
  }
  throw new Error(`could not lock data directory ${dir}`);
}
