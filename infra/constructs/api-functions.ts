import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { VIEWER_ADDRESS_HEADER, VIEWER_HOST_HEADER } from '../../shared/http/edge-headers.js';
import type { DeployConfig } from '../deploy-config.js';
import { BerthFunction } from './berth-function.js';
import type {
  JobQueueBinding,
  NotificationOutlets,
  MetadataDatabase,
  RegistryStorage,
  StoredSecret,
} from './bindings.js';

/**
 * An API function's timeout. CloudFront waits longer for its origin (see
 * the edge stack), so a request that hits a resuming database still gets
 * the function's 503 rather than CloudFront's 504.
 */
export const API_FUNCTION_TIMEOUT = Duration.seconds(40);

export interface ApiFunctionsProps {
  config: DeployConfig;
  bundleDir: string;
  database: MetadataDatabase;
  storage: RegistryStorage;
  registrySecret: StoredSecret;
  originSecret: StoredSecret;
  jobs: JobQueueBinding;
  publicHost: Record<string, string>;
  /** SES for the address confirmations the REST function mails. */
  notifications: NotificationOutlets;
}

/**
 * The registry (`/v2`) and REST (`/api/v1`, `/oauth`) functions, in the first
 * region only, next to the database. CloudFront reaches them through their
 * function URLs (buffered: a 4 MiB manifest fits in 6 MB), which answer only
 * requests carrying the origin secret. The REST function is its own, so the
 * registry's cold starts stay small.
 */
export class ApiFunctions extends Construct {
  readonly registryUrl: lambda.FunctionUrl;
  readonly restUrl: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: ApiFunctionsProps) {
    super(scope, id);
    const make = (name: string, bundle: 'registry-api' | 'rest-api', concurrency?: number) =>
      new BerthFunction(this, name, {
        bundle,
        bundleDir: props.bundleDir,
        timeout: API_FUNCTION_TIMEOUT,
        ...(concurrency !== undefined ? { reservedConcurrentExecutions: concurrency } : {}),
      })
        .bindDatabase(props.database)
        .bindStorage(props.storage)
        .bindSecret(props.registrySecret)
        .bindSecret(props.originSecret)
        .bindEnvironment({
          BERTH_VIEWER_HOST_HEADER: VIEWER_HOST_HEADER,
          BERTH_CLIENT_ADDRESS_HEADER: VIEWER_ADDRESS_HEADER,
          PREFERRED_URL_SCHEME: 'https',
          ...props.publicHost,
        });
    const registry = make('RegistryApi', 'registry-api', props.config.throttle.registryConcurrency);
    const rest = make('RestApi', 'rest-api', props.config.throttle.restConcurrency);
    // Mirror syncs asked for now, registry sizes and new prune policies wake their workers;
    // a test notification wakes the notification worker through the queue.
    rest.bindWakeups(props.jobs).bindJobQueue(props.jobs);
    props.notifications.bindMail(rest);
    // A push that queued notifications, or an event to publish, wakes their worker on the job queue.
    registry.bindJobQueue(props.jobs);
    props.notifications.bindBusName(registry);
    this.registryUrl = registry.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.BUFFERED,
    });
    this.restUrl = rest.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.BUFFERED,
    });
  }
}
