// The per-character index: character id → the kills it appears in, newest first on query.
//
// It lives in memory, derived from killmails.character_ids (the durable copy, written in the same
// transaction as the kill) and rebuilt from it at open. Kept in SQLite as one row per
// (character, kill), it cost ~14 random B-tree inserts per kill — 65 µs of the main thread's
// ~90 µs per kill in bench/ingest/run.ts, more than everything else together, and ~6 dirty WAL
// pages per kill. Here an insert is a few array pushes. Memory: ~21 bytes per (character, kill)
// pair, measured with the arrays' growth slack — a week of live traffic (~110k kills × ~14
// characters) is ~32 MB (docs/OPERATIONS.md "Memory budgets").
//
// Each list holds flat [killTimeMs, killmailId] pairs in insertion order, which is nearly time
// order; queries filter and sort the (short) list, prune removes from the front.
import type { Db } from './open.js';

export interface CharacterIndex {
  add(characterIds: readonly number[], killTimeMs: number, killmailId: number): void;
  /** Remove the pairs listed by a stored `character_ids` text. */
  remove(characterIdsText: string, killTimeMs: number, killmailId: number): void;
  /** The kill is indexed under the character (a linear scan of that character's kills). */
  has(characterId: number, killmailId: number): boolean;
  /** Killmail ids of `characterId`'s kills at or after `sinceMs`, newest first, at most `limit`. */
  query(characterId: number, sinceMs: number, limit: number): number[];
  stats(): { characters: number; entries: number };
}

export function joinIds(ids: readonly number[]): string {
  return ids.length === 0 ? '' : ids.join(',');
}

export function createCharacterIndex(): CharacterIndex {
  const lists = new Map<number, number[]>();
  let entries = 0;

  function removeOne(characterId: number, killTimeMs: number, killmailId: number): void {
    const list = lists.get(characterId);
    if (list === undefined) return;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i + 1] === killmailId && list[i] === killTimeMs) {
        list.splice(i, 2);
        entries--;
        break;
      }
    }
    if (list.length === 0) lists.delete(characterId);
  }

  return {
    add(characterIds, killTimeMs, killmailId) {
      for (const id of characterIds) {
        const list = lists.get(id);
        if (list === undefined) lists.set(id, [killTimeMs, killmailId]);
        else list.push(killTimeMs, killmailId);
      }
      entries += characterIds.length;
    },
    has(characterId, killmailId) {
      const list = lists.get(characterId);
      if (list === undefined) return false;
      for (let i = 1; i < list.length; i += 2) if (list[i] === killmailId) return true;
      return false;
    },
    remove(text, killTimeMs, killmailId) {
      if (text.length === 0) return;
      for (const part of text.split(',')) removeOne(Number(part), killTimeMs, killmailId);
    },
    query(characterId, sinceMs, limit) {
      const list = lists.get(characterId);
      if (list === undefined || limit <= 0) return [];
      const hits: [number, number][] = [];
      for (let i = 0; i < list.length; i += 2) {
        const t = list[i] as number;
        if (t >= sinceMs) hits.push([t, list[i + 1] as number]);
      }
      hits.sort((a, b) => b[0] - a[0] || b[1] - a[1]);
      return hits.slice(0, limit).map((h) => h[1]);
    },
    stats: () => ({ characters: lists.size, entries }),
  };
}

/** Rebuild the index from the durable copy (killmails.character_ids), oldest first. */
export function loadCharacterIndex(db: Db, index: CharacterIndex): void {
  const rows = db
    .prepare<[], [number, number, string]>(
      "SELECT killmail_id, kill_time_ms, character_ids FROM killmails WHERE character_ids <> '' ORDER BY kill_time_ms",
    )
    .raw()
    .iterate();
  for (const [killmailId, killTimeMs, text] of rows) index.add(text.split(',').map(Number), killTimeMs, killmailId);
}
