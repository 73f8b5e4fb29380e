import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** The metadata database as functions and tasks see it: its Data API coordinates and the grant to use them. */
export class MetadataDatabase {
  constructor(
    private readonly cluster: rds.DatabaseCluster,
    private readonly databaseName: string,
    private readonly secretsKey: kms.IKey,
  ) {}

  environment(): Record<string, string> {
    return {
      BERTH_DB_CLUSTER_ARN: this.cluster.clusterArn,
      BERTH_DB_SECRET_ARN: this.cluster.secret!.secretArn,
      BERTH_DB_NAME: this.databaseName,
    };
  }

  /**
   * Identity-based grants only, on the cluster, its secret and the key that
   * encrypts it: the grantee's stack may be in another region, and editing
   * the key's policy from there would tie the stacks in a cycle.
   */
  grantDataApi(grantee: iam.IGrantable): void {
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'rds-data:ExecuteStatement',
          'rds-data:BatchExecuteStatement',
          'rds-data:BeginTransaction',
          'rds-data:CommitTransaction',
          'rds-data:RollbackTransaction',
        ],
        resources: [this.cluster.clusterArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [this.cluster.secret!.secretArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.secretsKey.keyArn] }),
    );
  }
}

/**
 * Blob storage as one region's functions see it: every region's bucket as a
 * `DISTRIBUTED_STORAGE_CONFIG` location, this region's preferred, read and
 * write here and read-only elsewhere (pulls fall back to the source region
 * while replication is pending).
 */
export class RegistryStorage {
  readonly local: s3.IBucket;
  private readonly remote: { region: string; bucket: s3.IBucket }[];

  constructor(
    scope: Construct,
    private readonly region: string,
    localBucket: s3.IBucket,
    remote: { region: string; bucketName: string }[],
    private readonly proxyStorage: boolean,
  ) {
    this.local = localBucket;
    this.remote = remote.map((r) => ({
      region: r.region,
      bucket: s3.Bucket.fromBucketName(scope, `Bucket-${r.region}`, r.bucketName),
    }));
  }

  environment(): Record<string, string> {
    const locations: Record<string, [string, Record<string, string>]> = {
      [this.region]: ['S3Storage', { s3_bucket: this.local.bucketName, s3_region: this.region }],
    };
    for (const r of this.remote) {
      locations[r.region] = ['S3Storage', { s3_bucket: r.bucket.bucketName, s3_region: r.region }];
    }
    return {
      DISTRIBUTED_STORAGE_CONFIG: JSON.stringify(locations),
      DISTRIBUTED_STORAGE_PREFERENCE: [this.region, ...this.remote.map((r) => r.region)].join(','),
      FEATURE_PROXY_STORAGE: String(this.proxyStorage),
    };
  }

  grant(grantee: iam.IGrantable): void {
    this.local.grantReadWrite(grantee);
    this.local.grantDelete(grantee);
    for (const r of this.remote) r.bucket.grantRead(grantee);
  }

  /** Garbage collection removes a blob from every region that holds it. */
  grantDeleteEverywhere(grantee: iam.IGrantable): void {
    for (const r of this.remote) r.bucket.grantDelete(grantee);
  }
}

/**
 * A Secrets Manager secret a function reads at start, named to it by one
 * environment variable. Grants are identity-based, as for the database, so
 * functions in other regions can read the primary region's secret.
 */
export class StoredSecret {
  constructor(
    readonly secret: secretsmanager.ISecret,
    private readonly key: kms.IKey,
    private readonly variable: string,
  ) {}

  environment(): Record<string, string> {
    return { [this.variable]: this.secret.secretArn };
  }

  grantRead(grantee: iam.IGrantable): void {
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.secret.secretArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.key.keyArn] }),
    );
  }
}
