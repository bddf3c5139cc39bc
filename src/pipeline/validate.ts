// ESI killmail (+ zkb) -> the canonical killmail (docs/API.md#the-canonical-killmail). Pure. Required: killmail_id and
// solar_system_id (positive integers), killmail_time (ISO-8601), victim (object) with an integer
// ship_type_id (0 accepted: legacy dumps use it for "unknown"; negative is a wrong type), and an
// attackers array. An empty attackers array is accepted (ESI allows it; attacker_count 0).
// Present-but-wrong optional fields are `wrong_type`; null and absent are omitted. Ids <= 0 are
// treated as absent. Victim items and faction-less extras are dropped; position is kept (§3.1).
import type { CanonicalAttacker, CanonicalKillmail, CanonicalVictim, Position, Zkb } from '../core/killmail.js';
import { EntryRejected, isObject, missing, wrongType, type JsonObject } from './reject.js';

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/;

/** Parse an ISO-8601 date-time; a missing zone means UTC (ESI always sends "Z"). NaN when invalid. */
export function parseIsoMs(s: string): number {
  const m = ISO_RE.exec(s);
  if (m === null) return NaN;
  const zone = m[8] ?? 'Z';
  const frac = m[7] ?? '';
  const ms = Date.parse(
    `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${frac.slice(0, 4)}${zone.length === 5 ? zone.slice(0, 3) + ':' + zone.slice(3) : zone}`,
  );
  return Number.isFinite(ms) ? ms : NaN;
}

/** "2026-01-01T00:00:00Z": whole seconds drop the ".000" as the original emits. */
export function isoZ(ms: number): string {
  const s = new Date(ms).toISOString();
  return ms % 1000 === 0 ? s.slice(0, 19) + 'Z' : s;
}

// Where a field sits, for error messages only: '' (top level), a parent path ('victim'), or an
// attacker's index. The path string is built when a field is rejected, never for a valid one:
// a kill has ~10 checked fields per attacker, and building each path was ~1.4 µs of a worker's kill.
type Parent = string | number;

function pathOf(parent: Parent, key: string): string {
  if (typeof parent === 'number') return `attackers[${parent}].${key}`;
  return parent === '' ? key : `${parent}.${key}`;
}

function requiredInt(o: JsonObject, key: string, parent: Parent, min: number): number {
  const v = o[key];
  if (v === undefined || v === null) throw missing(pathOf(parent, key));
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw wrongType(pathOf(parent, key), min > 0 ? 'positive integer' : 'integer', v);
  }
  return v;
}

function optionalId(o: JsonObject, key: string, parent: Parent): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw wrongType(pathOf(parent, key), 'integer', v);
  return v > 0 ? v : undefined;
}

function num(o: JsonObject, key: string, parent: Parent, fallback: number): number {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw wrongType(pathOf(parent, key), 'number', v);
  return v;
}

function bool(o: JsonObject, key: string, parent: Parent): boolean {
  const v = o[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw wrongType(pathOf(parent, key), 'boolean', v);
  return v;
}

function setId<T extends object>(target: T, key: keyof T & string, o: JsonObject, parent: Parent): void {
  const v = optionalId(o, key, parent);
  if (v !== undefined) (target as Record<string, unknown>)[key] = v;
}

function position(v: unknown): Position | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw wrongType('victim.position', 'object', v);
  return { x: num(v, 'x', 'victim.position', 0), y: num(v, 'y', 'victim.position', 0), z: num(v, 'z', 'victim.position', 0) };
}

function victimOf(v: unknown): CanonicalVictim {
  if (v === undefined || v === null) throw missing('victim');
  if (!isObject(v)) throw wrongType('victim', 'object', v);
  const out = {} as CanonicalVictim;
  setId(out, 'character_id', v, 'victim');
  setId(out, 'corporation_id', v, 'victim');
  setId(out, 'alliance_id', v, 'victim');
  setId(out, 'faction_id', v, 'victim');
  out.ship_type_id = requiredInt(v, 'ship_type_id', 'victim', 0);
  out.damage_taken = num(v, 'damage_taken', 'victim', 0);
  const pos = position(v['position']);
  if (pos !== undefined) out.position = pos;
  return out;
}

function attackerOf(a: unknown, i: number): CanonicalAttacker {
  if (!isObject(a)) throw wrongType(`attackers[${i}]`, 'object', a);
  // ESI's (alphabetical) key order: an attacker as ESI sends it is then its canonical text byte
  // for byte, which the transcoder copies whole (transcode.ts).
  const out = {} as CanonicalAttacker;
  setId(out, 'alliance_id', a, i);
  setId(out, 'character_id', a, i);
  setId(out, 'corporation_id', a, i);
  out.damage_done = num(a, 'damage_done', i, 0);
  setId(out, 'faction_id', a, i);
  out.final_blow = bool(a, 'final_blow', i);
  out.security_status = num(a, 'security_status', i, 0);
  setId(out, 'ship_type_id', a, i);
  setId(out, 'weapon_type_id', a, i);
  return out;
}

/** zKillboard metadata, camelCase kept, `href`/`attackerCount`/unknown keys dropped; undefined without a hash. */
export function zkbOf(z: unknown, fallbackHash: string | undefined): Zkb | undefined {
  if (z === undefined || z === null) return undefined;
  if (!isObject(z)) throw wrongType('zkb', 'object', z);
  const h = z['hash'] ?? fallbackHash;
  if (h === undefined || h === null || h === '') return undefined;
  if (typeof h !== 'string') throw wrongType('zkb.hash', 'string', h);
  const out = {} as Zkb;
  const loc = optionalId(z, 'locationID', 'zkb');
  if (loc !== undefined) out.locationID = loc;
  out.hash = h;
  out.fittedValue = num(z, 'fittedValue', 'zkb', 0);
  out.droppedValue = num(z, 'droppedValue', 'zkb', 0);
  out.destroyedValue = num(z, 'destroyedValue', 'zkb', 0);
  out.totalValue = num(z, 'totalValue', 'zkb', 0);
  out.points = num(z, 'points', 'zkb', 0);
  out.npc = bool(z, 'npc', 'zkb');
  out.solo = bool(z, 'solo', 'zkb');
  out.awox = bool(z, 'awox', 'zkb');
  out.labels = labelsOf(z['labels']);
  return out;
}

function labelsOf(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw wrongType('zkb.labels', 'array', v);
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] !== 'string') throw wrongType(`zkb.labels[${i}]`, 'string', v[i]);
  }
  return v as string[];
}

function killTime(km: JsonObject): number {
  const t = km['killmail_time'];
  if (t === undefined || t === null) throw missing('killmail_time');
  if (typeof t !== 'string') throw wrongType('killmail_time', 'ISO-8601 string', t);
  const ms = parseIsoMs(t);
  if (Number.isNaN(ms))
    throw new EntryRejected('wrong_type', `killmail_time: not an ISO-8601 date-time: ${JSON.stringify(t.slice(0, 40))}`);
  return ms;
}

export function toCanonical(km: unknown, zkb: unknown, hash: string | undefined): CanonicalKillmail {
  if (!isObject(km)) throw wrongType('killmail', 'object', km);
  const killmailId = requiredInt(km, 'killmail_id', '', 1);
  const timeMs = killTime(km);
  const systemId = requiredInt(km, 'solar_system_id', '', 1);
  const out = { killmail_id: killmailId, kill_time: isoZ(timeMs), system_id: systemId } as CanonicalKillmail;
  setId(out, 'moon_id', km, 'killmail');
  setId(out, 'war_id', km, 'killmail');
  out.victim = victimOf(km['victim']);
  const attackers = km['attackers'];
  if (attackers === undefined || attackers === null) throw missing('attackers');
  if (!Array.isArray(attackers)) throw wrongType('attackers', 'array', attackers);
  out.attackers = attackers.map(attackerOf);
  out.attacker_count = out.attackers.length;
  const z = zkbOf(zkb, hash);
  if (z !== undefined) out.zkb = z;
  return out;
}
