// WAL checkpoints on a worker thread, so the page copying and fsync they cost are not paid
// inside writeBatch on the main thread (the writer's own wal_autocheckpoint stays on only as a
// distant backstop). Measured with bench/micro/store/write.bench.ts on a shared 2-core machine:
// the threaded case ran 3-20 % more kills/s than checkpoints on the writer (noisy), and an
// exploratory run with no checkpoints at all on the writer bounds the gain at ~45 % (52 vs
// 76 µs per kill with a 10-row character index).
//
// Policy (every intervalMs, on the worker's own connection, busy_timeout 0 so it never waits):
//  - WAL file >= thresholdBytes and written since the last complete checkpoint
//                                                    → wal_checkpoint(PASSIVE): copies every frame
//    no reader still needs, concurrently with the writer (WAL allows one checkpointer + one writer).
//  - WAL unchanged for idleMs and non-empty          → wal_checkpoint(TRUNCATE): empties the file.
//    It briefly holds the write lock; the writer is idle by definition, and if it does write it
//    waits on its busy_timeout for at most the length of that checkpoint.
//
// The worker is plain CommonJS passed with eval: it runs the same under tsx (tests) and the
// compiled build, with no TypeScript loader needed in the worker, and needs only better-sqlite3,
// whose resolved path is passed in.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type { Counters, Logger } from '../telemetry/index.js';

const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { statSync, writeFileSync } = require('node:fs');
// Named for top -H and the benches' per-thread CPU (core/threads.ts); Linux only.
try { writeFileSync('/proc/thread-self/comm', 'wk-checkpoint'); } catch {}
const Database = require(workerData.sqlitePath);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const walPath = workerData.path + '-wal';
let timer;
// The WAL as it was after the last complete checkpoint: a file that is still that size and
// age has nothing new to copy (a reset WAL keeps its size until a TRUNCATE or the size limit).
let doneMtimeMs = -1;
let doneSize = -1;
function walStat() {
  try { return statSync(walPath); } catch (err) { if (err.code === 'ENOENT') return null; throw err; }
}
function pickMode(st) {
  if (st === null || st.size === 0) return null;
  const unchanged = st.mtimeMs === doneMtimeMs && st.size === doneSize;
  if (!unchanged && st.size >= workerData.thresholdBytes) return 'PASSIVE';
  if (Date.now() - st.mtimeMs >= workerData.idleMs) return 'TRUNCATE';
  return null;
}
function tick() {
  const st = walStat();
  const mode = pickMode(st);
  if (mode !== null) {
    const t0 = performance.now();
    const row = db.pragma('wal_checkpoint(' + mode + ')')[0];
    const busy = row.busy === 1 || row.checkpointed < row.log;
    if (!busy) { doneMtimeMs = st.mtimeMs; doneSize = st.size; }
    parentPort.postMessage({ type: 'checkpoint', mode, busy, walBytes: st.size,
      frames: row.checkpointed, ms: performance.now() - t0 });
  }
  timer = setTimeout(tick, workerData.intervalMs);
}
parentPort.on('message', (msg) => {
  if (msg !== 'stop') throw new Error('checkpointer: unknown message ' + String(msg));
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
timer = setTimeout(tick, workerData.intervalMs);
`;

export interface CheckpointerOptions {
  /** Absolute path of the database file (already created and migrated). */
  path: string;
  thresholdBytes?: number;
  idleMs?: number;
  intervalMs?: number;
  logger?: Logger;
  counters?: Counters;
}

export interface CheckpointerStats {
  running: boolean;
  passive: number;
  truncate: number;
  busy: number;
  errors: number;
  maxCheckpointMs: number;
  lastWalBytes: number;
}

export interface Checkpointer {
  stop(): Promise<void>;
  stats(): CheckpointerStats;
}

interface CheckpointMessage {
  type: 'checkpoint';
  mode: 'PASSIVE' | 'TRUNCATE';
  busy: boolean;
  walBytes: number;
  frames: number;
  ms: number;
}

export function startCheckpointer(o: CheckpointerOptions): Checkpointer {
  const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      sqlitePath,
      path: o.path,
      thresholdBytes: o.thresholdBytes ?? 8 * 1024 * 1024,
      idleMs: o.idleMs ?? 10_000,
      intervalMs: o.intervalMs ?? 200,
    },
  });
  // A checkpointer must not keep the process alive on its own.
  worker.unref();
  const s: CheckpointerStats = { running: true, passive: 0, truncate: 0, busy: 0, errors: 0, maxCheckpointMs: 0, lastWalBytes: 0 };
  worker.on('message', (m: CheckpointMessage) => {
    if (m.type !== 'checkpoint') throw new Error(`checkpointer: unknown message type ${String(m.type)}`);
    if (m.busy) s.busy++;
    else if (m.mode === 'PASSIVE') s.passive++;
    else s.truncate++;
    s.lastWalBytes = m.walBytes;
    if (m.ms > s.maxCheckpointMs) s.maxCheckpointMs = m.ms;
    o.counters?.inc(m.busy ? 'store.wal_checkpoints_busy' : 'store.wal_checkpoints');
  });
  worker.on('error', (err) => {
    // The writer's wal_autocheckpoint backstop and retention's WAL watch keep the WAL bounded.
    s.errors++;
    o.counters?.inc('store.checkpointer_errors');
    o.logger?.error({ err }, 'store checkpointer thread failed; falling back to checkpoints on the writer');
  });
  // Not events.once: it would reject on 'error', an unhandled rejection when nobody awaits stop().
  const exited = new Promise<void>((resolve) => {
    worker.on('exit', () => {
      s.running = false;
      resolve();
    });
  });
  return {
    stop() {
      if (s.running) {
        // Keep the loop alive until the thread has closed its connection and exited.
        worker.ref();
        worker.postMessage('stop');
      }
      return exited;
    },
    stats: () => ({ ...s }),
  };
}
