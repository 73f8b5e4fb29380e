import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { CONSOLE_HEADERS } from '../../shared/http/console-headers.js';
import { consoleFunctionCode } from '../edge/console-function.js';

export interface ConsoleSiteProps {
  /** The built console (`dist/console`). */
  consoleDir: string;
}

/** Built files CloudFront has no use for: it compresses itself, and the build's own bookkeeping. */
const NOT_DEPLOYED = ['*.gz', '*.br', '.source-hash'];

/**
 * The web console as static files: a private bucket read only by the
 * distribution (origin access control), the default behavior in front of
 * it, and the deployment of the build. A page view is a CloudFront
 * Function run and, on a cache miss, an S3 read; no Lambda runs until the
 * page calls `/api/v1`.
 */
export class ConsoleSite extends Construct {
  readonly behavior: cloudfront.BehaviorOptions;
  private readonly bucket: s3.Bucket;
  private readonly consoleDir: string;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    this.consoleDir = props.consoleDir;
    this.bucket = new s3.Bucket(this, 'Files', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // Only built files: the next deployment puts them back.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const pages = new cloudfront.Function(this, 'Pages', {
      comment: 'Berth console: a page of the console is index.html',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(consoleFunctionCode()),
    });
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: 'Berth console: what the local server sends with the console',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: CONSOLE_HEADERS['Content-Security-Policy']!,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: {
          referrerPolicy: cloudfront.HeadersReferrerPolicy.SAME_ORIGIN,
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: false,
          override: true,
        },
      },
    });
    this.behavior = {
      origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      compress: true,
      responseHeadersPolicy: headers,
      functionAssociations: [
        { function: pages, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
      ],
    };
  }

  /**
   * Uploads the build: hashed assets cached for a year (their names change
   * with their content, and old ones stay for pages already open), then
   * `index.html` with `no-cache`. CloudFront keeps that for the cache
   * policy's minimum TTL (one second for CachingOptimized) and no longer,
   * so a deployment needs no invalidation, nor its IAM grant on every
   * distribution.
   */
  deploy(): void {
    const assets = new deploy.BucketDeployment(this, 'Assets', {
      sources: [deploy.Source.asset(this.consoleDir, { exclude: [...NOT_DEPLOYED, 'index.html'] })],
      destinationBucket: this.bucket,
      prune: false,
      cacheControl: [
        deploy.CacheControl.setPublic(),
        deploy.CacheControl.maxAge(Duration.days(365)),
        deploy.CacheControl.immutable(),
      ],
    });
    const index = new deploy.BucketDeployment(this, 'Index', {
      sources: [
        deploy.Source.data('index.html', readFileSync(join(this.consoleDir, 'index.html'), 'utf8')),
      ],
      destinationBucket: this.bucket,
      prune: false,
      cacheControl: [deploy.CacheControl.noCache()],
    });
    // The page must not name assets that are not there yet.
    index.node.addDependency(assets);
  }
}
