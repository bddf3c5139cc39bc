// Wire shapes the simulator serves, named exactly as ESI and zKillboard name their fields
//. Optional fields are absent, never null, as on ESI.

export interface EsiPosition {
  x: number;
  y: number;
  z: number;
}

export interface EsiItem {
  flag: number;
  item_type_id: number;
  singleton: number;
  quantity_destroyed?: number;
  quantity_dropped?: number;
  /** One level of nesting (container contents), as ESI sends. */
  items?: EsiItem[];
}

export interface EsiVictim {
  character_id?: number;
  corporation_id?: number;
  alliance_id?: number;
  faction_id?: number;
  ship_type_id: number;
  damage_taken: number;
  position?: EsiPosition;
  items?: EsiItem[];
}

export interface EsiAttacker {
  character_id?: number;
  corporation_id?: number;
  alliance_id?: number;
  faction_id?: number;
  ship_type_id?: number;
  weapon_type_id?: number;
  damage_done: number;
  final_blow: boolean;
  security_status: number;
}

export interface EsiKillmail {
  killmail_id: number;
  killmail_time: string;
  solar_system_id: number;
  moon_id?: number;
  war_id?: number;
  victim: EsiVictim;
  attackers: EsiAttacker[];
}

/** zKillboard's `zkb` block as R2Z2 sends it (camelCase keys are zKillboard's own). */
export interface ZkbMeta {
  locationID: number;
  hash: string;
  fittedValue: number;
  droppedValue: number;
  destroyedValue: number;
  totalValue: number;
  points: number;
  npc: boolean;
  solo: boolean;
  awox: boolean;
  labels: string[];
  attackerCount: number;
  href: string;
}

export interface GeneratedKill {
  killmail_id: number;
  /** 40 lowercase hex characters, as zKillboard's killmail hashes. */
  hash: string;
  esi: EsiKillmail;
  zkb: ZkbMeta;
}

/** The ways `badEvery` spoils a feed entry, in rotation. */
export const BAD_KINDS = ['malformed_json', 'missing_killmail_time', 'wrong_type', 'oversized'] as const;
export type BadKind = (typeof BAD_KINDS)[number];
