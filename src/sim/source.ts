// Where published kills come from: the seeded generator (endless) or a replay folder (finite).
// A source turns a reference (generator index or replay position) plus a kill time into a kill;
// entries keep only the reference, so bodies can be rebuilt byte-for-byte on demand.
import type { EsiKillmail, GeneratedKill } from './esi-types.js';
import { DEFAULT_START_KILLMAIL_ID, generateKill, killHash, type GeneratorOptions } from './generator.js';

export interface KillSource {
  /** Number of kills available; undefined for an endless source. */
  readonly size: number | undefined;
  /** killmail_id and hash of a reference, without building the whole kill. */
  identity(ref: number): { killmailId: number; hash: string };
  /** Kill time (epoch ms) of a reference published at `publishMs`. */
  killTimeMs(ref: number, publishMs: number): number;
  /** The kill; `attackers` forces that many attackers (the oversized bad entry). */
  kill(ref: number, killTimeMs: number, extraLabels: readonly string[], attackers?: number): GeneratedKill;
}

export function createGeneratedSource(opts: GeneratorOptions & { killAgeMs?: number }): KillSource {
  const seed = opts.seed ?? 1;
  const age = opts.killAgeMs ?? 0;
  return {
    size: undefined,
    identity(ref) {
      // Cheap path: the id is arithmetic and the hash a sha1, no generation needed.
      const k = generateKillIdentity(ref, opts);
      return { killmailId: k.killmailId, hash: k.hash };
    },
    killTimeMs: (_ref, publishMs) => publishMs - age,
    kill: (ref, killTimeMs, extraLabels, attackers) =>
      generateKill(ref, { ...opts, seed }, killTimeMs, { extraLabels, ...(attackers !== undefined ? { attackers } : {}) }),
  };
}

function generateKillIdentity(ref: number, opts: GeneratorOptions): { killmailId: number; hash: string } {
  const killmailId = (opts.startKillmailId ?? DEFAULT_START_KILLMAIL_ID) + ref;
  return { killmailId, hash: killHash(opts.seed ?? 1, killmailId) };
}

/** Replace `killmail_time` without disturbing key order (the served bytes stay ESI-like). */
export function withKillTime(esi: EsiKillmail, killTimeMs: number): EsiKillmail {
  return { ...esi, killmail_time: new Date(Math.floor(killTimeMs / 1000) * 1000).toISOString().replace('.000Z', 'Z') };
}
