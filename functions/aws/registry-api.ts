import type { Context } from 'aws-lambda';
import { handle, type LambdaEvent } from 'hono/aws-lambda';
import { loadConfig } from '../../shared/config/config.js';
import type { HttpApp } from '../../shared/http/http-env.js';
import { buildAwsApp } from './aws-wiring.js';

/**
 * Every response body is sent base64: manifests must reach the client byte
 * for byte, and a 4 MiB manifest so encoded still fits Lambda's 6 MB.
 */
export function lambdaHttpHandler(app: HttpApp) {
  return handle(app, { isContentTypeBinary: () => true });
}

let ready: Promise<ReturnType<typeof lambdaHttpHandler>> | undefined;

/** The `/v2` (and later `/api/v1`) Lambda behind API Gateway or an ALB. */
export async function handler(event: LambdaEvent, context: Context) {
  ready ??= buildAwsApp(loadConfig(process.env)).then(lambdaHttpHandler);
  return (await ready)(event, context);
}
