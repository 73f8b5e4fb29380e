import type { Context } from 'aws-lambda';
import type { LambdaEvent } from 'hono/aws-lambda';
import { loadConfig } from '../../shared/config/config.js';
import { v2Surface } from '../../shared/http/v2/v2-surface.js';
import { buildAwsApp } from './aws-wiring.js';
import { lambdaHttpHandler } from './lambda-http.js';

let ready: Promise<ReturnType<typeof lambdaHttpHandler>> | undefined;

/** The `/v2` Lambda behind API Gateway; `/api/v1` is `rest-api.ts`. */
export async function handler(event: LambdaEvent, context: Context) {
  ready ??= buildAwsApp(loadConfig(process.env), {}, { surfaces: [v2Surface] }).then(({ app }) =>
    lambdaHttpHandler(app),
  );
  return (await ready)(event, context);
}
