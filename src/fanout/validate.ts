// Validation of lobby join params and client events (docs/API.md#websocket). Every failure is a reason string
// `<code>: <message>` sent back as `{reason}` (never an unencodable error,
// never a crash). Limits apply to the socket's running totals, checked by the caller
// with checkTotal(); the per-request checks here stop oversized lists before any work.

import { MAX_CHARACTERS, MAX_SYSTEM_ID, MAX_SYSTEMS } from '../core/limits.js';

export { MAX_CHARACTERS, MAX_SYSTEM_ID, MAX_SYSTEMS };

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

export type IdKind = 'system' | 'character';

const KINDS = {
  system: {
    field: 'systems',
    code: 'invalid_system_ids',
    many: 'too_many_systems',
    label: 'systems',
    max: MAX_SYSTEMS,
    maxId: MAX_SYSTEM_ID,
  },
  character: {
    field: 'character_ids',
    code: 'invalid_character_ids',
    many: 'too_many_characters',
    label: 'characters',
    max: MAX_CHARACTERS,
    maxId: Number.MAX_SAFE_INTEGER,
  },
} as const;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** A list of positive integer ids (deduplicated, order kept); `field` names it in messages. */
export function parseIds(value: unknown, kind: IdKind, field: string = KINDS[kind].field): Checked<number[]> {
  const k = KINDS[kind];
  if (!Array.isArray(value)) return { ok: false, reason: `${k.code}: ${field} must be an array of positive integers` };
  if (value.length > k.max) return { ok: false, reason: tooMany(kind) };
  const bad: unknown[] = [];
  const out = new Set<number>();
  for (const v of value) {
    if (typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= k.maxId) out.add(v);
    else if (bad.length < 3) bad.push(v);
    else break;
  }
  if (bad.length > 0) {
    const range = kind === 'system' ? `1..${k.maxId}` : 'positive';
    return { ok: false, reason: `${k.code}: ${field} must hold ${range} integers (got ${bad.map(show).join(', ')})` };
  }
  return { ok: true, value: [...out] };
}

export function tooMany(kind: IdKind): string {
  const k = KINDS[kind];
  return `${k.many}: Too many ${k.label} (max: ${k.max})`;
}

/** The running-total check: `current` already subscribed, `adding` new ones (not yet subscribed). */
export function checkTotal(kind: IdKind, current: number, adding: number): string | null {
  const k = KINDS[kind];
  if (current + adding <= k.max) return null;
  return `${k.many}: Too many ${k.label} (max: ${k.max}; subscribed ${current}, adding ${adding})`;
}

/** An optional id list: absent or null means "none given". */
export function parseOptionalIds(payload: Record<string, unknown>, field: string, kind: IdKind): Checked<number[] | undefined> {
  const v = payload[field];
  if (v === undefined || v === null) return { ok: true, value: undefined };
  return parseIds(v, kind, field);
}

export interface PreloadOptions {
  enabled: boolean;
  limitPerSystem: number;
  sinceHours: number;
  batchSize: number;
  /** 0: batches go out back to back (one per event-loop turn). */
  intervalMs: number;
}

/**
 * No `preload` given: the original's behaviour: up to 5 kills per system from
 * the last 24 h, sent at once (in batches of 10 so one join cannot hog the event loop).
 */
export const ORIGINAL_PRELOAD: PreloadOptions = Object.freeze({
  enabled: true,
  limitPerSystem: 5,
  sinceHours: 24,
  batchSize: 10,
  intervalMs: 0,
});

const PRELOAD_FIELDS = [
  ['limit_per_system', 'limitPerSystem', 50, 1, 200],
  ['since_hours', 'sinceHours', 24, 1, 168],
  ['delivery_batch_size', 'batchSize', 10, 1, 100],
  ['delivery_interval_ms', 'intervalMs', 1000, 0, 60_000],
] as const;

/**
 * `preload` join param (docs/API.md#websocket). Numbers outside the documented range are clamped to it (a
 * client asking for 500 per system gets the 200 maximum); values of the wrong type are errors.
 */
export function parsePreload(value: unknown): Checked<PreloadOptions> {
  if (value === undefined || value === null) return { ok: true, value: ORIGINAL_PRELOAD };
  if (!isObject(value)) return { ok: false, reason: 'invalid_payload: preload must be an object' };
  const enabled = value['enabled'];
  if (enabled !== undefined && typeof enabled !== 'boolean')
    return { ok: false, reason: 'invalid_payload: preload.enabled must be a boolean' };
  const out: PreloadOptions = { enabled: enabled !== false, limitPerSystem: 50, sinceHours: 24, batchSize: 10, intervalMs: 1000 };
  for (const [field, key, dflt, min, max] of PRELOAD_FIELDS) {
    const v = value[field];
    if (v === undefined || v === null) {
      out[key] = dflt;
      continue;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) return { ok: false, reason: `invalid_payload: preload.${field} must be an integer` };
    out[key] = Math.min(max, Math.max(min, v));
  }
  return { ok: true, value: out };
}

/** Connect param `client_identifier` (or `client_id`, `identifier`), as the original. */
export function sanitizeIdentifier(raw: string | null | undefined): string {
  if (raw === null || raw === undefined) return '';
  return raw
    .trim()
    .slice(0, 32)
    .replace(/[^A-Za-z0-9_-]/g, '_');
}
