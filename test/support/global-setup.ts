import { bundleServer } from '../../functions/local/bundle-server.js';

/** Once per test run: the server bundle that `startServerProcess` runs, as `npm start` does. */
export default async function setup(): Promise<void> {
  await bundleServer();
}
