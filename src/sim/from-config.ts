// SimOptions from the service configuration (`--source sim`, `wkills sim`): the few keys the
// config schema carries (simRate, simSeed, simReplay); everything else keeps its default or
// comes from `extra` (CLI flags such as --port, --restamp, --bad-every).
import type { SimOptions } from './options.js';

/** The simulator keys of the service configuration (the simulator stands alone: it does not import config/). */
export interface SimConfigKeys {
  simRate: number;
  simSeed: number;
  simReplay: string;
}

export function simOptionsFromConfig(cfg: SimConfigKeys, extra: SimOptions = {}): SimOptions {
  const replay = cfg.simReplay !== '' ? { replayDir: cfg.simReplay, restamp: true } : {};
  // An embedded replay is restamped by default: the service's 1 h cutoff would otherwise count
  // every real (old) fixture as `older` and broadcast nothing.
  return { seed: cfg.simSeed, rate: cfg.simRate, ...replay, ...extra };
}
