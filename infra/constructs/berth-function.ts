import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { BundleName } from '../bundle.js';
import type {
  JobQueueBinding,
  MetadataDatabase,
  RegistryStorage,
  StoredSecret,
} from './bindings.js';

export interface BerthFunctionProps {
  bundle: BundleName;
  /** Where `npm run build` (infra/bundle.ts) put the bundles. */
  bundleDir: string;
  memorySize?: number;
  timeout?: Duration;
  /** Caps how many instances run at once (reserved concurrency). */
  reservedConcurrentExecutions?: number;
}

/** Seconds a function keeps back from its timeout after a resuming database gave up: enough to answer 503. */
const ANSWER_MARGIN_SECONDS = 10;

/**
 * Every Berth Lambda: Node 24 on ARM64, code from the esbuild bundle, logs
 * kept a month. `bind…` methods set an environment variable and its IAM
 * grant together, so neither can be forgotten.
 */
export class BerthFunction extends lambda.Function {
  constructor(scope: Construct, id: string, props: BerthFunctionProps) {
    super(scope, id, {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(join(props.bundleDir, props.bundle)),
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(30),
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      logGroup: new logs.LogGroup(scope, `${id}Logs`, {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
  }

  /**
   * The database, with a resume budget that leaves the function time to
   * answer 503 before its own timeout when a paused cluster is slow to wake.
   */
  bindDatabase(database: MetadataDatabase): this {
    const timeout = this.timeout?.toSeconds() ?? 30;
    const wait = Math.min(Math.max(timeout - ANSWER_MARGIN_SECONDS, 1), 120);
    for (const [key, value] of Object.entries(database.environment(wait)))
      this.addEnvironment(key, value);
    database.grantDataApi(this);
    return this;
  }

  bindSecret(secret: StoredSecret): this {
    for (const [key, value] of Object.entries(secret.environment()))
      this.addEnvironment(key, value);
    secret.grantRead(this);
    return this;
  }

  /** Lets the function queue jobs (`BERTH_JOB_QUEUE_URL`). */
  bindJobQueue(jobs: JobQueueBinding): this {
    jobs.grantSend(this);
    return this;
  }

  /** Lets the function arm wakeups that put tasks on the job queue when due. */
  bindWakeups(jobs: JobQueueBinding): this {
    jobs.grantWakeups(this);
    return this;
  }

  bindStorage(storage: RegistryStorage): this {
    for (const [key, value] of Object.entries(storage.environment()))
      this.addEnvironment(key, value);
    storage.grant(this);
    return this;
  }

  bindEnvironment(variables: Record<string, string>): this {
    for (const [key, value] of Object.entries(variables)) this.addEnvironment(key, value);
    return this;
  }
}
