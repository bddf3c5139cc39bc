// Per-system totals of stored kills (table system_counts), kept exact inside the same
// transactions that insert, replace and prune kills. Callers add up a batch's deltas in a Map
// first, so a batch of 256 kills costs one upsert per distinct system, not one per kill.
import type { Db } from './open.js';

export interface SystemCounts {
  /** Apply per-system deltas; must run inside the caller's transaction. */
  apply(deltas: ReadonlyMap<number, number>): void;
}

export function addDelta(deltas: Map<number, number>, systemId: number, by: number): void {
  deltas.set(systemId, (deltas.get(systemId) ?? 0) + by);
}

export function createSystemCounts(db: Db): SystemCounts {
  const add = db.prepare<[number, number]>(
    'INSERT INTO system_counts (system_id, kills) VALUES (?, ?) ON CONFLICT (system_id) DO UPDATE SET kills = kills + excluded.kills',
  );
  const sub = db.prepare<[number, number]>('UPDATE system_counts SET kills = kills - ? WHERE system_id = ?');
  // A system with no kills left disappears, so count(*) of this table is the number of systems.
  const dropEmpty = db.prepare<[number]>('DELETE FROM system_counts WHERE system_id = ? AND kills <= 0');
  return {
    apply(deltas) {
      for (const [systemId, delta] of deltas) {
        if (delta > 0) {
          add.run(systemId, delta);
        } else if (delta < 0) {
          sub.run(-delta, systemId);
          dropEmpty.run(systemId);
        }
      }
    },
  };
}
