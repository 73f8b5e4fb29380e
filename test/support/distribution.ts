import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { startDistribution as startBenchDistribution } from '../../bench/distribution.js';

/** Whether Debian's `docker-registry` (CNCF distribution) is installed. */
export function distributionAvailable(): boolean {
  try {
    execFileSync('docker-registry', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface DistributionRegistry {
  /** `127.0.0.1:port`, as registry clients and mirror references write it. */
  host: string;
  stop(): Promise<void>;
}

/** CNCF distribution on plain HTTP with deletes on, storing under `dir` (the benchmark's peer, reused). */
export async function startDistribution(dir: string): Promise<DistributionRegistry> {
  await mkdir(dir, { recursive: true });
  const registry = await startBenchDistribution(dir);
  return { host: new URL(registry.url).host, stop: registry.stop };
}
