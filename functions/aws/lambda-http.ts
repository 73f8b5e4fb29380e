import { handle } from 'hono/aws-lambda';
import type { HttpApp } from '../../shared/http/http-env.js';

/**
 * Every response body is sent base64: manifests must reach the client byte
 * for byte, and a 4 MiB manifest so encoded still fits Lambda's 6 MB.
 */
export function lambdaHttpHandler(app: HttpApp) {
  return handle(app, { isContentTypeBinary: () => true });
}
