import {
  ResourceNotFoundException,
  type GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceCreateEvent } from 'aws-lambda';
import type { LambdaEvent } from 'hono/aws-lambda';
import { basic } from './accounts.js';

/**
 * What the AWS entry points meet in Lambda, for the in-process tests: the
 * stacks' secrets as Secrets Manager holds them, and function URL events
 * as CloudFront's requests arrive.
 */

export const ORIGIN_SECRET_ARN =
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:berth-origin';
/** Secrets as Secrets Manager would hold them for the deployed stacks, by version stage. */
export const SECRETS: Record<string, { AWSCURRENT: string; AWSPREVIOUS?: string }> = {
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:berth-registry': {
    AWSCURRENT: 'k'.repeat(64),
  },
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:berth-admin': {
    AWSCURRENT: 'lambda-admin-password',
  },
  [ORIGIN_SECRET_ARN]: { AWSCURRENT: 'origin-secret-2', AWSPREVIOUS: 'origin-secret-1' },
};
/** A Secrets Manager client answering `GetSecretValue` as the service does, version stages too. */
export const secretsManager = {
  send: async (command: GetSecretValueCommand) => {
    const stage = (command.input.VersionStage ?? 'AWSCURRENT') as 'AWSCURRENT' | 'AWSPREVIOUS';
    const value = SECRETS[command.input.SecretId!]?.[stage];
    if (!value) {
      throw new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret value for staging label",
        $metadata: {},
      });
    }
    return { ARN: command.input.SecretId, Name: 'x', SecretString: value, VersionId: stage };
  },
} as unknown as SecretsManagerClient;
export const ADMIN_AUTH = basic('admin:lambda-admin-password');

// The events below are shaped as AWS sends them; hono's types ask for fields
// (an authorizer, for one) that AWS leaves out when none is configured.

/**
 * A Lambda function URL event (payload format 2.0) as CloudFront's request
 * reaches it: Host is the function URL's (the origin request policy drops
 * the viewer's), the viewer's host is in the front door's own header, and
 * CloudFront added the origin secret.
 */
export function functionUrlEvent(
  method: string,
  path: string,
  init: { query?: string; headers?: Record<string, string>; body?: Buffer } = {},
): LambdaEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: init.query ?? '',
    headers: {
      host: 'f3k2example.lambda-url.us-east-1.on.aws',
      'x-berth-viewer-host': 'registry.example.com',
      'x-berth-origin-verify': 'origin-secret-2',
      'x-forwarded-proto': 'https',
      via: '2.0 a1b2c3.cloudfront.net (CloudFront)',
      authorization: ADMIN_AUTH,
      ...init.headers,
    },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'f3k2example',
      domainName: 'f3k2example.lambda-url.us-east-1.on.aws',
      domainPrefix: 'f3k2example',
      http: {
        method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '198.51.100.7',
        userAgent: 'containers/5.0',
      },
      requestId: 'id-1',
      routeKey: '$default',
      stage: '$default',
      time: '24/Nov/2026:22:12:00 +0000',
      timeEpoch: 1795990320000,
    },
    body: init.body ? init.body.toString('base64') : null,
    isBase64Encoded: Boolean(init.body),
  } as unknown as LambdaEvent;
}

/** The environment the stacks give a first-region function: the Data API, one bucket, the secrets. */
export const FUNCTION_ENV = {
  BERTH_DB_CLUSTER_ARN: 'arn:aws:rds:us-east-1:123456789012:cluster:berth',
  BERTH_DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:berth-db',
  DISTRIBUTED_STORAGE_CONFIG: JSON.stringify({
    'us-east-1': ['S3Storage', { s3_bucket: 'berth-us-east-1' }],
  }),
  BERTH_SECRET_KEY_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:berth-registry',
  BERTH_SUPERUSER_PASSWORD_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:berth-admin',
  BERTH_VIEWER_HOST_HEADER: 'x-berth-viewer-host',
} as const;

/** What CloudFormation sends the migration function when the stack is created. */
export const MIGRATION_CREATE_EVENT = {
  RequestType: 'Create',
  ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:berth-migrate',
  ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x',
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/berth/1',
  RequestId: 'r-1',
  LogicalResourceId: 'MetadataSchema',
  ResourceType: 'Custom::BerthMigration',
  ResourceProperties: {
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:berth-migrate',
  },
} satisfies CloudFormationCustomResourceCreateEvent;
