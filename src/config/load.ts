// load(): defaults < config file < environment (WK_*, plus PORT) < flags; every problem is
// listed at once and the result is deep-frozen. Only this module reads process.env.
import { readFileSync } from 'node:fs';
import { WkError } from '../core/errors.js';
import { SCHEMA, envName, flagName, type Config, type ConfigKey, type KeySpec } from './schema.js';

export interface LoadOptions {
  /** Flag values as given on the command line (strings or already-typed values). */
  flags?: Partial<Record<ConfigKey, unknown>>;
  /** A JSON config file; its keys are the schema keys. */
  configFile?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

type Raw = { value: unknown; from: string };

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const problems: string[] = [];
  const raw = new Map<ConfigKey, Raw>();

  if (opts.configFile) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(opts.configFile, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        problems.push(`config file ${opts.configFile}: must hold a JSON object`);
      } else {
        for (const [k, v] of Object.entries(parsed)) {
          if (!(k in SCHEMA)) problems.push(`config file ${opts.configFile}: unknown key "${k}"`);
          else raw.set(k as ConfigKey, { value: v, from: `config file key "${k}"` });
        }
      }
    } catch (err) {
      problems.push(`config file ${opts.configFile}: ${(err as Error).message}`);
    }
  }
  if (env.PORT !== undefined && env.PORT !== '') raw.set('port', { value: env.PORT, from: 'PORT' });
  for (const key of Object.keys(SCHEMA) as ConfigKey[]) {
    const name = envName(key);
    const v = env[name];
    if (v !== undefined && v !== '') raw.set(key, { value: v, from: name });
  }
  for (const [k, v] of Object.entries(opts.flags ?? {})) {
    if (v === undefined) continue;
    if (!(k in SCHEMA)) problems.push(`unknown option "${k}"`);
    else raw.set(k as ConfigKey, { value: v, from: `--${flagName(k)}` });
  }

  const out: Record<string, unknown> = {};
  for (const key of Object.keys(SCHEMA) as ConfigKey[]) {
    const spec: KeySpec = SCHEMA[key];
    const given = raw.get(key);
    if (!given) {
      out[key] = spec.default;
      continue;
    }
    const result = coerce(spec, given.value);
    if (typeof result === 'object') problems.push(`${given.from}: ${result.problem} (got ${JSON.stringify(given.value)})`);
    else out[key] = result;
  }
  if (problems.length > 0) {
    throw new WkError('ERR_CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return Object.freeze(out) as Config;
}

function coerce(spec: KeySpec, value: unknown): string | number | boolean | { problem: string } {
  switch (spec.type) {
    case 'int':
    case 'number': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n)) return { problem: 'must be a number' };
      if (spec.type === 'int' && !Number.isInteger(n)) return { problem: 'must be a whole number' };
      if (n < spec.min || n > spec.max) return { problem: `must be between ${spec.min} and ${spec.max}` };
      return n;
    }
    case 'bool': {
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === '1' || value === 'yes') return true;
      if (value === 'false' || value === '0' || value === 'no') return false;
      return { problem: 'must be true or false' };
    }
    case 'enum':
      if (typeof value === 'string' && spec.values.includes(value)) return value;
      return { problem: `must be one of ${spec.values.join(', ')}` };
    case 'url': {
      if (typeof value !== 'string') return { problem: 'must be a URL' };
      try {
        const u = new URL(value);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') return { problem: 'must be an http(s) URL' };
      } catch {
        return { problem: 'must be a URL' };
      }
      return value.replace(/\/+$/, '');
    }
    case 'string':
      if (typeof value !== 'string') return { problem: 'must be a string' };
      if (value === '' && !spec.allowEmpty) return { problem: 'must not be empty' };
      return value;
  }
}

/** A config for tests and embedded use: defaults plus overrides, validated the same way. */
export function testConfig(overrides: Partial<Record<ConfigKey, unknown>> = {}): Config {
  return loadConfig({ flags: overrides, env: {} });
}
