// Backfill progress (migration 3): per job and unit (a day, a file), how many of its entries are
// committed and whether it is finished, so `wkills backfill` resumes after a crash where it
// stopped. Written on the writer connection after the kills it counts were committed, so a
// persisted position never runs ahead of the store; what a restart re-reads is deduped.
import type { BackfillProgressStore } from '../core/ports.js';
import type { Db } from './open.js';

export function createProgressStore(db: Db, nowMs: () => number = Date.now): BackfillProgressStore {
  const select = db.prepare<[string, string], { position: number; done: number }>(
    'SELECT position, done FROM backfill_progress WHERE job = ? AND unit = ?',
  );
  const upsert = db.prepare<[string, string, number, number, number]>(
    `INSERT INTO backfill_progress (job, unit, position, done, updated_at_ms) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (job, unit) DO UPDATE SET position = excluded.position, done = excluded.done, updated_at_ms = excluded.updated_at_ms`,
  );
  const exists = db.prepare<[number], number>('SELECT 1 FROM killmails WHERE killmail_id = ?').pluck();
  return {
    get(job, unit) {
      const row = select.get(job, unit);
      return row === undefined ? undefined : { position: row.position, done: row.done === 1 };
    },
    set(job, unit, position, done) {
      upsert.run(job, unit, position, done ? 1 : 0, nowMs());
    },
    hasKill: (id) => exists.get(id) !== undefined,
  };
}
