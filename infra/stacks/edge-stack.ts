import { CfnOutput, Duration, SecretValue, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { ORIGIN_VERIFY_HEADER } from '../../shared/http/edge-headers.js';
import type { StoredSecret } from '../constructs/bindings.js';
import type { DeployConfig } from '../deploy-config.js';
import { frontDoorFunctionCode, type DataPlaneOrigin } from '../edge/front-door-function.js';
import type { RegionOrigins } from './regional-stack.js';
import { ConsoleSite } from '../constructs/console-site.js';

export interface EdgeStackProps extends StackProps {
  config: DeployConfig;
  /** The built web console (`npm run build:console`), deployed to the console's bucket. */
  consoleDir: string;
  /** Every region's origins, the first region's (with the API functions) first. */
  regions: RegionOrigins[];
  originSecret: StoredSecret;
}

/** The only requests the data plane takes: blob upload sessions; with several regions or in proxy mode, blob reads too. */
export const UPLOAD_PATH_PATTERN = '/v2/*/blobs/uploads*';
export const BLOB_PATH_PATTERN = '/v2/*/blobs/*';
/** Served by the REST function: the API, its OAuth endpoints, the console's CSRF token. */
export const REST_PATH_PATTERNS = ['/api/v1/*', '/oauth/*', '/csrf_token'];
/** Served by the registry function: the Distribution API and the health checks. */
export const REGISTRY_PATH_PATTERNS = ['/v2', '/v2/*', '/health', '/health/*', '/status'];
/** Everything else is the web console's, from its bucket. */

/**
 * How long CloudFront waits for each origin. Longer than the API functions'
 * timeout, so their 503 (a resuming database) reaches the client instead of
 * a CloudFront 504; for the data plane as long as CloudFront allows without
 * a quota increase, since finishing an upload answers only when it is done.
 */
export const FUNCTION_ORIGIN_TIMEOUT = Duration.seconds(60);
export const DATA_PLANE_ORIGIN_TIMEOUT = Duration.seconds(120);

export const dataPlaneOriginId = (region: string) => `uploads-${region}`;

/**
 * The one global entry point: a CloudFront distribution on the registry's
 * host name, whatever the number of regions.
 *
 * Why this front door: clients drop credentials when sent to another host,
 * so `/v2` must live on one host name, yet its requests need two kinds of
 * compute. A Lambda takes and returns at most 6 MB, enough for 4 MiB
 * manifests but not for layers, which docker and podman stream in one
 * request. So CloudFront sends upload sessions to a Fargate data plane (in
 * the viewer's nearest region, see `front-door-function.ts`) through VPC
 * origins, which reach internal load balancers over AWS's network, and
 * everything else to the first region's functions through their URLs,
 * with the origin secret they check.
 */
export class EdgeStack extends Stack {
  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    const { config } = props;
    const [first] = props.regions as [RegionOrigins, ...RegionOrigins[]];
    if (!first.api) throw new Error('the first region must hold the API functions');

    const dataPlanes = props.regions.map((r) => {
      const loadBalancer = elbv2.ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(
        this,
        `LoadBalancer-${r.region}`,
        {
          loadBalancerArn: r.dataPlane.loadBalancerArn,
          loadBalancerDnsName: r.dataPlane.dnsName,
          securityGroupId: r.dataPlane.securityGroupId,
        },
      );
      const vpcOrigin = new cloudfront.VpcOrigin(this, `DataPlaneOrigin-${r.region}`, {
        endpoint: cloudfront.VpcOriginEndpoint.applicationLoadBalancer(loadBalancer),
        vpcOriginName: `${config.name}-uploads-${r.region}`,
        httpPort: 80,
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTP_ONLY,
      });
      return {
        region: r.region,
        origin: origins.VpcOrigin.withVpcOrigin(vpcOrigin, {
          originId: dataPlaneOriginId(r.region),
          domainName: r.dataPlane.dnsName,
          readTimeout: DATA_PLANE_ORIGIN_TIMEOUT,
          keepaliveTimeout: Duration.seconds(60),
        }),
      };
    });
    const table: DataPlaneOrigin[] = dataPlanes.map((d) => ({
      region: d.region,
      originId: dataPlaneOriginId(d.region),
    }));
    // Streamed by the data plane in proxy mode; with several regions, redirected by the
    // nearest region's data plane to the copy in its own bucket.
    const blobReads = config.proxyStorage || props.regions.length > 1;
    const frontDoor = new cloudfront.Function(this, 'FrontDoorFunction', {
      comment: 'Berth: pass the viewer host on; send uploads to the nearest region',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(frontDoorFunctionCode(table, { blobReads })),
    });

    // CloudFormation resolves the secret at deploy time; it is in no template or export.
    const originSecret = SecretValue.secretsManager(
      props.originSecret.secret.secretArn,
    ).unsafeUnwrap();
    const functionOrigin = (url: RegionOrigins['api'] & object, which: 'registry' | 'rest') =>
      new origins.FunctionUrlOrigin(url[which], {
        originId: `${which}-api`,
        customHeaders: { [ORIGIN_VERIFY_HEADER]: originSecret },
        readTimeout: FUNCTION_ORIGIN_TIMEOUT,
      });
    const behavior = (origin: cloudfront.IOrigin, policy: cloudfront.IOriginRequestPolicy) => ({
      origin,
      functionAssociations: [
        { function: frontDoor, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
      ],
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      originRequestPolicy: policy,
    });
    // Every viewer header, plus where the viewer is, for the function's choice of region.
    const toDataPlane = new cloudfront.OriginRequestPolicy(this, 'DataPlaneRequests', {
      comment: 'Berth data plane: viewer headers and the viewer location',
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.all(
        'CloudFront-Viewer-Latitude',
        'CloudFront-Viewer-Longitude',
      ),
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.all(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });
    // A function URL answers only to its own Host.
    const toFunctions = cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER;
    const firstDataPlane = dataPlanes[0]!.origin;
    const additionalBehaviors: Record<string, cloudfront.BehaviorOptions> = {
      [UPLOAD_PATH_PATTERN]: behavior(firstDataPlane, toDataPlane),
    };
    if (blobReads) {
      additionalBehaviors[BLOB_PATH_PATTERN] = behavior(firstDataPlane, toDataPlane);
    }
    const rest = functionOrigin(first.api, 'rest');
    for (const pattern of REST_PATH_PATTERNS) {
      additionalBehaviors[pattern] = behavior(rest, toFunctions);
    }
    const registry = functionOrigin(first.api, 'registry');
    for (const pattern of REGISTRY_PATH_PATTERNS) {
      additionalBehaviors[pattern] = behavior(registry, toFunctions);
    }
    // The function selects the nearest data plane by id, which must be an origin of the
    // distribution, and CloudFront keeps only origins some behavior uses: one path each.
    for (const d of dataPlanes.slice(1)) {
      additionalBehaviors[`/.berth-origin/${d.region}/*`] = behavior(d.origin, toDataPlane);
    }

    const consoleSite = new ConsoleSite(this, 'Console', { consoleDir: props.consoleDir });

    const domain =
      config.domainName && config.certificateArn
        ? {
            domainNames: [config.domainName],
            certificate: acm.Certificate.fromCertificateArn(
              this,
              'Certificate',
              config.certificateArn,
            ),
          }
        : {};
    const distribution = new cloudfront.Distribution(this, 'FrontDoor', {
      // Changing it makes CloudFormation update the distribution, and so read the origin secret anew.
      comment: `Berth registry (${props.regions.map((r) => r.region).join(', ')}), origin secret ${config.originSecretRotation}`,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      ...domain,
      ...(config.wafRateLimit !== undefined ? { webAclId: this.webAcl(config.wafRateLimit) } : {}),
      defaultBehavior: consoleSite.behavior,
      additionalBehaviors,
    });
    consoleSite.deploy();

    new CfnOutput(this, 'RegistryUrl', {
      value: `https://${config.domainName ?? distribution.distributionDomainName}`,
    });
  }

  /** A rate-based rule: too many requests from one address in five minutes get 403 until it slows down. */
  private webAcl(limit: number): string {
    const acl = new wafv2.CfnWebACL(this, 'RateLimit', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: 'berth-front-door',
        sampledRequestsEnabled: true,
      },
      rules: [
        {
          name: 'rate-per-address',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit, aggregateKeyType: 'IP' } },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: 'berth-rate-per-address',
            sampledRequestsEnabled: true,
          },
        },
      ],
    });
    return acl.attrArn;
  }
}
