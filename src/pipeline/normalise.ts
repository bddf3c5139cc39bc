// Entry bytes -> canonical killmail -> KillRecord. Pure except for the injected killmail fetch
// (short RedisQ packages and bare zKB references carry no killmail body).
import type { CanonicalKillmail, KillRecord } from '../core/killmail.js';
import { EntryRejected } from './reject.js';
import { parseEntry, type ParsedEntry } from './parse.js';
import { parseIsoMs, toCanonical } from './validate.js';

export type FetchKillmail = (killmailId: number, hash: string) => Promise<unknown>;

export interface Normalised {
  killmail: CanonicalKillmail;
  replace: boolean;
}

export interface NormaliseOptions {
  maxEntryBytes: number;
  /** Absent: short packages fail with esi_fetch (nothing can fetch them). */
  fetchKillmail?: FetchKillmail;
}

/**
 * Normalise one entry. Returns synchronously for inline killmails (the common case, no promise
 * allocated) and a promise when the killmail must be fetched first. Throws/rejects EntryRejected.
 */
export function normalise(body: Uint8Array, opts: NormaliseOptions): Normalised | Promise<Normalised> {
  const parsed = parseEntry(body, opts.maxEntryBytes);
  if (parsed.fetch === undefined) {
    return { killmail: toCanonical(parsed.killmail, parsed.zkb, parsed.hash), replace: parsed.replace };
  }
  return fetchAndNormalise(parsed, parsed.fetch, opts.fetchKillmail);
}

async function fetchAndNormalise(
  parsed: ParsedEntry,
  ref: { killmailId: number; hash: string },
  fetchKillmail: FetchKillmail | undefined,
): Promise<Normalised> {
  if (fetchKillmail === undefined) {
    throw new EntryRejected('esi_fetch', `killmail ${ref.killmailId} needs an ESI fetch and none is configured`);
  }
  let body: unknown;
  try {
    body = await fetchKillmail(ref.killmailId, ref.hash);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new EntryRejected('esi_fetch', `killmail ${ref.killmailId}: ${(err as Error).message}`, {
      cause: err,
      ...(typeof code === 'string' && code.startsWith('ERR_ESI_') ? { code: code as 'ERR_ESI_BODY' } : {}),
    });
  }
  const killmail = toCanonical(body, parsed.zkb, ref.hash);
  if (killmail.killmail_id !== ref.killmailId) {
    throw new EntryRejected('esi_fetch', `ESI returned killmail ${killmail.killmail_id} for ${ref.killmailId}`);
  }
  return { killmail, replace: parsed.replace };
}

export function killTimeMs(km: CanonicalKillmail): number {
  return parseIsoMs(km.kill_time);
}

/** Unique character ids of the victim then attackers (absent ids are already omitted). */
export function characterIdsOf(km: CanonicalKillmail): number[] {
  const ids: number[] = [];
  // Most kills name a few dozen characters: a scan of the array beats a Set per kill there.
  const seen = km.attackers.length > 64 ? new Set<number>() : undefined;
  const add = (id: number | undefined): void => {
    if (id === undefined) return;
    if (seen === undefined ? ids.includes(id) : seen.has(id)) return;
    seen?.add(id);
    ids.push(id);
  };
  add(km.victim.character_id);
  for (const a of km.attackers) add(a.character_id);
  return ids;
}

export interface RecordMeta {
  replace: boolean;
  enriched: boolean;
  receivedAtUs: number;
}

/** Build the KillRecord; the canonical JSON is serialised here, once (docs/ARCHITECTURE.md#hot-paths). */
export function toKillRecord(km: CanonicalKillmail, meta: RecordMeta): KillRecord {
  const characterIds = characterIdsOf(km);
  return {
    killmailId: km.killmail_id,
    systemId: km.system_id,
    killTimeMs: killTimeMs(km),
    characterIds,
    characterText: characterIds.join(','),
    victimCharacterId: km.victim.character_id ?? 0,
    totalValue: km.zkb?.totalValue ?? 0,
    npc: km.zkb?.npc ?? false,
    json: JSON.stringify(km),
    replace: meta.replace,
    enriched: meta.enriched,
    receivedAtUs: meta.receivedAtUs,
  };
}

/** `older`: kill time before the entry's cutoff; a cutoff of 0 disables it. */
export function isOlder(killTimeMsValue: number, cutoffMs: number): boolean {
  return cutoffMs > 0 && killTimeMsValue < cutoffMs;
}
