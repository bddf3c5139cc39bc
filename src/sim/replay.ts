// Replay real ESI killmails from a folder (e.g. shared/fixtures/killmails/esi): every *.json is
// one plain ESI killmail, optionally carrying a non-ESI `killmail_hash`. Kills are published once
// each, in killmail_id order. A file that is not a killmail is counted with its reason, never fatal.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EsiAttacker, EsiKillmail, GeneratedKill } from './esi-types.js';
import { rngFor, sha1Hex } from './rng.js';
import { withKillTime, type KillSource } from './source.js';
import { buildZkb } from './zkb.js';

export interface ReplayOptions {
  dir: string;
  /** Shift kill times towards the publish time (see restampOffsets). */
  restamp?: boolean;
  esiBaseUrl: string;
}

export interface ReplaySource extends KillSource {
  readonly size: number;
  /** Files skipped, with the reason for each. */
  readonly rejected: readonly { file: string; reason: string }[];
  /** Every killmail body, for name registration. */
  readonly mails: readonly EsiKillmail[];
}

// Restamped kills all fall within the last 50 minutes at publish time, leaving 10 minutes of slack
// under the default 1 h cutoff for a consumer that receives them a little late.
const RESTAMP_SPAN_MS = 50 * 60_000;
const HEX40 = /^[0-9a-f]{40}$/;

export function loadReplay(opts: ReplayOptions): ReplaySource {
  const rejected: { file: string; reason: string }[] = [];
  const loaded: { esi: EsiKillmail; hash: string }[] = [];
  for (const file of readdirSync(opts.dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const parsed = readMail(join(opts.dir, file));
    if (typeof parsed === 'string') rejected.push({ file, reason: parsed });
    else loaded.push(parsed);
  }
  loaded.sort((a, b) => a.esi.killmail_id - b.esi.killmail_id);
  const offsets = opts.restamp ? restampOffsets(loaded.map((m) => Date.parse(m.esi.killmail_time))) : [];

  const at = (ref: number): { esi: EsiKillmail; hash: string } => {
    const m = loaded[ref];
    if (!m) throw new RangeError(`replay reference ${ref} out of range 0..${loaded.length - 1}`);
    return m;
  };
  return {
    size: loaded.length,
    rejected,
    mails: loaded.map((m) => m.esi),
    identity: (ref) => ({ killmailId: at(ref).esi.killmail_id, hash: at(ref).hash }),
    killTimeMs: (ref, publishMs) => (opts.restamp ? publishMs - (offsets[ref] ?? 0) : Date.parse(at(ref).esi.killmail_time)),
    kill(ref, killTimeMs, extraLabels, attackers): GeneratedKill {
      const m = at(ref);
      let esi = withKillTime(m.esi, killTimeMs);
      if (attackers !== undefined) esi = { ...esi, attackers: expandAttackers(esi.attackers, attackers) };
      const zkb = buildZkb(esi, m.hash, rngFor(0, esi.killmail_id, 7), opts.esiBaseUrl, extraLabels);
      return { killmail_id: esi.killmail_id, hash: m.hash, esi, zkb };
    },
  };
}

function readMail(path: string): { esi: EsiKillmail; hash: string } | string {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'not a JSON object';
  const { killmail_hash: hash, ...esi } = doc as Record<string, unknown>;
  if (!Number.isSafeInteger(esi.killmail_id)) return 'killmail_id missing or not an integer';
  if (typeof esi.killmail_time !== 'string' || Number.isNaN(Date.parse(esi.killmail_time))) return 'killmail_time missing or invalid';
  if (!Array.isArray(esi.attackers) || typeof esi.victim !== 'object' || esi.victim === null) return 'victim or attackers missing';
  const mail = esi as unknown as EsiKillmail;
  const h = typeof hash === 'string' && HEX40.test(hash) ? hash : sha1Hex(`wk-replay:${mail.killmail_id}`);
  return { esi: mail, hash: h };
}

/**
 * Restamp rule, per kill in id order: take the original kill times, measure each kill's age
 * behind the newest one, and compress it. Consecutive gaps (in time order) are kept but each is
 * capped at RESTAMP_SPAN_MS / (n - 1), so the oldest kill is at most 50 minutes older than the
 * newest. At publish, kill time = publish time - that compressed age: the newest replayed kill
 * is stamped "now" and none is ever older than 50 minutes when it is published.
 */
export function restampOffsets(timesMs: readonly number[]): number[] {
  const n = timesMs.length;
  if (n <= 1) return timesMs.map(() => 0);
  const capMs = Math.floor(RESTAMP_SPAN_MS / (n - 1));
  const order = timesMs.map((t, i) => ({ t, i })).sort((a, b) => b.t - a.t); // newest first
  const offsets = new Array<number>(n).fill(0);
  let age = 0;
  for (let k = 1; k < order.length; k++) {
    const newer = order[k - 1];
    const cur = order[k];
    if (!newer || !cur) continue;
    age += Math.min(newer.t - cur.t, capMs);
    offsets[cur.i] = age;
  }
  return offsets;
}

/** Cycle the real attackers up to `count` (one final blow), for the oversized bad entry. */
function expandAttackers(base: readonly EsiAttacker[], count: number): EsiAttacker[] {
  if (base.length === 0) return [];
  return Array.from({ length: count }, (_, i) => ({ ...(base[i % base.length] as EsiAttacker), final_blow: i === 0 }));
}
