import { readFile, writeFile } from 'node:fs/promises';

/** Linux counts process CPU time in clock ticks of 1/100 s (USER_HZ on every mainstream build). */
const TICKS_PER_SECOND = 100;

/** User plus system CPU seconds the process has used, all threads included. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces; the fields that follow start after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

async function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]);
}

export const rssMiB = async (pid: number) => (await statusKiB(pid, 'VmRSS')) / 1024;

/** The kernel's own peak RSS since the last `resetPeak`: exact, unlike sampling. */
export const peakRssMiB = async (pid: number) => (await statusKiB(pid, 'VmHWM')) / 1024;
export const resetPeak = (pid: number) => writeFile(`/proc/${pid}/clear_refs`, '5');
