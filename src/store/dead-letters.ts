// Reading and clearing dead letters (`wkills db dead-letters list|retry`). The writer inserts
// them (writer.ts deadLetter); retention prunes them with the kills.
import type { Db } from './open.js';

export interface DeadLetterRow {
  id: number;
  source: string;
  reason: string;
  message: string;
  body: Uint8Array | undefined;
  atMs: number;
}

export interface DeadLetters {
  /** Oldest first, ids above `afterId`, at most `limit`. */
  list(afterId: number, limit: number): DeadLetterRow[];
  count(): number;
  /** Remove one (its entry was replayed into the store). */
  remove(id: number): void;
}

export function deadLetters(db: Db): DeadLetters {
  const list = db.prepare<
    [number, number],
    { id: number; source: string; reason: string; message: string; body: Buffer | string | null; at_ms: number }
  >('SELECT id, source, reason, message, body, at_ms FROM dead_letters WHERE id > ? ORDER BY id LIMIT ?');
  const count = db.prepare<[], number>('SELECT COUNT(*) FROM dead_letters').pluck();
  const remove = db.prepare<[number]>('DELETE FROM dead_letters WHERE id = ?');
  return {
    list: (afterId, limit) =>
      list.all(afterId, limit).map((r) => ({
        id: r.id,
        source: r.source,
        reason: r.reason,
        message: r.message,
        atMs: r.at_ms,
        body: r.body === null ? undefined : typeof r.body === 'string' ? Buffer.from(r.body) : r.body,
      })),
    count: () => count.get() ?? 0,
    remove: (id) => void remove.run(id),
  };
}
