import { App, Tags } from 'aws-cdk-lib';
import { CONSOLE_DIST, ensureConsoleBuilt } from '../functions/console/build.js';
import { bundleAll, DEFAULT_BUNDLE_DIR } from './bundle.js';
import { parseDeployConfig, type DeployConfig } from './deploy-config.js';
import { PrimaryStack } from './stacks/primary-stack.js';
import { EdgeStack } from './stacks/edge-stack.js';
import { RegionalStack } from './stacks/regional-stack.js';

/**
 * The stacks of one deployment: the stateful primary stack in the first
 * region, a regional stack in every region (the first included), and the
 * edge stack with the one distribution in front of them all.
 */
export function buildStacks(
  app: App,
  config: DeployConfig,
  bundleDir: string,
  account?: string,
  consoleDir: string = CONSOLE_DIST,
) {
  const [primaryRegion] = config.regions as [string, ...string[]];
  const primary = new PrimaryStack(app, 'BerthPrimary', {
    env: { account, region: primaryRegion },
    config,
    bundleDir,
    crossRegionReferences: true,
  });
  const regional = config.regions.map(
    (region) =>
      new RegionalStack(app, `BerthRegion-${region}`, {
        env: { account, region },
        config,
        bundleDir,
        database: primary.database,
        registrySecret: primary.registrySecret,
        originSecret: primary.originSecret,
        primary: region === primaryRegion,
        crossRegionReferences: true,
      }),
  );
  // CloudFront is global; its stack lives in the first region, beside the database.
  const edge = new EdgeStack(app, 'BerthEdge', {
    env: { account, region: primaryRegion },
    config,
    consoleDir,
    regions: regional.map((r) => r.origins),
    originSecret: primary.originSecret,
    crossRegionReferences: true,
  });
  Tags.of(app).add('application', 'berth');
  return { primary, regional, edge };
}

async function main() {
  await bundleAll(DEFAULT_BUNDLE_DIR);
  await ensureConsoleBuilt();
  const app = new App();
  const config = parseDeployConfig(app.node.tryGetContext('berth'));
  buildStacks(app, config, DEFAULT_BUNDLE_DIR, process.env.CDK_DEFAULT_ACCOUNT);
  app.synth();
}

if (process.argv[1]?.endsWith('infra/app.ts')) await main();
