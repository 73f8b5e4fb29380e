import { serve } from '@hono/node-server';
import { loadConfig } from '../../shared/config/config.js';
import { nodeBodyReader } from '../common/node-body-reader.js';
import { v2Surface } from '../../shared/http/v2/v2-surface.js';
import { cacheFromConfig } from '../common/cache-from-config.js';
import { buildAwsApp } from './aws-wiring.js';

/**
 * The upload data plane on ECS Fargate: the same app as the Lambda, run by
 * Node's server so a whole layer can stream in one request into S3
 * multipart uploads. The load balancer sends it only `/v2/<name>/blobs/uploads…`.
 */
async function main() {
  const config = loadConfig(process.env);
  const { app, access } = await buildAwsApp(
    config,
    { cache: await cacheFromConfig(config.cache) },
    { readBody: nodeBodyReader, surfaces: [v2Surface] },
    'server',
  );
  const server = serve({ fetch: app.fetch, hostname: '0.0.0.0', port: config.port }, (info) =>
    console.log(`Berth data plane listening on port ${info.port}`),
  );
  // ECS stops tasks with SIGTERM and waits: finish the uploads in flight.
  process.on('SIGTERM', () =>
    server.close(() => {
      access.audit.flush().finally(() => process.exit(0));
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
