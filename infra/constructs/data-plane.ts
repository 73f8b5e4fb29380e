import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { VIEWER_ADDRESS_HEADER, VIEWER_HOST_HEADER } from '../../shared/http/edge-headers.js';
import type { DeployConfig } from '../deploy-config.js';
import type { MetadataDatabase, RegistryStorage, StoredSecret } from './bindings.js';

export const DATA_PLANE_PORT = 8080;
/** What Fargate allows between SIGTERM and SIGKILL at the most. */
export const STOP_TIMEOUT = Duration.seconds(120);
/** How long a request to the data plane may wait for a resuming database before it gets 503. */
const RESUME_WAIT_SECONDS = 50;
/** CloudFront's managed list of its origin-facing addresses, which VPC origins connect from. */
export const ORIGIN_FACING_PREFIX_LIST = 'com.amazonaws.global.cloudfront.origin-facing';

export interface DataPlaneProps {
  config: DeployConfig;
  bundleDir: string;
  database: MetadataDatabase;
  storage: RegistryStorage;
  registrySecret: StoredSecret;
  publicHost: Record<string, string>;
}

/**
 * The upload data plane of one region: Fargate tasks running the registry
 * in Node, behind an internal Application Load Balancer that only
 * CloudFront reaches, through a VPC origin (no listener on the internet, no
 * shared secret). Tasks sit in public subnets so they reach S3, the Data
 * API and ECR without a NAT gateway; the balancer sits in private ones.
 *
 * Taking a task out of service (scale-in, a deploy) first drains it for
 * `drainSeconds`, the load balancer's deregistration delay, during which
 * it finishes the uploads it has; only then does ECS send SIGTERM.
 */
export class DataPlane extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;

  constructor(scope: Construct, id: string, props: DataPlaneProps) {
    super(scope, id);
    const { dataPlane } = props.config;
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'tasks', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'origin', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
    });
    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.DISABLED,
    });
    const task = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: dataPlane.cpu,
      memoryLimitMiB: dataPlane.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    task.addContainer('registry', {
      image: ecs.ContainerImage.fromAsset(join(props.bundleDir, 'data-plane'), {
        platform: Platform.LINUX_ARM64,
      }),
      portMappings: [{ containerPort: DATA_PLANE_PORT }],
      stopTimeout: STOP_TIMEOUT,
      environment: {
        BERTH_PORT: String(DATA_PLANE_PORT),
        BERTH_VIEWER_HOST_HEADER: VIEWER_HOST_HEADER,
        BERTH_CLIENT_ADDRESS_HEADER: VIEWER_ADDRESS_HEADER,
        PREFERRED_URL_SCHEME: 'https',
        ...props.database.environment(RESUME_WAIT_SECONDS),
        ...props.storage.environment(),
        ...props.registrySecret.environment(),
        ...props.publicHost,
      },
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'data-plane',
        logGroup: new logs.LogGroup(this, 'Logs', {
          retention: logs.RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      }),
    });
    props.database.grantDataApi(task.taskRole);
    props.storage.grant(task.taskRole);
    props.registrySecret.grantRead(task.taskRole);

    const originSecurityGroup = new ec2.SecurityGroup(this, 'OriginSecurityGroup', {
      vpc,
      description: 'Berth data plane balancer: CloudFront VPC origins only',
      allowAllOutbound: false,
    });
    originSecurityGroup.addIngressRule(
      ec2.Peer.prefixList(originFacingPrefixList(this)),
      ec2.Port.tcp(80),
      'CloudFront origin-facing addresses',
    );
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroup: originSecurityGroup,
      // Layers take minutes to stream; the default 60 s idle timeout would cut them.
      idleTimeout: Duration.seconds(4000),
    });
    const service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition: task,
      desiredCount: dataPlane.minTasks,
      assignPublicIp: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
    });
    const listener = this.loadBalancer.addListener('Http', { port: 80, open: false });
    const targets = listener.addTargets('Tasks', {
      port: DATA_PLANE_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [service],
      healthCheck: { path: '/v2/', healthyHttpCodes: '200,401' },
      deregistrationDelay: Duration.seconds(dataPlane.drainSeconds),
    });
    const scaling = service.autoScaleTaskCount({
      minCapacity: dataPlane.minTasks,
      maxCapacity: dataPlane.maxTasks,
    });
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
    // Uploads are long requests: a handful per task is already a full task.
    scaling.scaleOnRequestCount('Requests', { requestsPerTarget: 600, targetGroup: targets });
  }
}

/**
 * The managed prefix list's id differs per region and is only known to
 * EC2; looked up when the stack deploys, so `cdk synth` needs no AWS.
 */
function originFacingPrefixList(scope: Construct): string {
  const lookup = new cr.AwsCustomResource(scope, 'OriginFacingPrefixList', {
    onUpdate: {
      service: 'EC2',
      action: 'describeManagedPrefixLists',
      parameters: { Filters: [{ Name: 'prefix-list-name', Values: [ORIGIN_FACING_PREFIX_LIST] }] },
      physicalResourceId: cr.PhysicalResourceId.of(ORIGIN_FACING_PREFIX_LIST),
      outputPaths: ['PrefixLists.0.PrefixListId'],
    },
    policy: cr.AwsCustomResourcePolicy.fromSdkCalls({
      resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE,
    }),
    installLatestAwsSdk: false,
  });
  return lookup.getResponseField('PrefixLists.0.PrefixListId');
}
