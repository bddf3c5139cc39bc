// A minimal ESI body → CanonicalKillmail mapping for enrich tests and benches (the real one is
// the pipeline's normalise; stages do not import each other, so tests keep their own).
import type { CanonicalAttacker, CanonicalKillmail } from '../../../src/core/killmail.js';

export interface EsiBody {
  killmail_id: number;
  killmail_time: string;
  solar_system_id: number;
  victim: {
    character_id?: number;
    corporation_id?: number;
    alliance_id?: number;
    faction_id?: number;
    ship_type_id: number;
    damage_taken?: number;
  };
  attackers: {
    character_id?: number;
    corporation_id?: number;
    alliance_id?: number;
    faction_id?: number;
    ship_type_id?: number;
    weapon_type_id?: number;
    damage_done?: number;
    final_blow?: boolean;
    security_status?: number;
  }[];
}

function pick<T extends object>(o: T, keys: readonly (keyof T)[]): Partial<T> {
  const out: Partial<T> = {};
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) out[k] = o[k];
  return out;
}

export function toCanonical(b: EsiBody, hash: string): CanonicalKillmail {
  const attackers: CanonicalAttacker[] = b.attackers.map((a) => ({
    ...pick(a, ['character_id', 'corporation_id', 'alliance_id', 'faction_id', 'ship_type_id', 'weapon_type_id']),
    damage_done: a.damage_done ?? 0,
    final_blow: a.final_blow ?? false,
    security_status: a.security_status ?? 0,
  }));
  return {
    killmail_id: b.killmail_id,
    kill_time: b.killmail_time,
    system_id: b.solar_system_id,
    victim: {
      ...pick(b.victim, ['character_id', 'corporation_id', 'alliance_id', 'faction_id']),
      ship_type_id: b.victim.ship_type_id,
      damage_taken: b.victim.damage_taken ?? 0,
    },
    attackers,
    attacker_count: attackers.length,
    zkb: {
      hash,
      fittedValue: 0,
      droppedValue: 0,
      destroyedValue: 0,
      totalValue: 0,
      points: 0,
      npc: false,
      solo: false,
      awox: false,
      labels: [],
    },
  };
}
