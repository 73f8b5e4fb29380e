import {
  CfnOutput,
  CustomResource,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { MIGRATION_NAMES } from '../../shared/adapters/sql/migrate.js';
import { BerthFunction } from '../constructs/berth-function.js';
import { MetadataDatabase, StoredSecret } from '../constructs/bindings.js';
import type { DeployConfig } from '../deploy-config.js';

export interface PrimaryStackProps extends StackProps {
  config: DeployConfig;
  bundleDir: string;
}

const DATABASE_NAME = 'berth';

/**
 * The stateful part, once, in the primary region: the metadata database
 * (Aurora PostgreSQL Serverless v2 with the Data API, so Lambdas need no VPC
 * and no connection pool), the KMS key for secrets, and the deploy-time
 * schema migration.
 *
 * No Redis: a cache in this VPC would be out of reach of the functions,
 * which run outside any VPC so that they need neither NAT gateways nor
 * interface endpoints. Each function instance keeps its model cache in its
 * own memory instead (see `functions/common/process-cache.ts`).
 */
export class PrimaryStack extends Stack {
  readonly database: MetadataDatabase;
  readonly secretsKey: kms.Key;
  /** Signs registry tokens; every region's functions share it. */
  readonly registrySecret: StoredSecret;
  /**
   * What CloudFront sends to the function URLs, which anyone could call
   * otherwise; the functions accept its current and previous version, so it
   * can be rotated (README: rotating the origin secret).
   */
  readonly originSecret: StoredSecret;

  constructor(scope: Construct, id: string, props: PrimaryStackProps) {
    super(scope, id, props);
    const { config } = props;

    // No NAT gateway: nothing in this VPC calls out, and NAT is the largest idle cost.
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });

    this.secretsKey = new kms.Key(this, 'SecretsKey', {
      description: 'Berth: database encryption and secrets kept in the database',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const cluster = new rds.DatabaseCluster(this, 'Metadata', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({
        version: rds.AuroraPostgresEngineVersion.VER_16_6,
      }),
      writer: rds.ClusterInstance.serverlessV2('writer'),
      serverlessV2MinCapacity: config.auroraMinCapacity,
      serverlessV2MaxCapacity: config.auroraMaxCapacity,
      ...(config.auroraMinCapacity === 0
        ? { serverlessV2AutoPauseDuration: Duration.seconds(config.auroraAutoPauseSeconds) }
        : {}),
      enableDataApi: true,
      defaultDatabaseName: DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret('berth', { encryptionKey: this.secretsKey }),
      storageEncrypted: true,
      storageEncryptionKey: this.secretsKey,
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      backup: { retention: Duration.days(7) },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
    });
    this.database = new MetadataDatabase(cluster, DATABASE_NAME, this.secretsKey);

    this.registrySecret = new StoredSecret(
      new secretsmanager.Secret(this, 'RegistrySecret', {
        description: 'Berth: the key registry tokens are signed with',
        encryptionKey: this.secretsKey,
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
      }),
      this.secretsKey,
      'BERTH_SECRET_KEY_ARN',
    );
    this.originSecret = new StoredSecret(
      new secretsmanager.Secret(this, 'OriginSecret', {
        description:
          'Berth: CloudFront sends this to the function URLs, which refuse requests without it',
        encryptionKey: this.secretsKey,
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
      }),
      this.secretsKey,
      'BERTH_ORIGIN_SECRET_ARN',
    );
    new CfnOutput(this, 'OriginSecretArn', { value: this.originSecret.secret.secretArn });
    // The first superuser's password; read it with `aws secretsmanager get-secret-value`.
    const adminPassword = new StoredSecret(
      new secretsmanager.Secret(this, 'AdminPassword', {
        description: 'Berth: password of the first superuser (BERTH_SUPERUSER, default admin)',
        encryptionKey: this.secretsKey,
        generateSecretString: { passwordLength: 32, excludePunctuation: true },
      }),
      this.secretsKey,
      'BERTH_SUPERUSER_PASSWORD_ARN',
    );
    new CfnOutput(this, 'AdminPasswordSecret', { value: adminPassword.secret.secretArn });

    const migrate = new BerthFunction(this, 'Migrate', {
      bundle: 'migrate',
      bundleDir: props.bundleDir,
      timeout: Duration.minutes(5),
    })
      .bindDatabase(this.database)
      .bindSecret(this.registrySecret)
      .bindSecret(adminPassword);
    const provider = new cr.Provider(this, 'MigrationProvider', { onEventHandler: migrate });
    const schema = new CustomResource(this, 'MetadataSchema', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::BerthMigration',
      // A new migration changes this property, which runs the migration on deploy.
      properties: { migrations: MIGRATION_NAMES.join(',') },
    });
    schema.node.addDependency(cluster);
  }
}
