import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { migrateToLatest } from '../../shared/adapters/sql/migrate.js';
import type { Kysely } from 'kysely';
import { loadConfig, type BerthConfig } from '../../shared/config/config.js';
import { UserService } from '../../shared/access/users.js';
import { buildAwsCore, openAwsDatabase, readSecret, type AwsClients } from './aws-wiring.js';

export interface MigrationResult {
  PhysicalResourceId: string;
  Data: { migratedAt: string };
}

/**
 * Brings the metadata schema up to date once per deploy, as a CloudFormation
 * custom resource (behind the CDK provider framework, which answers
 * CloudFormation), and on a registry without users creates the first
 * superuser with the password kept in Secrets Manager. Deleting the resource
 * leaves the data alone.
 */
export async function onMigrationEvent(
  event: CloudFormationCustomResourceEvent,
  config: BerthConfig,
  clients: AwsClients = {},
): Promise<MigrationResult> {
  const physicalId = 'berth-metadata-schema';
  if (event.RequestType !== 'Delete') {
    const db = openAwsDatabase(config, clients);
    try {
      await migrateToLatest(db as Kysely<unknown>);
      const { bootstrapUser, bootstrapPassword, bootstrapPasswordArn } = config.access;
      const password =
        bootstrapPassword ??
        (bootstrapPasswordArn && (await readSecret(bootstrapPasswordArn, clients)));
      if (password) {
        const { access } = await buildAwsCore(config, db, clients, 'lambda');
        await new UserService(access).bootstrap(bootstrapUser, password);
      }
    } finally {
      await db.destroy();
    }
  }
  return { PhysicalResourceId: physicalId, Data: { migratedAt: new Date().toISOString() } };
}

export const handler = (event: CloudFormationCustomResourceEvent) =>
  onMigrationEvent(event, loadConfig(process.env));
