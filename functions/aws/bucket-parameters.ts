import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { BerthConfig } from '../../shared/config/config.js';

/**
 * Fills in the buckets that storage locations name by SSM parameter
 * (`s3_bucket_parameter`): each region's stack writes its bucket's name
 * there, and the other regions' functions read it at start, in the
 * location's region.
 */
export async function resolveBucketParameters(
  config: BerthConfig,
  ssmFor: (region: string) => Pick<SSMClient, 'send'> = (region) => new SSMClient({ region }),
): Promise<BerthConfig> {
  const locations = await Promise.all(
    config.storage.locations.map(async (location) => {
      if (location.driver !== 'S3Storage' || typeof location.bucket === 'string') return location;
      const { Parameter } = await ssmFor(location.region).send(
        new GetParameterCommand({ Name: location.bucket.parameter }),
      );
      if (!Parameter?.Value) {
        throw new Error(`SSM parameter ${location.bucket.parameter} names no bucket`);
      }
      return { ...location, bucket: Parameter.Value };
    }),
  );
  return { ...config, storage: { ...config.storage, locations } };
}
