// Bench data: a SQLite store (real src/store schema) filled with enriched-looking canonical kills
// (docs/API.md#the-canonical-killmail) of realistic size: 2-6 KB of JSON each, 50 per system over 200 systems by default.
// Deterministic: the same options give the same bytes.
import { openStore } from '../../src/store/index.js';
import type { CanonicalAttacker, CanonicalKillmail, KillRecord } from '../../src/core/killmail.js';

export interface FillOptions {
  path: string;
  systems: number;
  killsPerSystem: number;
  seed: number;
}

export interface FillResult {
  systemIds: number[];
  kills: number;
  meanJsonBytes: number;
  minJsonBytes: number;
  maxJsonBytes: number;
}

const FIRST_SYSTEM = 30_000_001;
const SHIPS: readonly [number, string, number, string][] = [
  [587, 'Rifter', 25, 'Frigate'],
  [621, 'Caracal', 26, 'Cruiser'],
  [24690, 'Drake', 419, 'Combat Battlecruiser'],
  [17738, 'Machariel', 27, 'Battleship'],
  [11987, 'Guardian', 832, 'Logistics'],
  [22456, 'Sabre', 541, 'Interdictor'],
];

function mulberry(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function attacker(rand: () => number, i: number, final: boolean): CanonicalAttacker {
  const [shipId, shipName] = SHIPS[Math.floor(rand() * SHIPS.length)]!;
  const corp = 98_000_000 + Math.floor(rand() * 5000);
  const withAlliance = rand() < 0.7;
  return {
    character_id: 2_112_000_000 + Math.floor(rand() * 10_000_000),
    character_name: `Capsuleer ${Math.floor(rand() * 1e6).toString(36)} ${i}`,
    corporation_id: corp,
    corporation_name: `Corporation ${corp.toString(36)} Holdings`,
    corporation_ticker: corp.toString(36).slice(-4).toUpperCase(),
    ...(withAlliance
      ? { alliance_id: 99_000_000 + (corp % 700), alliance_name: `Alliance of ${corp % 700}`, alliance_ticker: `A${corp % 700}` }
      : {}),
    ship_type_id: shipId,
    ship_name: shipName,
    weapon_type_id: 2000 + Math.floor(rand() * 900),
    damage_done: Math.floor(rand() * 5000),
    final_blow: final,
    security_status: Math.round((rand() * 10 - 5) * 10) / 10,
  };
}

export function benchKill(id: number, systemId: number, killTimeMs: number, rand: () => number): CanonicalKillmail {
  const n = 3 + Math.floor(rand() * 14); // 3..16 attackers: ~2..6 KB enriched
  const attackers = Array.from({ length: n }, (_, i) => attacker(rand, i, i === 0));
  const [shipId, shipName, groupId, groupName] = SHIPS[Math.floor(rand() * SHIPS.length)]!;
  const value = Math.round(rand() * 5e9);
  return {
    killmail_id: id,
    kill_time: new Date(killTimeMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    system_id: systemId,
    solar_system_name: `J${systemId % 1_000_000}`,
    region_id: 10_000_000 + (systemId % 70),
    security_status: Math.round(rand() * 100) / 100,
    victim: {
      character_id: 2_112_000_000 + Math.floor(rand() * 10_000_000),
      character_name: `Victim ${id.toString(36)}`,
      corporation_id: 98_500_000,
      corporation_name: 'Unlucky Industries',
      corporation_ticker: 'UNLKY',
      alliance_id: 99_001_000,
      alliance_name: 'Wormhole Society',
      alliance_ticker: 'WHS',
      ship_type_id: shipId,
      ship_name: shipName,
      ship_group_id: groupId,
      ship_group_name: groupName,
      damage_taken: attackers.reduce((s, a) => s + a.damage_done, 0),
      position: { x: rand() * 1e12, y: rand() * 1e11, z: rand() * 1e12 },
    },
    attackers,
    attacker_count: n,
    zkb: {
      locationID: 40_000_000 + Math.floor(rand() * 1e6),
      hash: Math.floor(rand() * 2 ** 52)
        .toString(16)
        .padStart(40, '0'),
      fittedValue: value * 0.6,
      droppedValue: value * 0.2,
      destroyedValue: value * 0.8,
      totalValue: value,
      points: 1 + Math.floor(rand() * 50),
      npc: false,
      solo: n === 1,
      awox: false,
      labels: ['pvp', 'loc:w-space'],
    },
  };
}

function recordOf(k: CanonicalKillmail, json: string): KillRecord {
  const chars = new Set<number>([k.victim.character_id ?? 0, ...k.attackers.map((a) => a.character_id ?? 0)]);
  chars.delete(0);
  return {
    killmailId: k.killmail_id,
    systemId: k.system_id,
    killTimeMs: Date.parse(k.kill_time),
    characterIds: [...chars],
    victimCharacterId: k.victim.character_id ?? 0,
    totalValue: k.zkb?.totalValue ?? 0,
    npc: false,
    json,
    replace: false,
    enriched: true,
    receivedAtUs: 0,
  };
}

/** Create (or refill) the store file. Kills are spread over the last 20 hours. */
export function fillStore(opts: FillOptions): FillResult {
  const store = openStore({ path: opts.path, retentionHours: 0 });
  const rand = mulberry(opts.seed);
  const now = Date.now();
  const systemIds = Array.from({ length: opts.systems }, (_, i) => FIRST_SYSTEM + i);
  let total = 0;
  let min = Infinity;
  let max = 0;
  let id = 120_000_000;
  for (const systemId of systemIds) {
    const batch: KillRecord[] = [];
    for (let k = 0; k < opts.killsPerSystem; k++) {
      const kill = benchKill(id++, systemId, now - Math.floor(rand() * 20 * 3_600_000), rand);
      const json = JSON.stringify(kill);
      total += json.length;
      min = Math.min(min, json.length);
      max = Math.max(max, json.length);
      batch.push(recordOf(kill, json));
    }
    store.writer.writeBatch(batch);
  }
  store.close();
  const kills = systemIds.length * opts.killsPerSystem;
  return { systemIds, kills, meanJsonBytes: Math.round(total / kills), minJsonBytes: min, maxJsonBytes: max };
}
