// The canonical killmail (docs/API.md#the-canonical-killmail): one shape for REST, WebSocket, SSE and webhooks.
// Keys whose value is null/undefined are omitted when serialised; `zkb` keeps zKillboard's camelCase.

export interface Position {
  x: number;
  y: number;
  z: number;
}

/** Name fields filled by enrichment (docs/API.md#the-canonical-killmail); absent until resolved. */
export interface EntityNames {
  character_name?: string;
  corporation_name?: string;
  corporation_ticker?: string;
  alliance_name?: string;
  alliance_ticker?: string;
}

export interface CanonicalVictim extends EntityNames {
  character_id?: number;
  corporation_id?: number;
  alliance_id?: number;
  faction_id?: number;
  ship_type_id: number;
  ship_name?: string;
  ship_group_id?: number;
  ship_group_name?: string;
  damage_taken: number;
  position?: Position;
}

/** Serialised in ESI's (alphabetical) key order, names after (pipeline/validate.ts attackerOf). */
export interface CanonicalAttacker extends EntityNames {
  alliance_id?: number;
  character_id?: number;
  corporation_id?: number;
  damage_done: number;
  faction_id?: number;
  final_blow: boolean;
  security_status: number;
  ship_type_id?: number;
  weapon_type_id?: number;
  ship_name?: string;
}

export interface Zkb {
  locationID?: number;
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
}

export interface CanonicalKillmail {
  killmail_id: number;
  kill_time: string; // ISO-8601 UTC with "Z"
  system_id: number;
  solar_system_name?: string;
  region_id?: number;
  security_status?: number;
  moon_id?: number;
  war_id?: number;
  victim: CanonicalVictim;
  attackers: CanonicalAttacker[];
  attacker_count: number;
  zkb?: Zkb;
}

/**
 * What the pipeline hands to the store and the bus for one kill. `json` is the canonical
 * killmail serialised once (in the worker); every consumer splices these bytes.
 */
export interface KillRecord {
  killmailId: number;
  systemId: number;
  killTimeMs: number;
  /** Unique character ids of the victim and attackers (0/absent ids excluded). */
  characterIds: number[];
  /**
   * characterIds joined by commas, as the store's character_ids column holds them: made by the
   * worker so the main thread does not (absent: the store joins them).
   */
  characterText?: string;
  victimCharacterId: number; // 0 when none
  totalValue: number;
  npc: boolean;
  /** Canonical JSON text (docs/API.md#the-canonical-killmail). */
  json: string;
  /** True when the entry replaces an earlier stored copy (R2Z2 `sequence_updated`). */
  replace: boolean;
  /** True when every name the kill needs was resolved in time. */
  enriched: boolean;
  /** Epoch µs (clock.epochUs) when the raw entry was received: ingest → delivery latency. */
  receivedAtUs: number;
}
