// Turns the config schema into commander options, so every key has a flag with the same
// name, type and documentation as its WK_* variable. Values stay strings here:
// config/load.ts parses and validates them with everything else, listing every problem.
import { Option, type Command } from 'commander';
import { SCHEMA, envName, flagName, type ConfigKey, type Config, loadConfig } from '../config/index.js';

export function addConfigOptions(cmd: Command, keys: readonly ConfigKey[] = Object.keys(SCHEMA) as ConfigKey[]): Command {
  cmd.option('--config <file>', 'JSON config file (keys as in the schema: port, cutoffSeconds, ...)');
  for (const key of keys) {
    const spec = SCHEMA[key];
    const hint = spec.type === 'enum' ? spec.values.join('|') : spec.type === 'bool' ? 'true|false' : spec.type;
    const opt = new Option(`--${flagName(key)} <${hint}>`, `${spec.doc} [${envName(key)}, default ${JSON.stringify(spec.default)}]`);
    cmd.addOption(opt);
  }
  return cmd;
}

/** Reads the parsed commander options back into a validated, frozen Config. */
export function configFromOptions(opts: Record<string, unknown>): Config {
  const flags: Partial<Record<ConfigKey, unknown>> = {};
  for (const key of Object.keys(SCHEMA) as ConfigKey[]) {
    if (opts[key] !== undefined) flags[key] = opts[key];
  }
  const configFile = typeof opts.config === 'string' ? opts.config : undefined;
  return loadConfig({ flags, configFile });
}
