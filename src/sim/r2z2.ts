// R2Z2 (`/ephemeral/…`, `/history/…`) and zKillboard API (`/api/killID/{id}/`) routes, served
// from the feed log.
import type { EntryMeta, FeedLog } from './feed-log.js';
import { json, notFound, raw, type SimResponse } from './respond.js';

const DAY_MS = 86_400_000;
// History files are immutable once written.
const HISTORY_CACHE = { 'cache-control': 'public, max-age=31536000' };

export interface R2z2Context {
  log: FeedLog;
  /** How far `sequence.json` trails the newest entry (the real one lags up to ~51). */
  sequenceLag: number;
  startSequence: number;
}

export function sequence(ctx: R2z2Context): SimResponse {
  // Never a sequence that will not exist: before the first publish (or with a lag longer than the
  // log) the tip is the first entry, so a new reader waits for it instead of counting it lost.
  const seq = Math.max(ctx.startSequence, ctx.log.lastSequence - ctx.sequenceLag);
  return json(200, { sequence: seq }, { 'cache-control': 'no-cache' });
}

export function ephemeralEntry(ctx: R2z2Context, seq: number): SimResponse {
  const meta = ctx.log.get(seq);
  if (!meta) return notFound('sequence not published');
  return raw(200, ctx.log.entryBytes(meta));
}

/** Milliseconds range of a `YYYYMMDD` day in UTC, or undefined when it is not a real date. */
export function dayRange(yyyymmdd: string): [number, number] | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(yyyymmdd);
  if (!m) return undefined;
  const start = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(start).toISOString().slice(0, 10).replace(/-/g, '') !== yyyymmdd) return undefined;
  return [start, start + DAY_MS];
}

/** Good, original entries whose kill time falls inside the day (bad and republished ones are not history). */
function historyEntries(log: FeedLog, day: string): EntryMeta[] | undefined {
  const range = dayRange(day);
  if (!range) return undefined;
  const out: EntryMeta[] = [];
  for (const m of log.all()) {
    if (m.bad === undefined && m.updatedFrom === undefined && m.killTimeMs >= range[0] && m.killTimeMs < range[1]) out.push(m);
  }
  return out.sort((a, b) => a.killmailId - b.killmailId);
}

export function history(ctx: R2z2Context, day: string): SimResponse {
  const entries = historyEntries(ctx.log, day);
  if (!entries) return notFound('no such day');
  const body: Record<string, string> = {};
  for (const m of entries) body[String(m.killmailId)] = m.hash;
  return json(200, body, HISTORY_CACHE);
}

export function historyRaw(ctx: R2z2Context, day: string): SimResponse {
  const entries = historyEntries(ctx.log, day);
  if (!entries) return notFound('no such day');
  // Spliced from the cached ESI bytes rather than re-serialising every kill into one object.
  const parts = entries.map((m) => `"${m.killmailId}":${ctx.log.esiBytes(m).toString()}`);
  return raw(200, `{${parts.join(',')}}`, HISTORY_CACHE);
}

export function historyTotals(ctx: R2z2Context): SimResponse {
  const totals: Record<string, number> = {};
  for (const m of ctx.log.all()) {
    if (m.bad !== undefined || m.updatedFrom !== undefined) continue;
    const day = new Date(m.killTimeMs).toISOString().slice(0, 10).replace(/-/g, '');
    totals[day] = (totals[day] ?? 0) + 1;
  }
  return json(200, totals);
}

/** zKB `/api/killID/{id}/`: `[ESI killmail + zkb]`, or `[]` when unknown. */
export function zkbKill(ctx: R2z2Context, id: number, hasQuery: boolean): SimResponse {
  // The real API refuses any query string with 403.
  if (hasQuery) return json(403, { error: 'query strings are not allowed' });
  const meta = ctx.log.byKillmailId(id);
  if (!meta) return json(200, [], { 'cache-control': 'max-age=3600' });
  const k = ctx.log.kill(meta);
  return json(200, [{ ...k.esi, zkb: k.zkb }], { 'cache-control': 'max-age=3600' });
}
