import { describe, expect, it } from 'vitest';
import { parseDeployConfig, storageOrder } from '../../infra/deploy-config.js';

const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];

describe('deploy config', () => {
  it('applies defaults and reads each region itself first, then the list', () => {
    const config = parseDeployConfig({ regions });
    expect(config.auroraMinCapacity).toBe(0);
    expect(storageOrder(config, 'eu-west-1')).toEqual(['eu-west-1', 'us-east-1', 'ap-southeast-2']);
  });

  it('takes a per-region storage preference, also as the JSON string `-c` passes', () => {
    const config = parseDeployConfig(
      JSON.stringify({
        regions,
        storagePreference: { 'eu-west-1': ['eu-west-1', 'ap-southeast-2', 'us-east-1'] },
      }),
    );
    expect(storageOrder(config, 'eu-west-1')).toEqual(['eu-west-1', 'ap-southeast-2', 'us-east-1']);
    expect(storageOrder(config, 'us-east-1')).toEqual(['us-east-1', 'eu-west-1', 'ap-southeast-2']);
  });

  it.each([
    ['another region first', { 'eu-west-1': ['us-east-1', 'eu-west-1', 'ap-southeast-2'] }],
    ['a region missing', { 'eu-west-1': ['eu-west-1', 'us-east-1'] }],
    ['an unknown region', { 'eu-west-1': ['eu-west-1', 'us-east-1', 'sa-east-1'] }],
    ['a region twice', { 'eu-west-1': ['eu-west-1', 'us-east-1', 'us-east-1'] }],
  ])('refuses a storage preference with %s', (_why, storagePreference) => {
    expect(() => parseDeployConfig({ regions, storagePreference })).toThrow('itself first');
  });

  it('refuses a domain without its certificate, and bad region names', () => {
    expect(() => parseDeployConfig({ regions, domainName: 'registry.example.com' })).toThrow(
      'go together',
    );
    expect(() => parseDeployConfig({ regions: ['Mars'] })).toThrow('regions');
    expect(() => parseDeployConfig({ regions: ['us-east-1', 'xx-nowhere-9'] })).toThrow(
      'a region the front door knows the location of',
    );
    // The Redis node went with the cache that no function could reach.
    expect(() => parseDeployConfig({ regions, cacheNodeType: 'cache.t4g.micro' })).toThrow(
      'cacheNodeType',
    );
  });
});

describe('deploy config for an idle-cheap, guarded deployment', () => {
  it('runs housekeeping every 6 hours by default, only at intervals that divide a day', () => {
    expect(parseDeployConfig({ regions }).housekeepingHours).toBe(6);
    expect(parseDeployConfig({ regions, housekeepingHours: 24 }).housekeepingHours).toBe(24);
    expect(() => parseDeployConfig({ regions, housekeepingHours: 5 })).toThrow('divide a day');
    // The per-task minute rates polled the database around the clock.
    expect(() => parseDeployConfig({ regions, schedules: { autopruneMinutes: 1 } })).toThrow(
      'schedules',
    );
  });

  it('takes the data plane drain, throttles and a WAF rule; refuses what AWS would', () => {
    const config = parseDeployConfig({
      regions,
      dataPlane: { drainSeconds: 1800 },
      throttle: { registryConcurrency: 100 },
      wafRateLimit: 1000,
    });
    expect(config.dataPlane).toMatchObject({ drainSeconds: 1800, minTasks: 1 });
    expect(config.throttle.registryConcurrency).toBe(100);
    expect(() => parseDeployConfig({ regions, dataPlane: { drainSeconds: 7200 } })).toThrow(
      'drainSeconds',
    );
    expect(() => parseDeployConfig({ regions, auroraAutoPauseSeconds: 60 })).toThrow(
      'auroraAutoPauseSeconds',
    );
    expect(() =>
      parseDeployConfig({ regions: ['eu-west-1', 'us-east-1'], wafRateLimit: 1000 }),
    ).toThrow('us-east-1');
  });
});
