import { loadConfig } from '../../shared/config/config.js';
import { createWasmSha256 } from '../../shared/adapters/hash/wasm-sha256.js';
import { nodeBodyReader } from '../common/node-body-reader.js';
import { v2Surface } from '../../shared/http/v2/v2-surface.js';
import { cacheFromConfig } from '../common/cache-from-config.js';
import { drain, serveRegistry } from '../common/node-server.js';
import { buildAwsApp } from './aws-wiring.js';
import { STOP_GRACE_MS } from './data-plane-timing.js';

/**
 * The upload data plane on ECS Fargate: the same app as the Lambda, run by
 * Node's server so a whole layer can stream in one request into S3
 * multipart uploads. CloudFront sends it upload sessions (and, in storage
 * proxy mode, blob reads). A session's PATCH and PUT may land on different
 * tasks, so the running SHA-256 state travels with the session.
 */
async function main() {
  const config = loadConfig(process.env);
  const { app, access } = await buildAwsApp(
    config,
    { cache: await cacheFromConfig(config.cache) },
    { readBody: nodeBodyReader, surfaces: [v2Surface], sha256: await createWasmSha256() },
    'server',
  );
  const server = serveRegistry(app, { hostname: '0.0.0.0', port: config.port }, (port) =>
    console.log(`Berth data plane listening on port ${port}`),
  );
  process.on('SIGTERM', () => {
    void drain(server, STOP_GRACE_MS).then(async (outcome) => {
      console.log(`Berth data plane stopping: requests ${outcome}`);
      await access.audit.flush();
      process.exit(0);
    });
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
