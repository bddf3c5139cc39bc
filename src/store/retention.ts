// Retention (pruned in small batches without blocking the event loop) and the WAL
// watch, both on a timer on the main thread next to the writer.
//
// Pruning: each batch is its own short IMMEDIATE transaction deleting the oldest kills (and
// their system_counts; the in-memory character index drops them after the commit), then the loop yields with setImmediate so
// sockets, timers and the ingest writer run between batches. A backlog (first start after a
// long stop, or a lowered retention) drains as many small transactions. A kill costs ~20-40 µs
// to delete (2 KiB row, two killmails indexes; see bench/micro/store/write.bench.ts), so a fixed 500-row batch would hold the loop 10-20 ms:
// the batch is sized from the measured cost per row to take about targetBatchMs, between
// min(batchSize, 25) and batchSize rows.
//
// WAL watch: the writer's wal_autocheckpoint keeps the WAL bounded while kills flow. The WAL
// still grows when checkpoints cannot finish (a long-lived reader pins old frames), so:
//  - WAL file > walCheckpointBytes  → wal_checkpoint(PASSIVE): copies what it can, never waits.
//  - writer idle for idleMs and WAL file non-empty → wal_checkpoint(TRUNCATE) with the busy
//    timeout set to 0 for that call: it either finishes at once or reports busy and is retried
//    next tick; it never parks the event loop waiting for a reader.
// journal_size_limit (open.ts) then shrinks the file after the checkpoint resets it.
import { statSync } from 'node:fs';
import { MS_PER_HOUR } from '../core/clock.js';
import type { Counters, Logger } from '../telemetry/index.js';
import type { Db } from './open.js';
import type { CharacterIndex } from './character-index.js';
import type { SystemIndex } from './system-index.js';
import { addDelta, createSystemCounts } from './system-counts.js';
import type { SystemVersions } from './system-versions.js';

export interface RetentionOptions {
  /** The writer connection (deletes are writes). */
  db: Db;
  /** The in-memory per-character index: pruned kills leave it after their batch commits. */
  characters?: CharacterIndex;
  /** The in-memory per-system index, pruned the same way. */
  systems?: SystemIndex;
  /** Bumped for every system that loses a kill (the reader's systemVersion). */
  versions?: SystemVersions;
  /** Kills with kill_time older than this are deleted; 0 disables pruning (the WAL watch still runs). */
  retentionHours: number;
  /** Most kills per prune transaction (default 500). */
  batchSize?: number;
  /** Aim for prune transactions of about this long, ms (default 4). */
  targetBatchMs?: number;
  intervalMs?: number;
  walCheckpointBytes?: number;
  idleMs?: number;
  /** Epoch ms of the writer's last commit (StoreWriter.lastWriteAtMs). */
  lastWriteAtMs?: () => number;
  nowMs?: () => number;
  busyTimeoutMs?: number;
  logger?: Logger;
  counters?: Counters;
}

export interface RetentionStats {
  prunedKills: number;
  prunedDeadLetters: number;
  runs: number;
  batches: number;
  maxBatchUs: number;
  lastRunAtMs: number;
  checkpoints: number;
  checkpointsBusy: number;
}

export type CheckpointAction = 'none' | 'passive' | 'truncate' | 'busy';

export interface Retention {
  start(): void;
  /** Stops the timer and waits for a run in progress to finish its current batch. */
  stop(): Promise<void>;
  /** Prune everything older than the retention, batch by batch; resolves to the kills deleted. */
  pruneNow(): Promise<number>;
  /** One transaction deleting up to `limit` kills with kill_time_ms < cutoffMs. Returns how many. */
  pruneBatch(cutoffMs: number, limit?: number): number;
  checkpointIfNeeded(): CheckpointAction;
  stats(): RetentionStats;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function createRetention(o: RetentionOptions): Retention {
  const { db, retentionHours } = o;
  const batchSize = o.batchSize ?? 500;
  const targetBatchUs = (o.targetBatchMs ?? 4) * 1000;
  const minBatch = Math.min(batchSize, 25);
  const intervalMs = o.intervalMs ?? 60_000;
  const walCheckpointBytes = o.walCheckpointBytes ?? 64 * 1024 * 1024;
  const idleMs = o.idleMs ?? 10_000;
  const nowMs = o.nowMs ?? Date.now;
  const busyTimeoutMs = o.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('retention: batchSize must be a positive integer');
  if (!(retentionHours >= 0)) throw new RangeError('retention: retentionHours must be >= 0');

  const counts = createSystemCounts(db);
  const selectOld = db
    .prepare<[number, number], [number, number, number, string]>(
      `SELECT killmail_id, system_id, kill_time_ms, character_ids FROM killmails
       WHERE kill_time_ms < ? ORDER BY kill_time_ms LIMIT ?`,
    )
    .raw();
  const deleteKill = db.prepare<[number]>('DELETE FROM killmails WHERE killmail_id = ?');
  const deleteDead = db.prepare<[number, number]>(
    'DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters WHERE at_ms < ? ORDER BY at_ms LIMIT ?)',
  );

  const s: RetentionStats = {
    prunedKills: 0,
    prunedDeadLetters: 0,
    runs: 0,
    batches: 0,
    maxBatchUs: 0,
    lastRunAtMs: 0,
    checkpoints: 0,
    checkpointsBusy: 0,
  };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = true;
  // Set by stop(): a run in progress finishes its current batch and ends (the rest waits for
  // the next start); pruneNow() alone (tests, CLI) runs to the end.
  let halting = false;

  // Running estimate of the cost of deleting one kill, µs; sizes the next batch.
  let usPerRow = 0;

  const batchTx = db.transaction((cutoffMs: number, limit: number): [number, number, number, string][] => {
    const rows = selectOld.all(cutoffMs, limit);
    const deltas = new Map<number, number>();
    for (const [killmailId, systemId] of rows) {
      deleteKill.run(killmailId);
      addDelta(deltas, systemId, -1);
    }
    counts.apply(deltas);
    return rows;
  });

  function nextLimit(): number {
    if (usPerRow <= 0) return minBatch;
    return Math.max(minBatch, Math.min(batchSize, Math.floor(targetBatchUs / usPerRow)));
  }

  function pruneBatch(cutoffMs: number, limit = batchSize): number {
    const t0 = performance.now();
    const rows = batchTx.immediate(cutoffMs, limit);
    for (const [killmailId, systemId, killTimeMs, charText] of rows) {
      o.characters?.remove(charText, killTimeMs, killmailId);
      o.systems?.remove(systemId, killTimeMs, killmailId);
      o.versions?.bump(systemId);
    }
    const n = rows.length;
    const us = Math.round((performance.now() - t0) * 1000);
    if (us > s.maxBatchUs) s.maxBatchUs = us;
    if (n > 0) usPerRow = usPerRow === 0 ? us / n : 0.7 * usPerRow + 0.3 * (us / n);
    s.batches++;
    s.prunedKills += n;
    if (n > 0) o.counters?.inc('store.pruned', n);
    return n;
  }

  async function pruneAll(): Promise<number> {
    if (retentionHours === 0) {
      s.runs++;
      s.lastRunAtMs = nowMs();
      return 0;
    }
    const cutoffMs = nowMs() - retentionHours * MS_PER_HOUR;
    let total = 0;
    for (;;) {
      const limit = nextLimit();
      const n = pruneBatch(cutoffMs, limit);
      total += n;
      if (n < limit) break;
      await yieldToLoop();
      if (halting || !db.open) break;
    }
    if (!db.open) return total;
    // Dead letters follow the same retention, one bounded batch per run (they are rare).
    const dead = deleteDead.run(cutoffMs, batchSize).changes;
    s.prunedDeadLetters += dead;
    s.runs++;
    s.lastRunAtMs = nowMs();
    if (total > 0 || dead > 0) o.logger?.debug({ prunedKills: total, prunedDeadLetters: dead }, 'store retention run');
    return total;
  }

  function pruneNow(): Promise<number> {
    running ??= pruneAll().finally(() => {
      running = undefined;
    });
    return running;
  }

  function walBytes(): number {
    try {
      return statSync(db.name + '-wal').size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
  }

  function checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): CheckpointAction {
    // Result row: [busy, wal frames, frames checkpointed]; busy = 1 when it could not finish.
    const row = db.pragma(`wal_checkpoint(${mode})`, { simple: false }) as { busy: number }[];
    const busy = row[0]?.busy === 1;
    if (busy) s.checkpointsBusy++;
    else s.checkpoints++;
    o.counters?.inc(busy ? 'store.wal_checkpoints_busy' : 'store.wal_checkpoints');
    return busy ? 'busy' : mode === 'PASSIVE' ? 'passive' : 'truncate';
  }

  function checkpointIfNeeded(): CheckpointAction {
    if (db.memory || !db.open) return 'none';
    const bytes = walBytes();
    if (bytes === 0) return 'none';
    const last = o.lastWriteAtMs?.() ?? 0;
    if (nowMs() - last >= idleMs) {
      db.pragma('busy_timeout = 0');
      try {
        return checkpoint('TRUNCATE');
      } finally {
        db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      }
    }
    return bytes > walCheckpointBytes ? checkpoint('PASSIVE') : 'none';
  }

  async function tick(): Promise<void> {
    timer = undefined;
    try {
      await pruneNow();
      checkpointIfNeeded();
    } catch (err) {
      // A failed run (disk full, lock held past busy_timeout) is retried next interval.
      o.counters?.inc('store.retention_errors');
      o.logger?.warn({ err }, 'store retention run failed; retrying next interval');
    }
    if (!stopped) timer = setTimeout(() => void tick(), intervalMs).unref();
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      halting = false;
      // First run soon after start (a restart may find a backlog), then every intervalMs.
      timer = setTimeout(() => void tick(), Math.min(intervalMs, 1000)).unref();
    },
    async stop() {
      stopped = true;
      halting = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      if (running !== undefined) await running;
    },
    pruneNow,
    pruneBatch,
    checkpointIfNeeded,
    stats: () => ({ ...s }),
  };
}
