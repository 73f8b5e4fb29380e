import { parseArgs } from 'node:util';
import { runSmokeTest } from './first-deploy.js';

/**
 * `npm run smoke -- <registry URL> [--user admin] [--layer-mib 3072] [--proxy-storage]`,
 * with the password in BERTH_PASSWORD. See "First-deploy smoke test" in the README.
 */
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    user: { type: 'string', default: 'admin' },
    'layer-mib': { type: 'string', default: '3072' },
    'proxy-storage': { type: 'boolean', default: false },
  },
});
const [url] = positionals;
const password = process.env.BERTH_PASSWORD;
if (!url || !password) {
  console.error(
    'usage: BERTH_PASSWORD=… npm run smoke -- <registry URL> [--user admin] [--layer-mib 3072] [--proxy-storage]',
  );
  process.exit(2);
}
const layerMiB = Number(values['layer-mib']);
if (!Number.isInteger(layerMiB) || layerMiB < 2) {
  console.error('--layer-mib: a whole number of MiB, at least 2');
  process.exit(2);
}

try {
  const report = await runSmokeTest({
    url,
    user: values.user,
    password,
    layerMiB,
    expectRedirect: !values['proxy-storage'],
    log: (line) => console.log(line),
  });
  console.log(JSON.stringify(report, null, 2));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
