// Deterministic player entities and names. Characters, corporations and alliances come from
// bounded pools so the same pilots recur across kills (tests can subscribe to one character and
// expect traffic). Ids live in the real ranges (characters 90M.. and 2.112B.., corporations 98M..,
// alliances 99M..) with a fixed stride, so an id that is in range but off the stride resolves to
// nothing: a realistic "unknown id" for the names endpoint.
import { ALL_TYPES, FACTIONS, GROUPS_BY_ID, NPC_CORPORATIONS, REGION_NAMES, SYSTEMS, SYSTEMS_BY_ID } from './data.js';

export const CHARACTER_POOL = 4096;
export const CORPORATION_POOL = 600;
export const ALLIANCE_POOL = 120;

const CHAR_OLD_BASE = 90_000_000;
const CHAR_NEW_BASE = 2_112_000_000;
const CHAR_STRIDE = 1019;
const CORP_BASE = 98_000_000;
const CORP_STRIDE = 1009;
const ALLIANCE_BASE = 99_000_000;
const ALLIANCE_STRIDE = 1013;

const FIRST = words(`Aria Boris Cyra Dax Elena Fenn Gala Hiro Ines Jarek Kaia Lior Mira Nox Orin Pia
Quill Rhea Soren Tali Ulf Vera Wren Xan Yara Zed Ash Brio Cade Dima Eska Faro Gus Hale Ivo Juno Kest
Lumi Milo Nadia Oskar Pell Rook Sable Tarin Uma Vex Wade Yuri Zora Anouk Bram Cass Drey Emil Freya Gideon
Hana Ilya Jonas Kira Leif Maren Niko`);
const LAST = words(`Ashgrove Blackwood Corvane Drakos Eskildsen Falk Graves Halloran Ironside Jaskari
Kovacs Larkin Moreau Nakamura Oduya Petrov Quist Reyes Stark Thorne Ulrich Varga Winters Xiong Yilmaz
Zaleski Arkwright Brannock Calloway Dunmore Everhart Fairbanks Galloway Hawthorne Ingram Jericho Kaldor
Lockhart Merrow Northcott Okonkwo Pryce Quenby Rasmussen Sorensen Talvik Umbra Vance Whitlock Yamada
Zhukov Abbot Bellamy Crane Dalton Ekberg Frost Gunnar Holt Isaksen Jansen Keene Lund Marsh`);
const ADJ = words(`Crimson Silent Iron Hollow Burning Frozen Shattered Void Golden Azure Feral Grim
Lucky Rogue Stellar Obsidian Savage Ancient Vigilant Wicked Radiant Broken Nomad Eternal Phantom Lunar
Sovereign Molten Rusty Blind Jagged Drifting`);
const NOUN = words(`Anvil Vanguard Harbor Tempest Lantern Warden Kestrel Orbit Foundry Syndicate Covenant
Spire Reaver Comet Bastion Horizon Nebula Talon Citadel Forge Wolves Ravens Serpents Miners Pilgrims
Outlaws Raiders Sentinels Brokers Hounds Pioneers Wraiths`);
const CORP_SUFFIX = words('Industries Holdings Corp Enterprises Logistics Unlimited Security Collective');
const ALLIANCE_SUFFIX = words('Alliance Coalition Federation Union Syndicate Accord');
const SYLLABLES = words('ka mo to ri ve la nu sa te or an ir es ul ya zo ki ma');

function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== '');
}

/** murmur3 fmix32: spreads nearby ids into unrelated values, so pools look random but stay fixed. */
export function mix32(n: number): number {
  let h = n >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function pick<T>(list: readonly T[], n: number): T {
  return list[n % list.length] as T;
}

export function characterId(index: number): number {
  const slot = index >> 1;
  return (index & 1) === 0 ? CHAR_NEW_BASE + slot * CHAR_STRIDE : CHAR_OLD_BASE + slot * CHAR_STRIDE;
}

export function corporationId(index: number): number {
  return CORP_BASE + index * CORP_STRIDE;
}

export function allianceId(index: number): number {
  return ALLIANCE_BASE + index * ALLIANCE_STRIDE;
}

function strideIndex(id: number, base: number, stride: number, size: number): number {
  const off = id - base;
  if (off < 0 || off % stride !== 0) return -1;
  const i = off / stride;
  return i < size ? i : -1;
}

export function characterIndex(id: number): number {
  const half = CHARACTER_POOL / 2;
  const fresh = strideIndex(id, CHAR_NEW_BASE, CHAR_STRIDE, half);
  if (fresh >= 0) return fresh * 2;
  const old = strideIndex(id, CHAR_OLD_BASE, CHAR_STRIDE, half);
  return old >= 0 ? old * 2 + 1 : -1;
}

/** Corporation pool index of a pool character (stable membership). */
export function corpIndexOfCharacter(charIndex: number): number {
  return mix32(charIndex * 2654435761) % CORPORATION_POOL;
}

/** About 70 % of corporations sit in an alliance; -1 when none. */
export function allianceIndexOfCorp(corpIndex: number): number {
  const h = mix32(corpIndex + 0x9e3779b9);
  return h % 10 < 7 ? (h >>> 8) % ALLIANCE_POOL : -1;
}

export type NameCategory =
  'character' | 'corporation' | 'alliance' | 'faction' | 'solar_system' | 'constellation' | 'region' | 'inventory_type';

export interface ResolvedName {
  id: number;
  name: string;
  category: NameCategory;
}

function characterName(id: number, index: number): string {
  if (index >= 0) return `${pick(FIRST, index)} ${pick(LAST, index >> 6)}`;
  const h = mix32(id);
  return `${pick(FIRST, h)} ${pick(LAST, h >>> 8)}`;
}

function corporationName(index: number): { name: string; ticker: string } {
  const name = `${pick(ADJ, index)} ${pick(NOUN, index >> 5)} ${pick(CORP_SUFFIX, mix32(index))}`;
  const ticker = (name.charAt(0) + index.toString(36).padStart(3, '0')).toUpperCase();
  return { name, ticker };
}

function allianceName(index: number): { name: string; ticker: string } {
  const name = `${pick(ADJ, index * 7 + 3)} ${pick(NOUN, index * 5 + 1)} ${pick(ALLIANCE_SUFFIX, index)}`;
  const ticker = ('A' + index.toString(36).padStart(3, '0') + name.charAt(0)).toUpperCase();
  return { name, ticker };
}

export function constellationName(id: number): string {
  const h = mix32(id);
  const raw = pick(SYLLABLES, h) + pick(SYLLABLES, h >>> 5) + pick(SYLLABLES, h >>> 10);
  return raw.charAt(0).toUpperCase() + raw.slice(1);
}

const CONSTELLATION_REGION = new Map(SYSTEMS.map((s) => [s.constellationId, s.regionId]));

/**
 * Names for every id the simulator knows. `register` adds entities met in replayed killmails
 * (real ids outside the pools) so they resolve too; `unresolvable` ids always fail, as deleted
 * characters and citadels do on the real ESI.
 */
export class NameBook {
  private readonly registered = new Map<number, 'character' | 'corporation' | 'alliance'>();
  readonly unresolvable: Set<number>;

  constructor(unresolvable: Iterable<number> = []) {
    this.unresolvable = new Set(unresolvable);
  }

  private readonly memberships = new Map<number, { corporationId: number; allianceId?: number }>();

  register(category: 'character' | 'corporation' | 'alliance', id: number): void {
    if (!this.registered.has(id)) this.registered.set(id, category);
  }

  /** Registers the ids of a replayed kill's victim or attacker so ESI can answer for them. */
  registerParty(p: { character_id?: number; corporation_id?: number; alliance_id?: number }): void {
    if (p.corporation_id !== undefined) this.register('corporation', p.corporation_id);
    if (p.alliance_id !== undefined) this.register('alliance', p.alliance_id);
    if (p.character_id !== undefined) {
      this.register('character', p.character_id);
      if (p.corporation_id !== undefined && !this.memberships.has(p.character_id)) {
        const a = p.alliance_id !== undefined ? { allianceId: p.alliance_id } : {};
        this.memberships.set(p.character_id, { corporationId: p.corporation_id, ...a });
      }
    }
  }

  /** Corporation and alliance of a character; undefined when it does not resolve. */
  membership(id: number): { corporationId: number; allianceId?: number } | undefined {
    if (this.unresolvable.has(id)) return undefined;
    const index = characterIndex(id);
    if (index >= 0) {
      const corp = corpIndexOfCharacter(index);
      const a = allianceIndexOfCorp(corp);
      return { corporationId: corporationId(corp), ...(a >= 0 ? { allianceId: allianceId(a) } : {}) };
    }
    if (this.registered.get(id) !== 'character') return undefined;
    return this.memberships.get(id) ?? { corporationId: 1_000_125 };
  }

  resolve(id: number): ResolvedName | undefined {
    if (this.unresolvable.has(id)) return undefined;
    const category = this.categoryOf(id);
    if (category === undefined) return undefined;
    return { id, name: this.nameOf(id, category), category };
  }

  categoryOf(id: number): NameCategory | undefined {
    if (characterIndex(id) >= 0) return 'character';
    if (strideIndex(id, CORP_BASE, CORP_STRIDE, CORPORATION_POOL) >= 0 || NPC_CORPORATIONS.has(id)) return 'corporation';
    if (strideIndex(id, ALLIANCE_BASE, ALLIANCE_STRIDE, ALLIANCE_POOL) >= 0) return 'alliance';
    const reg = this.registered.get(id);
    if (reg !== undefined) return reg;
    if (FACTIONS.has(id)) return 'faction';
    if (SYSTEMS_BY_ID.has(id)) return 'solar_system';
    if (CONSTELLATION_REGION.has(id)) return 'constellation';
    if (REGION_NAMES.has(id)) return 'region';
    if (ALL_TYPES.has(id)) return 'inventory_type';
    return undefined;
  }

  private nameOf(id: number, category: NameCategory): string {
    switch (category) {
      case 'character':
        return characterName(id, characterIndex(id));
      case 'corporation':
        return this.corporation(id)?.name ?? '';
      case 'alliance':
        return this.alliance(id)?.name ?? '';
      case 'faction':
        return FACTIONS.get(id) ?? '';
      case 'solar_system':
        return SYSTEMS_BY_ID.get(id)?.name ?? '';
      case 'constellation':
        return constellationName(id);
      case 'region':
        return REGION_NAMES.get(id) ?? '';
      case 'inventory_type':
        return ALL_TYPES.get(id)?.name ?? '';
    }
  }

  corporation(id: number): { name: string; ticker: string; allianceId?: number } | undefined {
    if (this.unresolvable.has(id)) return undefined;
    const npc = NPC_CORPORATIONS.get(id);
    if (npc !== undefined)
      return {
        name: npc,
        ticker: npc
          .replace(/[^A-Za-z]/g, '')
          .slice(0, 4)
          .toUpperCase(),
      };
    const index = strideIndex(id, CORP_BASE, CORP_STRIDE, CORPORATION_POOL);
    if (index >= 0) {
      const a = allianceIndexOfCorp(index);
      return { ...corporationName(index), ...(a >= 0 ? { allianceId: allianceId(a) } : {}) };
    }
    // A replayed corporation: name it from its id, outside any alliance we could vouch for.
    if (this.registered.get(id) === 'corporation') return corporationName(mix32(id) % 1024);
    return undefined;
  }

  alliance(id: number): { name: string; ticker: string } | undefined {
    if (this.unresolvable.has(id)) return undefined;
    const index = strideIndex(id, ALLIANCE_BASE, ALLIANCE_STRIDE, ALLIANCE_POOL);
    if (index >= 0) return allianceName(index);
    if (this.registered.get(id) === 'alliance') return allianceName(mix32(id) % 1024);
    return undefined;
  }
}

/** Region of a constellation listed in the system table. */
export function regionOfConstellation(id: number): number | undefined {
  return CONSTELLATION_REGION.get(id);
}

export function groupName(id: number): string | undefined {
  return GROUPS_BY_ID.get(id)?.name;
}

const DEFAULT_BOOK = new NameBook();

/** The deterministic ESI name of any id the simulator generates; undefined when ESI would 404. */
export function nameFor(id: number): string | undefined {
  return DEFAULT_BOOK.resolve(id)?.name;
}
