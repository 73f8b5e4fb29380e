import { describe, expect, it } from 'vitest';
import { parseConfigYaml } from '../../shared/config/config-file.js';
import { ConfigError, loadConfig } from '../../shared/config/config.js';

describe('loadConfig', () => {
  it('defaults to port 5000, ./data and one local storage location inside it', () => {
    const config = loadConfig({});
    expect(config.port).toBe(5000);
    expect(config.dataDir).toBe('./data');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.storage).toEqual({
      locations: [{ name: 'local', driver: 'LocalStorage', path: './data/blobs' }],
      preference: ['local'],
      probeIntervalMs: 10_000,
      writable: undefined,
    });
    expect(config.replicateTo).toEqual([]);
  });

  it("reads geo-replication's keys, and refuses locations the storage config lacks", () => {
    const storage = JSON.stringify({
      east: ['LocalStorage', { storage_path: '/srv/east' }],
      west: ['LocalStorage', { storage_path: '/srv/west' }],
    });
    const on = loadConfig({
      DISTRIBUTED_STORAGE_CONFIG: storage,
      FEATURE_STORAGE_REPLICATION: 'true',
      DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: 'east,west',
      BERTH_WRITABLE_LOCATIONS: 'west',
      BERTH_STORAGE_PROBE_SECONDS: '2',
    });
    expect(on.replicateTo).toEqual(['east', 'west']);
    expect(on.storage).toMatchObject({ writable: ['west'], probeIntervalMs: 2000 });
    // Default locations alone do nothing until the feature is on, as in Quay.
    expect(
      loadConfig({
        DISTRIBUTED_STORAGE_CONFIG: storage,
        DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: 'east',
      }).replicateTo,
    ).toEqual([]);
    expect(() =>
      loadConfig({
        DISTRIBUTED_STORAGE_CONFIG: storage,
        DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: 'north',
      }),
    ).toThrow(/DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS names north/);
    expect(() =>
      loadConfig({ DISTRIBUTED_STORAGE_CONFIG: storage, BERTH_WRITABLE_LOCATIONS: 'north' }),
    ).toThrow(/BERTH_WRITABLE_LOCATIONS/);
  });

  it('reads Quay keys from config.yaml and lets the environment win', () => {
    const yaml = [
      'BERTH_PORT: 6000',
      'DB_URI: postgres://file/db',
      'DISTRIBUTED_STORAGE_CONFIG:',
      '  east: [LocalStorage, {storage_path: /srv/east}]',
      '  west: [LocalStorage, {storage_path: /srv/west}]',
      'DISTRIBUTED_STORAGE_PREFERENCE: [west, east]',
    ].join('\n');
    const config = loadConfig(
      { BERTH_PORT: '7000', DATABASE_URL: 'postgres://env/db' },
      parseConfigYaml(yaml),
    );
    expect(config.port).toBe(7000);
    expect(config.databaseUrl).toBe('postgres://env/db');
    expect(config.storage.preference).toEqual(['west', 'east']);
    expect(config.storage.locations).toEqual([
      { name: 'east', driver: 'LocalStorage', path: '/srv/east' },
      { name: 'west', driver: 'LocalStorage', path: '/srv/west' },
    ]);
  });

  it('reads S3Storage locations with Quay parameter names', () => {
    const yaml = [
      'DISTRIBUTED_STORAGE_CONFIG:',
      '  us-east-1:',
      '    - S3Storage',
      '    - s3_bucket: berth-blobs-use1',
      '      storage_path: /registry',
      '      s3_region: us-east-1',
      '  minio:',
      '    - S3Storage',
      '    - s3_bucket: berth',
      '      host: minio.internal',
      '      port: 9000',
      '      s3_access_key: AKIA',
      '      s3_secret_key: secret',
      'FEATURE_PROXY_STORAGE: true',
    ].join('\n');
    const config = loadConfig({}, parseConfigYaml(yaml));
    expect(config.proxyStorage).toBe(true);
    expect(config.storage.locations).toEqual([
      {
        name: 'us-east-1',
        driver: 'S3Storage',
        bucket: 'berth-blobs-use1',
        prefix: '/registry',
        region: 'us-east-1',
        endpoint: undefined,
        credentials: undefined,
      },
      {
        name: 'minio',
        driver: 'S3Storage',
        bucket: 'berth',
        prefix: '',
        region: 'us-east-1',
        endpoint: 'https://minio.internal:9000',
        credentials: { accessKeyId: 'AKIA', secretAccessKey: 'secret' },
      },
    ]);
  });

  it('refuses an S3 access key without its secret', () => {
    const env = {
      DISTRIBUTED_STORAGE_CONFIG: JSON.stringify({
        s3: ['S3Storage', { s3_bucket: 'bucket', s3_access_key: 'AKIA' }],
      }),
    };
    expect(() => loadConfig(env)).toThrow('s3_access_key and s3_secret_key go together');
  });

  it("reads Quay's mirror keys and Berth's allow-list, defaulting to Quay's 30 s scheduler", () => {
    expect(loadConfig({}).mirror).toEqual({
      enabled: true,
      rollback: false,
      localWorkers: 4,
      jobQueueUrl: undefined,
    });
    expect(loadConfig({}).outboundAllowedHosts).toEqual([]);
    expect(loadConfig({}).taskIntervalsMs['mirror-schedule']).toBe(30_000);
    const config = loadConfig({
      FEATURE_REPO_MIRROR: 'false',
      REPO_MIRROR_INTERVAL: '5',
      REPO_MIRROR_ROLLBACK: 'true',
      BERTH_MIRROR_ALLOWED_HOSTS: 'registry.corp, 10.0.0.0/8',
    });
    expect(config.mirror).toMatchObject({ enabled: false, rollback: true });
    expect(config.outboundAllowedHosts).toEqual(['registry.corp', '10.0.0.0/8']);
    expect(config.taskIntervalsMs['mirror-schedule']).toBe(5000);
  });

  it('takes one allow-list for every outbound call, the mirror-only key as an alias', () => {
    const config = loadConfig({
      BERTH_OUTBOUND_ALLOWED_HOSTS: '["hooks.corp", "10.0.0.0/8"]',
      BERTH_MIRROR_ALLOWED_HOSTS: 'registry.corp,10.0.0.0/8',
    });
    expect(config.outboundAllowedHosts).toEqual(['hooks.corp', '10.0.0.0/8', 'registry.corp']);
  });

  it("reads Quay's mail and notification keys, with Quay's defaults", () => {
    expect(loadConfig({}).mail).toEqual({
      enabled: true,
      server: '',
      port: 587,
      useTls: true,
      username: undefined,
      password: undefined,
      sender: 'admin@example.com',
    });
    expect(loadConfig({}).notifications).toEqual({
      sendTimeoutMs: 10_000,
      firstRetryMs: 30_000,
      eventBusName: undefined,
    });
    const config = loadConfig({
      MAIL_SERVER: 'smtp.corp',
      MAIL_PORT: '465',
      MAIL_USE_TLS: 'false',
      MAIL_USERNAME: 'berth',
      MAIL_PASSWORD: 'secret',
      MAIL_DEFAULT_SENDER: 'registry@corp.example',
      NOTIFICATION_SEND_TIMEOUT: '3',
      BERTH_NOTIFICATION_RETRY_SECONDS: '2',
      BERTH_EVENT_BUS_NAME: 'berth-events',
    });
    expect(config.mail).toMatchObject({ server: 'smtp.corp', port: 465, useTls: false });
    expect(config.notifications).toEqual({
      sendTimeoutMs: 3000,
      firstRetryMs: 2000,
      eventBusName: 'berth-events',
    });
    expect(() => loadConfig({ NOTIFICATION_SEND_TIMEOUT: '0' })).toThrow(
      /NOTIFICATION_SEND_TIMEOUT/,
    );
  });

  it("reads Quay's model cache settings: in memory by default, Redis when configured", () => {
    expect(loadConfig({}).cache).toEqual({
      engine: 'inmemory',
      redis: undefined,
      repositoryBlobTtlMs: 60_000,
    });
    const yaml = parseConfigYaml(
      [
        'DATA_MODEL_CACHE_CONFIG:',
        '  engine: redis',
        '  redis_config:',
        '    primary: { host: cache.internal, password: s3cret, ssl: true }',
        '  repository_blob_cache_ttl: 5m',
      ].join('\n'),
    );
    expect(loadConfig({}, yaml).cache).toEqual({
      engine: 'redis',
      redis: {
        host: 'cache.internal',
        port: 6379,
        password: 's3cret',
        tls: true,
        keyPrefix: 'berth:',
      },
      repositoryBlobTtlMs: 300_000,
    });
    expect(loadConfig({ DATA_MODEL_CACHE_CONFIG: '{"engine":"noop"}' }).cache.engine).toBe('noop');
  });

  it.each([
    ['{"engine":"redis"}', 'redis_config'],
    ['{"engine":"memcached"}', 'DATA_MODEL_CACHE_CONFIG.engine'],
    ['{"engine":"inmemory","repository_blob_cache_ttl":"soon"}', 'repository_blob_cache_ttl'],
    ['{"engine":"redis","redis_config":{"primary":{"port":6379}}}', 'host'],
  ])('refuses the model cache setting %s', (value, mention) => {
    expect(() => loadConfig({ DATA_MODEL_CACHE_CONFIG: value })).toThrow(mention);
  });

  it('takes a comma-separated storage preference from the environment', () => {
    const config = loadConfig({
      DISTRIBUTED_STORAGE_CONFIG: JSON.stringify({
        a: ['LocalStorage', { storage_path: '/a' }],
        b: ['LocalStorage', { storage_path: '/b' }],
      }),
      DISTRIBUTED_STORAGE_PREFERENCE: 'b, a',
    });
    expect(config.storage.preference).toEqual(['b', 'a']);
  });

  it.each([
    [{ BERTH_PORT: 'eighty' }, 'BERTH_PORT'],
    [{ FEATURE_PROXY_STORAGE: 'maybe' }, 'FEATURE_PROXY_STORAGE: expected true or false'],
    [{ BERTH_UNKNOWN_KEY: 'x' }, null],
    [{ DISTRIBUTED_STORAGE_PREFERENCE: 'nowhere' }, 'nowhere'],
    [{ DISTRIBUTED_STORAGE_CONFIG: '{not json' }, 'JSON'],
    [{ DISTRIBUTED_STORAGE_CONFIG: '{"x":["S3Storage",{}]}' }, 'DISTRIBUTED_STORAGE_CONFIG'],
  ])('refuses bad values with a message naming the key: %j', (env, mention) => {
    if (mention === null) {
      // Unknown environment variables are none of our business; only config.yaml keys are checked.
      expect(() => loadConfig(env)).not.toThrow();
      return;
    }
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(mention);
  });

  it('refuses unknown keys in config.yaml', () => {
    expect(() => loadConfig({}, parseConfigYaml('NOT_A_KEY: 1'))).toThrow(ConfigError);
    expect(() => parseConfigYaml('- a list')).toThrow('mapping');
    expect(() => parseConfigYaml('key: [unclosed')).toThrow('not valid YAML');
  });
});
