import type { Context } from 'aws-lambda';
import type { LambdaEvent } from 'hono/aws-lambda';
import { loadConfig } from '../../shared/config/config.js';
import { apiSurface } from '../../shared/http/api/api-surface.js';
import { awsWakeups } from './aws-wakeups.js';
import { adminFromConfig } from '../common/admin-from-config.js';
import { awsMailer } from './aws-mail.js';
import { awsJobQueue } from './aws-job-queue.js';
import { buildAwsApp } from './aws-wiring.js';
import { lambdaHttpHandler } from './lambda-http.js';
import { lazyInit } from './lazy-init.js';

const ready = lazyInit(async () => {
  const config = loadConfig(process.env);
  const queue = awsJobQueue(config);
  const wakeups = awsWakeups(config, undefined, queue ?? undefined);
  const { app } = await buildAwsApp(
    config,
    {},
    {
      surfaces: ({ db, secret }) => [
        apiSurface(adminFromConfig(config, db, secret, { wakeups, mailer: awsMailer(config) })),
      ],
      wakeups,
    },
  );
  return lambdaHttpHandler(app);
});

/**
 * The `/api/v1` Lambda. Apart from the registry's so that its schemas and
 * OpenAPI generator stay out of the registry handler's cold starts.
 */
export async function handler(event: LambdaEvent, context: Context) {
  return (await ready())(event, context);
}
