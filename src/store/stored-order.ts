// Storage-order reads for WebSocket resume (`since`): the kills stored after a point, paged by
// (stored_at_ms, killmail_id) on the killmails_by_stored index. Routing columns first, JSON only
// for the kills a client matches, so a page of other systems' kills never reads their JSON.
import type { StoredKillRef, StoredOrderReader } from '../core/ports.js';
import type { Db } from './open.js';

export function createStoredOrderReader(db: Db): StoredOrderReader {
  const storedAt = db.prepare<[number], number>('SELECT stored_at_ms FROM killmails WHERE killmail_id = ?').pluck();
  const after = db.prepare<[number, number, number, number], StoredKillRef>(
    `SELECT killmail_id AS killmailId, stored_at_ms AS storedAtMs, system_id AS systemId, kill_time_ms AS killTimeMs,
            character_ids AS characterIds
       FROM killmails WHERE stored_at_ms >= ? AND NOT (stored_at_ms = ? AND killmail_id <= ?)
      ORDER BY stored_at_ms, killmail_id LIMIT ?`,
  );
  const json = db.prepare<[number], string>('SELECT json FROM killmails WHERE killmail_id = ?').pluck();
  return {
    storedAt: (id) => storedAt.get(id),
    storedAfter: (afterMs, afterId, limit) => after.all(afterMs, afterMs, afterId, limit),
    json: (id) => json.get(id),
  };
}
