import { parse as parseYaml } from 'yaml';
import { ConfigError } from './config.js';

/** The keys of a `config.yaml`; kept apart so runtimes without a file never bundle a YAML parser. */
export function parseConfigYaml(text: string): Record<string, unknown> {
  let values: unknown;
  try {
    values = parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError(`config.yaml is not valid YAML: ${(error as Error).message}`);
  }
  if (typeof values !== 'object' || Array.isArray(values)) {
    throw new ConfigError('config.yaml must be a mapping of keys to values');
  }
  return values as Record<string, unknown>;
}
