// The per-character index (table kill_characters): one row per (character, kill). The kill
// row keeps the same ids as comma-separated text (killmails.character_ids) so that replace and
// prune delete these rows by exact primary key.
import type { Db } from './open.js';

export interface CharacterIndex {
  add(characterIds: readonly number[], killTimeMs: number, killmailId: number): void;
  /** Remove the rows listed by a stored `character_ids` text. */
  remove(characterIdsText: string, killTimeMs: number, killmailId: number): void;
}

export function joinIds(ids: readonly number[]): string {
  return ids.length === 0 ? '' : ids.join(',');
}

export function createCharacterIndex(db: Db): CharacterIndex {
  // OR IGNORE: a repeated id in one record is harmless and must not fail the whole batch.
  const insert = db.prepare<[number, number, number]>(
    'INSERT OR IGNORE INTO kill_characters (character_id, kill_time_ms, killmail_id) VALUES (?, ?, ?)',
  );
  const del = db.prepare<[number, number, number]>(
    'DELETE FROM kill_characters WHERE character_id = ? AND kill_time_ms = ? AND killmail_id = ?',
  );
  return {
    add(characterIds, killTimeMs, killmailId) {
      for (const id of characterIds) insert.run(id, killTimeMs, killmailId);
    },
    remove(text, killTimeMs, killmailId) {
      if (text.length === 0) return;
      for (const part of text.split(',')) del.run(Number(part), killTimeMs, killmailId);
    },
  };
}
