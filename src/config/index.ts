export { loadConfig, testConfig, type LoadOptions } from './load.js';
export { SCHEMA, envName, flagName, type Config, type ConfigKey, type KeySpec } from './schema.js';
