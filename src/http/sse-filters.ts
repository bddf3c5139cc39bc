// SSE query filters, parsed with the original service's rules and messages (docs/API.md
// "Server-Sent Events"): comma-separated integer lists (whitespace trimmed, empty tokens
// skipped, at most 100), min_value a number >= 0, preload_days an integer >= 0 capped at 90.
import type { SseFilters } from '../core/ports.js';

export const MAX_FILTER_IDS = 100;
export const MAX_PRELOAD_DAYS = 90;

export type FilterResult = { ok: true; filters: SseFilters } | { ok: false; field: string; value: string; message: string };

interface RawFilters {
  system_ids?: string | undefined;
  character_ids?: string | undefined;
  min_value?: string | undefined;
  preload_days?: string | undefined;
}

const INT = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function parseIds(field: string, raw: string | undefined): number[] | FilterResult {
  if (raw === undefined) return [];
  const ids: number[] = [];
  for (const part of raw.split(',')) {
    const token = part.trim();
    if (token === '') continue;
    const n = Number(token);
    if (!INT.test(token) || !Number.isSafeInteger(n)) {
      return { ok: false, field, value: raw, message: `Invalid ${field}: '${token}' is not a valid integer` };
    }
    ids.push(n);
  }
  if (ids.length > MAX_FILTER_IDS) return { ok: false, field, value: raw, message: `Too many ${field} specified (max ${MAX_FILTER_IDS})` };
  return ids;
}

/** Elixir prints floats with a decimal point (-100 → -100.0): the original's messages do too. */
function floatText(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

export function parseSseFilters(q: RawFilters): FilterResult {
  const systemIds = parseIds('system_ids', q.system_ids);
  if (!Array.isArray(systemIds)) return systemIds;
  const characterIds = parseIds('character_ids', q.character_ids);
  if (!Array.isArray(characterIds)) return characterIds;
  let minValue: number | null = null;
  const mv = q.min_value?.trim();
  if (mv !== undefined && mv !== '') {
    if (!NUMBER.test(mv)) return { ok: false, field: 'min_value', value: mv, message: `Invalid min_value: '${mv}' is not a valid number` };
    minValue = Number(mv);
    if (minValue < 0)
      return { ok: false, field: 'min_value', value: mv, message: `min_value must be non-negative, got ${floatText(minValue)}` };
  }
  let preloadDays = 0;
  const pd = q.preload_days?.trim();
  if (pd !== undefined && pd !== '') {
    const n = Number(pd);
    if (!INT.test(pd) || !Number.isSafeInteger(n))
      return { ok: false, field: 'preload_days', value: pd, message: `Invalid preload_days: '${pd}' is not a valid integer` };
    if (n < 0) return { ok: false, field: 'preload_days', value: pd, message: `preload_days must be non-negative, got ${n}` };
    preloadDays = Math.min(n, MAX_PRELOAD_DAYS);
  }
  return { ok: true, filters: { systemIds, characterIds, minValue, preloadDays } };
}
