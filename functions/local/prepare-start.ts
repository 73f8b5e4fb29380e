import { ensureConsoleBuilt } from '../console/build.js';
import { bundleServer, bundleServerIfStale } from './bundle-server.js';

/**
 * What `npm start` does before the server starts: the web console is built
 * when its sources changed, and so is the server's bundle (esbuild, about a
 * second), so the server itself starts from JavaScript and compiles nothing.
 */
const started = Date.now();
const consoleSize = await ensureConsoleBuilt();
if (consoleSize) {
  console.log(
    `Berth console built in ${((Date.now() - started) / 1000).toFixed(1)} s (dist/console)`,
  );
}
// `npm start` bundles only when the sources changed; build:server and the bench always do.
await (process.argv.includes('--if-stale') ? bundleServerIfStale() : bundleServer());
