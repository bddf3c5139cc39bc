// The simulator stage: a loopback HTTP server that speaks R2Z2, RedisQ, ESI and the zKB API
// with deterministic data, fault injection and replay of real killmails.

/**
 * Create a simulator; `start()` listens (port 0 by default) and resolves with the real port and
 * base URL, which serves as the R2Z2 base, the ESI base, the zKB base and `${url}/listen.php`.
 */
export { createSimulator } from './server.js';
export type { SimOptions, SimStats, Simulator } from './options.js';
/** SimOptions from the loaded config (simRate, simSeed, simReplay) plus explicit overrides. */
export { simOptionsFromConfig } from './from-config.js';
/** Fault injection specs (also accepted as JSON by `POST /_sim/faults`). */
export { validateFaults, type FaultSpec, type FaultKind, type FaultRoute } from './faults.js';
/** Deterministic kill generator: same seed, index and time give the same bytes. */
export { generateKill, killHash, DEFAULT_START_KILLMAIL_ID, type GeneratorOptions, type KillOverrides } from './generator.js';
/** Deterministic ESI names of generated ids, and the pool id helpers tests subscribe with. */
export { nameFor, characterId, corporationId, allianceId, CHARACTER_POOL, NameBook, type ResolvedName } from './names.js';
/** The restamp rule used by `--replay DIR --restamp`. */
export { restampOffsets } from './replay.js';
export type { RedisqShape } from './redisq.js';
export {
  BAD_KINDS,
  type BadKind,
  type EsiKillmail,
  type EsiAttacker,
  type EsiVictim,
  type EsiItem,
  type GeneratedKill,
  type ZkbMeta,
} from './esi-types.js';
/** Static tables (real EVE ids) the generator draws from. */
export { SYSTEMS, SHIPS, STRUCTURES, NPC_SHIPS, ALL_TYPES } from './data.js';
