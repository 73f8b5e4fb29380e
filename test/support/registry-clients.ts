/** The real registry clients the end-to-end tests drive: skopeo and podman. */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function toolAvailable(tool: 'skopeo' | 'podman'): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const skopeoAvailable = () => toolAvailable('skopeo');

/** `podman login` to a plain-HTTP test registry; rejects with podman's stderr. */
export async function podmanLogin(
  host: string,
  username: string,
  password: string,
  authfile: string,
): Promise<void> {
  const args = ['login', '--tls-verify=false', '--authfile', authfile, '-u', username];
  try {
    await run('podman', [...args, '-p', password, host]);
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`podman login failed: ${stderr ?? String(error)}`);
  }
}

/** Runs skopeo with TLS off for our plain-HTTP test registries; rejects with its stderr. */
export function skopeo(...args: string[]): Promise<string> {
  return skopeoWith({ tlsVerify: false }, ...args);
}

/** Runs skopeo, verifying TLS or not on every registry it talks to; rejects with its stderr. */
export async function skopeoWith(
  options: { tlsVerify: boolean },
  ...args: string[]
): Promise<string> {
  const verify = String(options.tlsVerify);
  const tls =
    args[0] === 'copy'
      ? [`--src-tls-verify=${verify}`, `--dest-tls-verify=${verify}`]
      : [`--tls-verify=${verify}`];
  try {
    const { stdout } = await run('skopeo', [args[0]!, ...tls, ...args.slice(1)], {
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`skopeo ${args.join(' ')} failed: ${stderr ?? String(error)}`);
  }
}

/**
 * Runs podman with its own vfs storage under `root` (no daemon, no overlay
 * mounts needed) and TLS off; rejects with podman's stderr.
 */
export async function podman(root: string, ...args: string[]): Promise<string> {
  const storage = [
    '--storage-driver',
    'vfs',
    '--root',
    `${root}/storage`,
    '--runroot',
    `${root}/run`,
  ];
  try {
    // Only the commands that talk to a registry take --tls-verify.
    const tls = ['pull', 'push', 'login'].includes(args[0]!) ? ['--tls-verify=false'] : [];
    const { stdout } = await run('podman', [...storage, args[0]!, ...tls, ...args.slice(1)], {
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`podman ${args.join(' ')} failed: ${stderr ?? String(error)}`);
  }
}
