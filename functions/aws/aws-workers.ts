import { copyInParts } from '../../shared/adapters/blob/s3-part-copy.js';
import type { BerthConfig } from '../../shared/config/config.js';
import type { WorkerDeps } from '../../shared/workers/worker-deps.js';
import { processCache } from '../common/process-cache.js';
import { registryFromConfig } from '../common/registry-from-config.js';
import { s3StoreFor } from '../common/s3-blob-stores.js';
import { workersFromConfig } from '../common/workers-from-config.js';
import { awsWakeups } from './aws-wakeups.js';
import { awsMailer } from './aws-mail.js';
import { awsEventPublisher } from './aws-events.js';
import { awsJobQueue } from './aws-job-queue.js';
import { publicAddressFromConfig } from '../common/notifications-from-config.js';
import { loadAwsSecret, openAwsDatabase, type AwsClients } from './aws-wiring.js';

/** The scheduled workers wired to the AWS adapters. */
export async function buildAwsWorkers(
  config: BerthConfig,
  clients: AwsClients = {},
): Promise<WorkerDeps> {
  const db = openAwsDatabase(config, clients);
  const queue = awsJobQueue(config, clients);
  const wakeups = awsWakeups(config, clients.scheduler, queue ?? undefined);
  const registry = registryFromConfig(config, db, {
    cache: processCache(config.cache, 'on Lambda'),
    // The workers replicate: large blobs are copied inside S3 in parts.
    storeFor: (location, proxyStorage) => s3StoreFor(location, proxyStorage, copyInParts),
    stores: clients.blobStores,
    // A mirror sync pushes, and its pushes notify.
    wakeups,
  });
  return workersFromConfig(config, db, registry, {
    secret: await loadAwsSecret(config, clients),
    wakeups,
    // Only the housekeeping region queues jobs; elsewhere a send is a configuration error.
    queue: queue ?? {
      send: () => Promise.reject(new Error('BERTH_JOB_QUEUE_URL is not set in this region')),
    },
    notify: {
      mailer: awsMailer(config, clients),
      publisher: awsEventPublisher(config, clients),
      address: () => publicAddressFromConfig(config, null),
    },
  });
}
