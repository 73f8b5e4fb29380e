import type { Context } from 'aws-lambda';
import type { LambdaEvent } from 'hono/aws-lambda';
import { loadConfig } from '../../shared/config/config.js';
import { v2Surface } from '../../shared/http/v2/v2-surface.js';
import { healthSurface } from '../../shared/http/health-surface.js';
import { buildAwsApp } from './aws-wiring.js';
import { awsJobQueue, notificationWakeups } from './aws-job-queue.js';
import { lambdaHttpHandler } from './lambda-http.js';
import { lazyInit } from './lazy-init.js';

const ready = lazyInit(async () => {
  const config = loadConfig(process.env);
  const { app } = await buildAwsApp(
    config,
    {},
    { surfaces: [v2Surface, healthSurface], wakeups: notificationWakeups(awsJobQueue(config)) },
  );
  return lambdaHttpHandler(app);
});

/** The `/v2` Lambda behind its function URL; `/api/v1` is `rest-api.ts`, uploads the data plane. */
export async function handler(event: LambdaEvent, context: Context) {
  return (await ready())(event, context);
}
