// Kills another process writes into a served file (`wkills backfill` beside `wkills serve`,
// `wkills db dead-letters retry`) reach the server's in-memory indexes without a restart.
// Such a process opens its store as a side writer: each of its batches also bumps a marker row
// (feed_cursors `store.side_writes`) in the same transaction. The server polls that row (one
// primary-key read every POLL_MS) and, when it moved, reads the kills stored since its cursor in
// chunks, one per event-loop turn, indexing those it does not hold yet. Its own kills show in
// that scan too; the index check skips them. The REST answer cache sees other connections'
// commits through data_version (system-versions.ts); a moved marker also drops its answers, for
// the commit that lands beside one of this process's writer-thread batches.
//
// Kills the other process deletes stay in the indexes until this process's retention passes
// them; the reader skips ids whose row is gone. stored_at_ms comes from one clock and is taken
// inside the write lock, so commits are ordered by it: when the marker has not moved since the
// last poll, nothing the other process wrote is newer than that poll, and the cursor may skip
// ahead to it (minus a margin) instead of rescanning this process's own kills later.
import type { MemoryIndexes } from './system-index.js';
import type { Db } from './open.js';

export const SIDE_WRITES_MARK = 'store.side_writes';
const POLL_MS = 500;
const CHUNK_ROWS = 2000;
const SKIP_MARGIN_MS = 5000;
const RESCAN_MS = 1000;

export interface SideWriteSync {
  start(): void;
  stop(): void;
  stats(): { catchups: number; indexed: number; errors: number };
}

export interface SideWriteSyncOptions {
  pollMs?: number;
  chunkRows?: number;
  nowMs?: () => number;
  /** The marker moved: another process stored kills (the REST answer cache drops every answer). */
  onMoved?: () => void;
}

export function createSideWriteSync(db: Db, indexes: MemoryIndexes, opts: SideWriteSyncOptions = {}): SideWriteSync {
  const { characters, systems } = indexes;
  const pollMs = opts.pollMs ?? POLL_MS;
  const chunkRows = opts.chunkRows ?? CHUNK_ROWS;
  const nowMs = opts.nowMs ?? Date.now;
  const markOf = db.prepare<[string], string>('SELECT value FROM feed_cursors WHERE name = ?').pluck();
  const newest = db
    .prepare<[], [number, number]>('SELECT stored_at_ms, killmail_id FROM killmails ORDER BY stored_at_ms DESC, killmail_id DESC LIMIT 1')
    .raw();
  // (stored_at_ms, killmail_id) is the order of killmails_by_stored (the rowid is in every index).
  const since = db
    .prepare<[number, number, number], [number, number, string, number, number]>(
      `SELECT killmail_id, kill_time_ms, character_ids, stored_at_ms, system_id FROM killmails
       WHERE (stored_at_ms, killmail_id) > (?, ?) ORDER BY stored_at_ms, killmail_id LIMIT ?`,
    )
    .raw();
  // Everything stored before the server opened was loaded with the index.
  let cursor: [number, number] = newest.get() ?? [0, 0];
  let seen = markOf.get(SIDE_WRITES_MARK);
  let lastQuietPollMs = 0;
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  const s = { catchups: 0, indexed: 0, errors: 0 };

  function step(): void {
    if (timer === undefined || !db.open) {
      running = false;
      return;
    }
    let rows: [number, number, string, number, number][];
    try {
      rows = since.all(cursor[0], cursor[1], chunkRows);
    } catch {
      // A read the other writer's lock or a closing file refused: the next poll starts again.
      seen = undefined;
      running = false;
      s.errors++;
      return;
    }
    for (const [id, killTimeMs, text, storedAtMs, systemId] of rows) {
      cursor = [storedAtMs, id];
      // Every kill is in the system index: a kill it holds is one this process already indexed.
      if (systems.has(systemId, killTimeMs, id)) continue;
      systems.add(systemId, killTimeMs, id);
      if (text !== '') characters.add(text.split(',').map(Number), killTimeMs, id);
      s.indexed++;
    }
    if (rows.length === chunkRows) setImmediate(step);
    else running = false;
  }

  function poll(): void {
    if (running || !db.open) return;
    const now = nowMs();
    let mark: string | undefined;
    try {
      mark = markOf.get(SIDE_WRITES_MARK);
    } catch {
      s.errors++;
      return;
    }
    if (mark === seen) {
      // Quiet since the previous poll: no other writer's kill is newer than it.
      const skipTo = lastQuietPollMs - SKIP_MARGIN_MS;
      if (lastQuietPollMs > 0 && skipTo > cursor[0]) cursor = [skipTo, 0];
      lastQuietPollMs = now;
      return;
    }
    seen = mark;
    opts.onMoved?.();
    lastQuietPollMs = 0;
    running = true;
    s.catchups++;
    // A little before the last row scanned: a batch stamped in that same millisecond may have
    // committed after the scan passed it, and a writer busy enough to run more than one batch a
    // millisecond stamps a little ahead of the clock (writer.ts). The index check skips repeats.
    cursor = [cursor[0] - RESCAN_MS, 0];
    step();
  }

  return {
    start() {
      timer ??= setInterval(poll, pollMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
    stats: () => ({ ...s }),
  };
}
