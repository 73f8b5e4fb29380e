import { loadConfig } from '../../shared/config/config.js';
import { startDataPlane } from './data-plane-server.js';

async function main() {
  const plane = await startDataPlane(loadConfig(process.env));
  console.log(`Berth data plane listening on port ${plane.port}`);
  process.on('SIGTERM', () => {
    void plane.stop().then((outcome) => {
      console.log(`Berth data plane stopping: requests ${outcome}`);
      process.exit(0);
    });
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
