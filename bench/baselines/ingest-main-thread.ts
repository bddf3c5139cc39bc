// Ingest baseline: what a plain single-threaded implementation does with each feed entry, as the
// issue defines it — JSON.parse on the main thread, map it to the canonical shape,
// JSON.stringify it, and one autocommit INSERT per kill (its character ids in the row's
// character_ids column, as ours). Same schema and same entries as the candidate, so the ratio
// measures the design: workers + rings + one transaction per batch.
import Database from 'better-sqlite3';

interface EsiParty {
  character_id?: number;
  corporation_id?: number;
  alliance_id?: number;
  faction_id?: number;
  ship_type_id?: number;
  weapon_type_id?: number;
  damage_done?: number;
  damage_taken?: number;
  final_blow?: boolean;
  security_status?: number;
}

interface Entry {
  killmail_id: number;
  hash: string;
  esi: { killmail_time: string; solar_system_id: number; moon_id?: number; war_id?: number; victim: EsiParty; attackers: EsiParty[] };
  zkb: Record<string, unknown> & { totalValue?: number; npc?: boolean };
}

export function runBaseline(dbPath: string, bodies: readonly Uint8Array[]): { kills: number; seconds: number } {
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const insertKill = db.prepare(
    `INSERT OR IGNORE INTO killmails (killmail_id, system_id, kill_time_ms, total_value, npc, victim_character_id,
       enriched, stored_at_ms, character_ids, json) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`,
  );
  const decoder = new TextDecoder();
  const started = process.hrtime.bigint();
  let kills = 0;
  for (const body of bodies) {
    const e = JSON.parse(decoder.decode(body)) as Entry;
    const km = e.esi;
    const killTimeMs = Date.parse(km.killmail_time);
    const chars = new Set<number>();
    if (km.victim.character_id) chars.add(km.victim.character_id);
    for (const a of km.attackers) if (a.character_id) chars.add(a.character_id);
    const canonical = {
      killmail_id: e.killmail_id,
      kill_time: km.killmail_time,
      system_id: km.solar_system_id,
      moon_id: km.moon_id,
      war_id: km.war_id,
      victim: { ...km.victim, items: undefined },
      attackers: km.attackers,
      attacker_count: km.attackers.length,
      zkb: e.zkb,
    };
    const charIds = [...chars];
    insertKill.run(
      e.killmail_id,
      km.solar_system_id,
      killTimeMs,
      e.zkb.totalValue ?? 0,
      e.zkb.npc ? 1 : 0,
      km.victim.character_id ?? 0,
      Date.now(),
      charIds.join(','),
      JSON.stringify(canonical),
    );
    kills++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return { kills, seconds };
}
