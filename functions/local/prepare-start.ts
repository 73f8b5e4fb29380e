import { ensureConsoleBuilt } from '../console/build.js';
import { bundleServer } from './bundle-server.js';

/**
 * What `npm start` does before the server starts: the web console is built
 * when its sources changed, and the server is bundled from its sources
 * (esbuild takes a fraction of a second), so the server itself starts from
 * JavaScript and compiles nothing.
 */
const started = Date.now();
const consoleSize = await ensureConsoleBuilt();
if (consoleSize) {
  console.log(
    `Berth console built in ${((Date.now() - started) / 1000).toFixed(1)} s (dist/console)`,
  );
}
await bundleServer();
