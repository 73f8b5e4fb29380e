import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredObject } from '../../ports/blob-store.js';

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException)?.code === 'ENOENT';

/** Keys compared a path segment at a time: the order a sorted directory walk yields them in. */
export function compareKeys(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  }
  return x.length - y.length;
}

/**
 * The files under `root/prefix`, in `compareKeys` order after `after`, at
 * most `limit`: a sorted walk that skips whole directories already passed,
 * so paging through a large tree does not re-read what came before.
 */
export async function listFiles(
  root: string,
  prefix: string,
  after: string | null,
  limit: number,
): Promise<{ objects: StoredObject[]; next: string | null }> {
  const objects: StoredObject[] = [];
  let more = false;
  async function walk(key: string): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(join(root, key))).sort();
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const name of names) {
      const child = `${key}/${name}`;
      // Passed already, and nothing still to come inside it.
      if (after !== null && compareKeys(child, after) <= 0 && !after.startsWith(`${child}/`)) {
        continue;
      }
      let info;
      try {
        info = await stat(join(root, child));
      } catch (error) {
        if (isMissing(error)) continue;
        throw error;
      }
      if (info.isDirectory()) await walk(child);
      else if (objects.length < limit) {
        objects.push({ key: child, size: info.size, modifiedMs: Math.floor(info.mtimeMs) });
      } else more = true;
      if (more) return;
    }
  }
  await walk(prefix);
  return { objects, next: more ? objects[objects.length - 1]!.key : null };
}
