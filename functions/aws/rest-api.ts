import type { Context } from 'aws-lambda';
import type { LambdaEvent } from 'hono/aws-lambda';
import { loadConfig } from '../../shared/config/config.js';
import { apiSurface } from '../../shared/http/api/api-surface.js';
import { buildAwsApp } from './aws-wiring.js';
import { lambdaHttpHandler } from './lambda-http.js';

let ready: Promise<ReturnType<typeof lambdaHttpHandler>> | undefined;

/**
 * The `/api/v1` Lambda. Apart from the registry's so that its schemas and
 * OpenAPI generator stay out of the registry handler's cold starts.
 */
export async function handler(event: LambdaEvent, context: Context) {
  ready ??= buildAwsApp(loadConfig(process.env), {}, { surfaces: [apiSurface] }).then(({ app }) =>
    lambdaHttpHandler(app),
  );
  return (await ready)(event, context);
}
