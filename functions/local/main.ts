import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfigYaml } from '../../shared/config/config-file.js';
import { ConfigError, loadConfig, type CacheConfig } from '../../shared/config/config.js';
import { DataDirInUseError } from './data-dir-lock.js';
import { buildLocalRegistry } from './wiring.js';
import { serveRegistry } from '../common/node-server.js';

/** `npm start`: the whole registry in one Node process, with embedded storage and database. */
async function main() {
  const env = process.env;
  const configPath = env.BERTH_CONFIG ?? join(env.BERTH_DATA_DIR ?? './data', 'config.yaml');
  const fromFile = existsSync(configPath) ? parseConfigYaml(readFileSync(configPath, 'utf8')) : {};
  const config = loadConfig(env, fromFile);
  const local = await buildLocalRegistry(config);

  const server = serveRegistry(local.app, { hostname: config.host, port: config.port }, (port) => {
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    const database =
      local.databaseKind === 'embedded'
        ? `embedded Postgres in ${config.dataDir}`
        : 'Postgres at DATABASE_URL';
    const url = config.access.publicUrl ?? `http://${host}:${port}`;
    local.listening(url);
    // One write, so whoever watches for the URL also has the lines above it.
    const lines: string[] = [];
    if (!config.access.enabled) {
      lines.push('Berth: access control is OFF (BERTH_ACCESS_CONTROL=false): anyone may push');
    }
    const boot = local.bootstrap;
    if (boot?.generatedPassword) {
      lines.push(
        `Berth: created superuser ${boot.user} with password ${boot.generatedPassword}`,
        `  (shown once; log in with: skopeo login --tls-verify=false -u ${boot.user} ${new URL(url).host})`,
      );
    } else if (boot) {
      lines.push(
        `Berth: created superuser ${boot.user} with the password from BERTH_SUPERUSER_PASSWORD`,
      );
    } else if (local.awaitingInitialization) {
      lines.push(
        'Berth: no users yet; create the first one with POST /api/v1/user/initialize (FEATURE_USER_INITIALIZE)',
      );
    }
    lines.push(
      `Berth registry listening on ${url} (data: ${config.dataDir}, metadata: ${database}, cache: ${cacheKind(config.cache)})`,
    );
    console.log(lines.join('\n'));
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`Berth: ${signal} received, shutting down`);
    server.close(() => {
      local.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
    // Long pulls must not hold the process forever.
    setTimeout(() => void local.close().finally(() => process.exit(0)), 10_000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  // What the person starting the server must fix is said in one line, without a stack trace.
  const plain = error instanceof ConfigError || error instanceof DataDirInUseError;
  console.error(plain ? `Berth: ${error.message}` : error);
  process.exit(1);
});

function cacheKind(cache: CacheConfig): string {
  if (cache.engine === 'redis') return `Redis at ${cache.redis?.host}:${cache.redis?.port}`;
  return cache.engine === 'noop' ? 'none' : 'in memory';
}
