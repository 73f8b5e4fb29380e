import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { BundleName } from '../bundle.js';
import type { MetadataDatabase, RegistryStorage, StoredSecret } from './bindings.js';

export interface BerthFunctionProps {
  bundle: BundleName;
  /** Where `npm run build` (infra/bundle.ts) put the bundles. */
  bundleDir: string;
  memorySize?: number;
  timeout?: Duration;
}

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
      logGroup: new logs.LogGroup(scope, `${id}Logs`, {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
  }

  bindDatabase(database: MetadataDatabase): this {
    for (const [key, value] of Object.entries(database.environment()))
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
  bindJobQueue(queue: sqs.IQueue): this {
    this.addEnvironment('BERTH_JOB_QUEUE_URL', queue.queueUrl);
    queue.grantSendMessages(this);
    return this;
  }

  bindStorage(storage: RegistryStorage): this {
    for (const [key, value] of Object.entries(storage.environment()))
      this.addEnvironment(key, value);
    storage.grant(this);
    return this;
  }
}
