// Bytes -> a recognised entry shape. Pure: no I/O, no clock. Every feed shape we accept:
//   R2Z2 entry         {killmail_id, hash, esi, zkb, sequence_id, sequence_updated?}
//   RedisQ inline      {package: {killID, killmail, zkb}} or bare {killID, killmail, zkb}
//   RedisQ short       {package: {killID, zkb}} (killmail fetched from ESI with zkb.hash)
//   ESI killmail       {killmail_id, killmail_time, ...} with optional killmail_hash (replay, backfill)
//   zKB API element    ESI fields + zkb; or only {killmail_id, zkb} (2018-2026 API), fetched like short;
//                      also the API's one-element list around it
import { EntryRejected, isObject, missing, wrongType, type JsonObject } from './reject.js';

export interface ParsedEntry {
  /** The ESI-shaped killmail when inline. */
  killmail?: unknown;
  /** Set when the killmail must be fetched: GET /killmails/{id}/{hash}/. */
  fetch?: { killmailId: number; hash: string };
  zkb?: unknown;
  /** Hash outside zkb (R2Z2 `hash`, ESI dump `killmail_hash`), used when zkb lacks one. */
  hash?: string;
  /** R2Z2 `sequence_updated`: the entry replaces an earlier copy. */
  replace: boolean;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

export function decodeJson(body: Uint8Array, maxEntryBytes: number): unknown {
  if (body.byteLength > maxEntryBytes) {
    throw new EntryRejected('too_large', `entry of ${body.byteLength} bytes exceeds maxEntryBytes ${maxEntryBytes}`);
  }
  let text: string;
  try {
    text = decoder.decode(body);
  } catch (err) {
    throw new EntryRejected('json', 'entry is not valid UTF-8', { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new EntryRejected('json', `malformed JSON: ${(err as Error).message}`, { cause: err });
  }
}

export function parseEntry(body: Uint8Array, maxEntryBytes: number): ParsedEntry {
  return classify(decodeJson(body, maxEntryBytes));
}

export function classify(v: unknown): ParsedEntry {
  // The zKB API answers a list: /api/killID/{id}/ is `[ {ESI fields + zkb} ]`.
  if (Array.isArray(v)) {
    if (v.length !== 1) throw new EntryRejected('shape', `zKB API list holds ${v.length} entries, expected 1`);
    return classify(v[0]);
  }
  if (!isObject(v)) throw new EntryRejected('shape', 'entry is not a JSON object');
  if ('package' in v) {
    const p = v['package'];
    if (p === null) throw new EntryRejected('shape', 'RedisQ package is null (no kill)');
    if (!isObject(p)) throw wrongType('package', 'object', p);
    return fromRedisq(p, 'package.');
  }
  if ('esi' in v) return fromR2z2(v);
  if ('killID' in v) return fromRedisq(v, '');
  if ('killmail_id' in v) return fromEsi(v);
  throw new EntryRejected('shape', 'unknown entry shape: none of package, esi, killID, killmail_id');
}

function positiveInt(o: JsonObject, key: string, path: string): number {
  const v = o[key];
  if (v === undefined || v === null) throw missing(path);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw wrongType(path, 'positive integer', v);
  return v;
}

function optionalObject(o: JsonObject, key: string, path: string): JsonObject | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw wrongType(path, 'object', v);
  return v;
}

function optionalString(o: JsonObject, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw wrongType(path, 'string', v);
  return v;
}

function fromR2z2(v: JsonObject): ParsedEntry {
  const esi = v['esi'];
  if (esi === undefined || esi === null) throw missing('esi');
  if (!isObject(esi)) throw wrongType('esi', 'object', esi);
  const id = positiveInt(v, 'killmail_id', 'killmail_id');
  if (esi['killmail_id'] !== undefined && esi['killmail_id'] !== id) {
    throw new EntryRejected('shape', `killmail_id ${id} differs from esi.killmail_id`);
  }
  const out: ParsedEntry = { killmail: esi, replace: v['sequence_updated'] !== undefined && v['sequence_updated'] !== null };
  const zkb = optionalObject(v, 'zkb', 'zkb');
  if (zkb !== undefined) out.zkb = zkb;
  const hash = optionalString(v, 'hash', 'hash');
  if (hash !== undefined) out.hash = hash;
  return out;
}

function fromRedisq(p: JsonObject, prefix: string): ParsedEntry {
  const id = positiveInt(p, 'killID', `${prefix}killID`);
  const zkb = optionalObject(p, 'zkb', `${prefix}zkb`);
  const killmail = optionalObject(p, 'killmail', `${prefix}killmail`);
  if (killmail !== undefined) {
    const out: ParsedEntry = { killmail, replace: false };
    if (zkb !== undefined) out.zkb = zkb;
    return out;
  }
  if (zkb === undefined) throw missing(`${prefix}zkb`);
  const hash = optionalString(zkb, 'hash', `${prefix}zkb.hash`);
  if (hash === undefined || hash === '') throw missing(`${prefix}zkb.hash`);
  return { fetch: { killmailId: id, hash }, zkb, replace: false };
}

function fromEsi(v: JsonObject): ParsedEntry {
  const zkb = optionalObject(v, 'zkb', 'zkb');
  const hasBody = 'victim' in v || 'attackers' in v || 'killmail_time' in v || 'solar_system_id' in v;
  if (!hasBody && zkb !== undefined) {
    const id = positiveInt(v, 'killmail_id', 'killmail_id');
    const hash = optionalString(zkb, 'hash', 'zkb.hash');
    if (hash === undefined || hash === '') throw missing('zkb.hash');
    return { fetch: { killmailId: id, hash }, zkb, replace: false };
  }
  const out: ParsedEntry = { killmail: v, replace: false };
  if (zkb !== undefined) out.zkb = zkb;
  const hash = optionalString(v, 'killmail_hash', 'killmail_hash');
  if (hash !== undefined) out.hash = hash;
  return out;
}
