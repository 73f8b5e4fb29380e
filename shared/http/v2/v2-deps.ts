import type { RegistryAccess } from '../../access/registry-access.js';
import type { Registry } from '../../registry/registry.js';

/** What the `/v2` routes call: the registry core and the access rules in front of it. */
export interface V2Deps {
  registry: Registry;
  access: RegistryAccess;
}
