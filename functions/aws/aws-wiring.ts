import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ReplicationNudge } from '../../shared/registry/replication-nudge.js';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Kysely } from 'kysely';
import { openDataApiDatabase } from '../../shared/adapters/sql/data-api-database.js';
import { DEFAULT_RESUME } from '../../shared/adapters/sql/data-api-dialect.js';
import type { Database } from '../../shared/adapters/sql/schema.js';
import type { BerthConfig } from '../../shared/config/config.js';
import { createHttpApp, type EdgeOptions, type Surface } from '../../shared/http/app.js';
import type { Sha256Engine } from '../../shared/ports/sha256.js';
import { originSecretVerifier } from './origin-secret.js';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Wakeups } from '../../shared/ports/wakeups.js';
import type { HttpApp } from '../../shared/http/http-env.js';
import type { BodyReader } from '../../shared/http/request-body.js';
import type { BlobStore } from '../../shared/ports/blob-store.js';
import type { Registry } from '../../shared/registry/registry.js';
import type { AccessServices } from '../../shared/access/access-services.js';
import { accessFromConfig } from '../common/access-from-config.js';
import { nodePeerAddress } from '../common/node-peer.js';
import { registryFromConfig } from '../common/registry-from-config.js';
import { s3StoreFor } from '../common/s3-blob-stores.js';
import { processCache } from '../common/process-cache.js';
import type { Cache } from '../../shared/ports/cache.js';

/** Clients a test may hand in instead of the real AWS ones. */
export interface AwsClients {
  rdsData?: RDSDataClient;
  /** The origin secret's reader, for the functions behind function URLs. */
  originSecrets?: SecretsManagerClient;
  blobStores?: Map<string, BlobStore>;
  secretsManager?: SecretsManagerClient;
  sqs?: SQSClient;
  /** The SQS client for another region's queue (tests point it at an emulator). */
  sqsFor?: (queueUrl: string) => SQSClient;
  /** The data plane's cache, when it may reach one; else each process's own memory. */
  cache?: Cache;
  /** EventBridge Scheduler, for the wakeups of the first region. */
  scheduler?: Pick<SchedulerClient, 'send'>;
  /** SES, for e-mail notifications without an SMTP server. */
  ses?: Pick<SESv2Client, 'send'>;
  /** EventBridge, where registry events are published. */
  eventBridge?: Pick<EventBridgeClient, 'send'>;
}

/** What the entry point adds: hashing for a long-lived process, wakeups for the API that asks for them. */
export interface CoreOptions {
  sha256?: Sha256Engine;
  /**
   * Only the functions that schedule work pass these (see `aws-wakeups.ts`),
   * so the registry's bundle carries no Scheduler client; the rest never wake anything.
   */
  wakeups?: Wakeups;
  /**
   * The data plane, where pushes land, wakes other regions' replication
   * workers (see `replication-wakeups.ts`); the registry function's bundle
   * carries no SQS client.
   */
  replicationNudge?: ReplicationNudge;
}

/** The region an ARN names (`arn:aws:<service>:<region>:...`). */
export function regionOf(arn: string): string {
  const region = arn.split(':')[3];
  if (!region) throw new Error(`${arn} names no region`);
  return region;
}

/**
 * The Data API is regional: a function in another region than the cluster
 * must call the cluster's region, not its own (the SDK's default).
 */
export function dataApiClientFor(resourceArn: string): RDSDataClient {
  return new RDSDataClient({ region: regionOf(resourceArn) });
}

/** Reads a secret string from Secrets Manager, in the region its ARN names. */
export async function readSecret(arn: string, clients: AwsClients = {}): Promise<string> {
  const client = clients.secretsManager ?? new SecretsManagerClient({ region: regionOf(arn) });
  const result = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  if (!result.SecretString) throw new Error(`secret ${arn} has no string value`);
  return result.SecretString;
}

/** The registry's secret: from the environment, or from Secrets Manager in the primary region. */
export async function loadAwsSecret(
  config: BerthConfig,
  clients: AwsClients = {},
): Promise<string> {
  if (config.access.secretKey) return config.access.secretKey;
  const arn = config.access.secretKeyArn;
  if (!arn) throw new Error('BERTH_SECRET_KEY_ARN (or BERTH_SECRET_KEY) is required on AWS');
  return readSecret(arn, clients);
}

/** The database the AWS functions use: Aurora through the Data API, never migrated at cold start. */
export function openAwsDatabase(config: BerthConfig, clients: AwsClients = {}): Kysely<Database> {
  if (!config.dataApi)
    throw new Error('BERTH_DB_CLUSTER_ARN and BERTH_DB_SECRET_ARN are required on AWS');
  const { resumeWaitMs, ...coordinates } = config.dataApi;
  return openDataApiDatabase({
    client: clients.rdsData ?? dataApiClientFor(coordinates.resourceArn),
    ...coordinates,
    resume: { retryDelayMs: DEFAULT_RESUME.retryDelayMs, maxWaitMs: resumeWaitMs },
  });
}

/** The registry and access services on the AWS adapters, for HTTP and for deploy-time tasks. */
export async function buildAwsCore(
  config: BerthConfig,
  db: Kysely<Database>,
  clients: AwsClients,
  runtime: 'server' | 'lambda',
  options: CoreOptions = {},
): Promise<AwsCore> {
  const nudge = options.replicationNudge;
  const registry = registryFromConfig(config, db, {
    cache: clients.cache ?? processCache(config.cache, 'on Lambda'),
    storeFor: s3StoreFor,
    stores: clients.blobStores,
    ...(options.sha256 ? { sha256: options.sha256 } : {}),
    ...(nudge ? { replicationNudge: nudge } : {}),
    ...(options.wakeups ? { wakeups: options.wakeups } : {}),
  });
  const secret = await loadAwsSecret(config, clients);
  return {
    registry,
    access: accessFromConfig(config, db, registry, secret, runtime),
    db,
    secret,
  };
}

/** What an AWS entry point is built on: the registry and access, their database and secret. */
export interface AwsCore {
  registry: Registry;
  access: AccessServices;
  db: Kysely<Database>;
  secret: string;
}

/**
 * Behind the front door: token realms name the host the viewer used, and a
 * function URL, which anyone could call, answers only requests carrying the
 * origin secret.
 */
function edgeOptions(config: BerthConfig, clients: AwsClients): EdgeOptions {
  const { viewerHostHeader, originSecretArn } = config.edge;
  return {
    viewerHostHeader,
    ...(originSecretArn
      ? { verifyOrigin: originSecretVerifier(originSecretArn, clients.originSecrets) }
      : {}),
  };
}

/** Wires the registry for the AWS runtimes: Data API metadata, S3 storage per location. */
export async function buildAwsApp(
  config: BerthConfig,
  clients: AwsClients = {},
  http: {
    readBody?: BodyReader;
    /** The surfaces served, or how to make them from the core (the REST API needs its stores). */
    surfaces: Surface[] | ((core: AwsCore) => Surface[]);
  } & CoreOptions,
  runtime: 'server' | 'lambda' = 'lambda',
): Promise<{ app: HttpApp; access: AccessServices }> {
  const { sha256, wakeups, replicationNudge, surfaces, readBody } = http;
  const core = await buildAwsCore(config, openAwsDatabase(config, clients), clients, runtime, {
    sha256,
    wakeups,
    ...(replicationNudge ? { replicationNudge } : {}),
  });
  const { registry, access } = core;
  return {
    app: createHttpApp({
      registry,
      access,
      publicUrl: config.access.publicUrl,
      edge: edgeOptions(config, clients),
      clientAddress: {
        header: config.edge.clientAddressHeader,
        trustedProxies: config.edge.trustedProxies,
        ...(runtime === 'server' ? { peer: nodePeerAddress } : {}),
      },
      ...(readBody ? { readBody } : {}),
      surfaces: typeof surfaces === 'function' ? surfaces(core) : surfaces,
    }),
    access,
  };
}
