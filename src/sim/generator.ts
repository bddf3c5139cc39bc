// Deterministic killmail generator: generateKill(index) gives the same bytes for the same seed,
// index and kill time. The mix aims at what consumers must survive on the real feed: mostly
// small fights, sometimes blobs, rarely 1000+ attackers; NPC-only kills, pods, structures, wars,
// moons, nested containers and optional fields that are sometimes absent.
import {
  CONTAINERS,
  ITEMS,
  NPC_SHIPS,
  SHIPS,
  STRUCTURES,
  SYSTEMS,
  WEAPONS,
  securityClass,
  type SecurityClass,
  type SystemRow,
  type TypeRow,
} from './data.js';
import type { EsiAttacker, EsiItem, EsiKillmail, EsiVictim, GeneratedKill } from './esi-types.js';
import { CHARACTER_POOL, allianceId, allianceIndexOfCorp, characterId, corpIndexOfCharacter, corporationId } from './names.js';
import { Rng, rngFor, sha1Hex } from './rng.js';
import { buildZkb } from './zkb.js';

export interface GeneratorOptions {
  seed?: number;
  /** killmail_id of index 0 (default 130,000,000, near today's real ids). */
  startKillmailId?: number;
  /** Every Nth kill (index + 1) has 1000+ attackers; 0 disables (default 1000). */
  hugeEvery?: number;
  /** Base of `zkb.href` (default https://esi.evetech.net; the simulator passes its own URL). */
  esiBaseUrl?: string;
}

export interface KillOverrides {
  /** Force this many attackers (the oversized bad entry uses 6000). */
  attackers?: number;
  /** Labels added to zkb (a republished entry carries e.g. "ganked"). */
  extraLabels?: readonly string[];
}

export const DEFAULT_START_KILLMAIL_ID = 130_000_000;
const DEFAULT_HUGE_EVERY = 1000;

const BY_CLASS = new Map<SecurityClass, SystemRow[]>();
for (const s of SYSTEMS) {
  const c = securityClass(s);
  BY_CLASS.set(c, [...(BY_CLASS.get(c) ?? []), s]);
}
// Share of kills per space class: roughly zKillboard's daily split.
const CLASS_WEIGHTS: readonly [SecurityClass, number][] = [
  ['highsec', 0.3],
  ['lowsec', 0.25],
  ['nullsec', 0.3],
  ['w-space', 0.1],
  ['pochven', 0.05],
];
const CAPITAL_GROUPS = new Set([30, 485, 513, 547, 659, 902, 1538]);
// Sub-capitals are six times as likely as capitals; the Capsule is chosen separately (pods).
const LOSS_SHIPS: readonly TypeRow[] = SHIPS.filter((s) => s.id !== 670).flatMap((s) =>
  CAPITAL_GROUPS.has(s.groupId) ? [s] : [s, s, s, s, s, s],
);
const ATTACKER_SHIPS: readonly TypeRow[] = SHIPS.filter((s) => s.id !== 670 && s.groupId !== 28 && s.groupId !== 513);
const PLAYER_WEAPONS = WEAPONS.filter((w) => w.groupId !== 1327);
const STRUCTURE_WEAPON = WEAPONS.find((w) => w.groupId === 1327) as TypeRow;

/** The deterministic hash of a generated kill. */
export function killHash(seed: number, killmailId: number): string {
  return sha1Hex(`wk-sim:${seed}:${killmailId}`);
}

/** Kill number `index` of the seeded stream; its time is `killTimeMs` (default now). */
export function generateKill(
  index: number,
  opts: GeneratorOptions = {},
  killTimeMs: number = Date.now(),
  overrides: KillOverrides = {},
): GeneratedKill {
  const seed = opts.seed ?? 1;
  const rng = rngFor(seed, index);
  const killmailId = (opts.startKillmailId ?? DEFAULT_START_KILLMAIL_ID) + index;
  const hugeEvery = opts.hugeEvery ?? DEFAULT_HUGE_EVERY;
  const huge = hugeEvery > 0 && (index + 1) % hugeEvery === 0;

  const roll = rng.next();
  const kind = huge || roll < 0.02 ? 'structure' : roll < 0.14 ? 'pod' : 'ship';
  const npcOnly = kind !== 'structure' && !huge && rng.chance(0.08);
  const system = huge ? rng.pick(BY_CLASS.get('nullsec') ?? SYSTEMS) : pickSystem(rng);
  const victim = makeVictim(rng, kind);
  const attackerCount = overrides.attackers ?? (huge ? rng.int(1000, 1500) : npcOnly ? rng.int(1, 5) : attackerCountFor(rng));
  const attackers = npcOnly
    ? Array.from({ length: attackerCount }, () => npcAttacker(rng))
    : playerAttackers(rng, attackerCount, victim, securityClass(system));
  distributeDamage(rng, victim, attackers);

  const esi: EsiKillmail = {
    killmail_id: killmailId,
    killmail_time: new Date(Math.floor(killTimeMs / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    solar_system_id: system.id,
    victim,
    attackers,
  };
  // Structures sit at moons about half the time; wars are a high-sec affair.
  if (kind === 'structure' && rng.chance(0.5)) esi.moon_id = 40_000_000 + (system.id % 100_000) * 10 + rng.int(1, 9);
  if (securityClass(system) === 'highsec' && rng.chance(0.06)) esi.war_id = rng.int(700_000, 760_000);

  const hash = killHash(seed, killmailId);
  const zkb = buildZkb(esi, hash, rng, opts.esiBaseUrl ?? 'https://esi.evetech.net', overrides.extraLabels ?? []);
  return { killmail_id: killmailId, hash, esi: esiOrder(esi), zkb };
}

/** ESI writes every object's keys in alphabetical order; the simulator's kills read the same. */
function esiOrder<T>(v: T): T {
  if (Array.isArray(v)) return v.map(esiOrder) as T;
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v).sort()) out[key] = esiOrder((v as Record<string, unknown>)[key]);
  return out as T;
}

function pickSystem(rng: Rng): SystemRow {
  let r = rng.next();
  for (const [cls, weight] of CLASS_WEIGHTS) {
    r -= weight;
    if (r < 0) return rng.pick(BY_CLASS.get(cls) ?? SYSTEMS);
  }
  return rng.pick(SYSTEMS);
}

/** 85 % 1-10 (30 % solo), 13.5 % 11-100, 1.5 % 101-400; 1000+ comes from hugeEvery. */
function attackerCountFor(rng: Rng): number {
  const r = rng.next();
  if (r < 0.3) return 1;
  if (r < 0.85) return rng.int(2, 10);
  if (r < 0.985) return rng.int(11, 100);
  return rng.int(101, 400);
}

/** Pool index skewed towards low numbers so a few hundred pilots appear in most kills. */
function pilotIndex(rng: Rng): number {
  const r = rng.next();
  return Math.floor(CHARACTER_POOL * r * r);
}

function pilot(index: number): { character_id: number; corporation_id: number; alliance_id?: number } {
  const corp = corpIndexOfCharacter(index);
  const alliance = allianceIndexOfCorp(corp);
  return {
    character_id: characterId(index),
    corporation_id: corporationId(corp),
    ...(alliance >= 0 ? { alliance_id: allianceId(alliance) } : {}),
  };
}

function makeVictim(rng: Rng, kind: 'structure' | 'pod' | 'ship'): EsiVictim {
  const position = rng.chance(0.85)
    ? { x: (rng.next() - 0.5) * 2e12, y: (rng.next() - 0.5) * 2e11, z: (rng.next() - 0.5) * 2e12 }
    : undefined;
  if (kind === 'structure') {
    const owner = pilot(pilotIndex(rng));
    const { character_id: _ignored, ...corp } = owner;
    return { ...corp, ship_type_id: rng.pick(STRUCTURES).id, damage_taken: 0, ...(position ? { position } : {}), items: makeItems(rng, 3) };
  }
  const who = pilot(pilotIndex(rng));
  // Factional warfare pilots carry a faction on their losses.
  const faction = rng.chance(0.04) ? { faction_id: rng.int(500_001, 500_004) } : {};
  const ship = kind === 'pod' ? 670 : rng.pick(LOSS_SHIPS).id;
  const items = kind === 'pod' ? makeImplants(rng) : makeItems(rng, 15);
  return {
    ...who,
    ...faction,
    ship_type_id: ship,
    damage_taken: 0,
    ...(position ? { position } : {}),
    ...(items.length > 0 ? { items } : {}),
  };
}

function makeImplants(rng: Rng): EsiItem[] {
  const n = rng.int(0, 3);
  return Array.from({ length: n }, () => ({ flag: 89, item_type_id: 19540, singleton: 0, quantity_destroyed: 1 }));
}

function makeItems(rng: Rng, max: number): EsiItem[] {
  const items: EsiItem[] = [];
  const n = rng.int(0, max);
  for (let i = 0; i < n; i++) items.push(makeItem(rng, rng.pick([5, 11, 12, 19, 20, 27, 28, 87]), rng.pick(ITEMS)));
  if (max > 5 && rng.chance(0.15)) {
    const inner = Array.from({ length: rng.int(1, 5) }, () => makeItem(rng, 5, rng.pick(ITEMS)));
    items.push({ ...makeItem(rng, 5, rng.pick(CONTAINERS)), singleton: 0, items: inner });
  }
  return items;
}

function makeItem(rng: Rng, flag: number, type: TypeRow): EsiItem {
  const qty = flag === 5 ? rng.int(1, 5000) : 1;
  return rng.chance(0.4)
    ? { flag, item_type_id: type.id, singleton: 0, quantity_dropped: qty }
    : { flag, item_type_id: type.id, singleton: 0, quantity_destroyed: qty };
}

function npcAttacker(rng: Rng): EsiAttacker {
  const npc = rng.pick(NPC_SHIPS);
  // ESI names NPCs by corporation or, for some rats, by faction only.
  const owner = npc.factionId > 0 && rng.chance(0.3) ? { faction_id: npc.factionId } : { corporation_id: npc.corporationId };
  return { ...owner, ship_type_id: npc.id, damage_done: 0, final_blow: false, security_status: 0 };
}

function playerAttackers(rng: Rng, count: number, victim: EsiVictim, cls: SecurityClass): EsiAttacker[] {
  const seen = new Set<number>(victim.character_id !== undefined ? [victim.character_id] : []);
  const out: EsiAttacker[] = [];
  const awox = count > 1 && victim.corporation_id !== undefined && rng.chance(0.02);
  for (let i = 0; i < count; i++) {
    if (i > 0 && i === count - 1 && rng.chance(0.1)) {
      out.push(npcAttacker(rng)); // a rat joining in does not make the kill NPC-only
      continue;
    }
    let index = pilotIndex(rng);
    // Unique pilots per kill, as on real mails. A collision re-draws uniformly (the skewed draw
    // collides often in big fights, and linear probing through a dense block is quadratic); past
    // the pool size (the 6000-attacker bad entry) repeats are unavoidable, so re-drawing stops.
    for (let tries = 0; tries < 8 && seen.size < CHARACTER_POOL && seen.has(characterId(index)); tries++) {
      index = rng.int(0, CHARACTER_POOL - 1);
    }
    const who = pilot(index);
    seen.add(who.character_id);
    if (i === 0 && awox) who.corporation_id = victim.corporation_id as number;
    out.push(playerAttacker(rng, who));
  }
  if (cls === 'nullsec' && rng.chance(0.03) && victim.corporation_id !== undefined) {
    // Citadels shoot back: ESI lists them with a corporation and a structure hull, no character.
    out.push({
      corporation_id: corporationId(rng.int(0, 599)),
      ship_type_id: rng.pick(STRUCTURES).id,
      weapon_type_id: STRUCTURE_WEAPON.id,
      damage_done: 0,
      final_blow: false,
      security_status: 0,
    });
  }
  return out;
}

function playerAttacker(rng: Rng, who: ReturnType<typeof pilot>): EsiAttacker {
  const ship = rng.pick(ATTACKER_SHIPS).id;
  const a: EsiAttacker = { ...who, damage_done: 0, final_blow: false, security_status: Math.round((rng.next() * 15 - 10) * 10) / 10 };
  if (rng.chance(0.95)) a.ship_type_id = ship;
  const w = rng.next();
  if (w < 0.8) a.weapon_type_id = rng.pick(PLAYER_WEAPONS).id;
  else if (w < 0.9) a.weapon_type_id = ship; // ESI reports the hull as the weapon for some kills
  return a;
}

/** Damage sums to damage_taken; the top damage dealer usually lands the final blow. */
function distributeDamage(rng: Rng, victim: EsiVictim, attackers: EsiAttacker[]): void {
  let total = 0;
  for (const a of attackers) {
    a.damage_done = rng.chance(0.05) ? 0 : rng.int(50, 20_000);
    total += a.damage_done;
  }
  victim.damage_taken = total;
  const first = attackers[rng.chance(0.7) ? 0 : rng.int(0, attackers.length - 1)];
  if (first) first.final_blow = true;
}
