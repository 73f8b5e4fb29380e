import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../deploy-config.js';
import {
  frontDoorFunctionCode,
  ORIGIN_VERIFY_HEADER,
  type UploadTarget,
} from '../edge/front-door-function.js';

/** What the front door needs of one region: its API, and its upload data plane. */
export interface RegionOrigins extends UploadTarget {
  /** The HTTP API's host, `<id>.execute-api.<region>.amazonaws.com`. */
  apiDomainName: string;
}

export interface EdgeStackProps extends StackProps {
  config: DeployConfig;
  /** Every region's origins, the first region's first. */
  regions: RegionOrigins[];
}

/** The only requests the data plane takes: blob upload sessions. Everything else is Lambda. */
export const UPLOAD_PATH_PATTERN = '/v2/*/blobs/uploads*';
const UPLOAD_PATH = /^\/v2\/.+\/blobs\/uploads/;

/**
 * The one global entry point: a CloudFront distribution on the registry's
 * host name, whatever the number of regions.
 *
 * Why this front door: clients drop credentials when sent to another host,
 * so `/v2` must live on one host name, yet its requests need two kinds of
 * compute. Lambda behind an ALB takes and returns at most 1 MB, too little
 * for 4 MiB manifests; behind API Gateway it gets 6 MB, but API Gateway
 * caps requests at 10 MB, and docker and podman stream a whole layer in one
 * request. So CloudFront sends upload sessions to a Fargate data plane
 * (in the viewer's nearest region, see `front-door-function.ts`) and
 * everything else to the first region's Lambda functions.
 */
export class EdgeStack extends Stack {
  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    const { config } = props;
    const [first] = props.regions as [RegionOrigins, ...RegionOrigins[]];

    const frontDoor = new cloudfront.Function(this, 'FrontDoorFunction', {
      comment: 'Berth: forward the viewer host; send uploads to the nearest region',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(frontDoorFunctionCode(UPLOAD_PATH, props.regions)),
    });
    const passThrough = {
      functionAssociations: [
        { function: frontDoor, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
      ],
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
    };
    // Every viewer header (the ALB ignores Host), plus where the viewer is, for the function.
    const uploadRequests = new cloudfront.OriginRequestPolicy(this, 'UploadRequests', {
      comment: 'Berth uploads: viewer headers and the viewer location',
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.all(
        'CloudFront-Viewer-Latitude',
        'CloudFront-Viewer-Longitude',
      ),
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.all(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });
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
      comment: `Berth registry (${props.regions.map((r) => r.region).join(', ')})`,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      ...domain,
      defaultBehavior: {
        ...passThrough,
        origin: new origins.HttpOrigin(first.apiDomainName),
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
      additionalBehaviors: {
        [UPLOAD_PATH_PATTERN]: {
          ...passThrough,
          // The first region's data plane; the function switches to the nearest one.
          origin: new origins.HttpOrigin(first.domainName, {
            protocolPolicy: cloudfront.OriginProtocolPolicy.HTTP_ONLY,
            customHeaders: { [ORIGIN_VERIFY_HEADER]: first.originSecret },
            readTimeout: Duration.seconds(60),
          }),
          originRequestPolicy: uploadRequests,
        },
      },
    });

    new CfnOutput(this, 'RegistryUrl', {
      value: `https://${config.domainName ?? distribution.distributionDomainName}`,
    });
  }
}
