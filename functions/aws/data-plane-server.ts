import { replicationNudgeFor } from './replication-wakeups.js';
import type { Server } from 'node:http';
import type { BerthConfig } from '../../shared/config/config.js';
import { createWasmSha256 } from '../../shared/adapters/hash/wasm-sha256.js';
import { v2Surface } from '../../shared/http/v2/v2-surface.js';
import { healthSurface } from '../../shared/http/health-surface.js';
import { nodeBodyReader } from '../common/node-body-reader.js';
import { cacheFromConfig } from '../common/cache-from-config.js';
import { drain, serveRegistry } from '../common/node-server.js';
import { buildAwsApp, type AwsClients } from './aws-wiring.js';
import { STOP_GRACE_MS } from './data-plane-timing.js';

export interface DataPlane {
  server: Server;
  port: number;
  /** Drains the uploads in flight (up to the stop grace), then flushes the audit log. */
  stop(): Promise<'drained' | 'timed out'>;
}

/**
 * The upload data plane on ECS Fargate: the same app as the Lambda, run by
 * Node's server so a whole layer can stream in one request into S3
 * multipart uploads. CloudFront sends it upload sessions (and, in storage
 * proxy mode, blob reads) through a VPC origin and the internal load
 * balancer. A session's PATCH and PUT may land on different tasks, so the
 * running SHA-256 state travels with the session.
 */
export async function startDataPlane(
  config: BerthConfig,
  clients: AwsClients = {},
): Promise<DataPlane> {
  const replicationNudge = replicationNudgeFor(config, clients);
  const { app, access } = await buildAwsApp(
    config,
    { ...clients, cache: clients.cache ?? (await cacheFromConfig(config.cache)) },
    {
      readBody: nodeBodyReader,
      surfaces: [v2Surface, healthSurface],
      sha256: await createWasmSha256(),
      ...(replicationNudge ? { replicationNudge } : {}),
    },
    'server',
  );
  let server!: Server;
  const port = await new Promise<number>((resolve) => {
    server = serveRegistry(app, { hostname: '0.0.0.0', port: config.port }, resolve);
  });
  return {
    server,
    port,
    stop: async () => {
      const outcome = await drain(server, STOP_GRACE_MS);
      await access.audit.flush().catch((error: unknown) => {
        console.error(`[berth] ${access.audit.unwritten} audit entries not written:`, error);
      });
      return outcome;
    },
  };
}
