// The store's writer thread, main-thread side: batches handed to writeBatchAsync run their
// transaction on a thread of their own (writer.worker.ts, its own connection to the file), so the
// main thread, which serves REST and sockets and routes every kill, no longer spends a third of
// its time in SQLite's INSERT and COMMIT, nor stalls when a commit has to restart the WAL
// (docs/ARCHITECTURE.md, "The writer thread").
//
// A Piscina pool of one thread, like the pipeline's workers: it loads the worker from the build or
// the sources alike, and replaces a thread that crashed (the failed batch is retried by the result
// sink; SQLite rolled back what the thread had not committed). Started by the first batch, so a
// store that never ingests (tests, a cluster replica, the CLI's db commands) runs no thread. The
// kills cross as bytes in a shared buffer (batch-codec.ts); the answer carries the outcomes and
// what the character index and the system versions must learn, which the main thread's writer
// applies (writer.ts).
import { Piscina } from 'piscina';
import type { Logger } from '../telemetry/index.js';
import type { DbTuning } from './open.js';
import type { BatchThread, ThreadBatch, ThreadReply } from './writer.js';

export interface WriterThreadOptions {
  path: string;
  tuning: DbTuning;
  /** The file is another process's (`wkills backfill` beside a server): batches move the side-writes marker. */
  sideWriter: boolean;
  logger?: Logger;
  /** Called when the thread starts (the store turns off the main connection's own checkpoints). */
  onStart?: () => void;
}

export interface WriterThreadData {
  path: string;
  tuning: DbTuning;
  sideWriter: boolean;
}

export type WriterTask = ({ type: 'batch' } & ThreadBatch) | { type: 'stop' };

function workerFile(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./writer.worker${ext}`, import.meta.url).href;
}

export function createWriterThread(o: WriterThreadOptions): BatchThread {
  let pool: Piscina | undefined;
  let stopped = false;

  function start(): Piscina {
    const workerData: WriterThreadData = { path: o.path, tuning: o.tuning, sideWriter: o.sideWriter };
    const p = new Piscina({ filename: workerFile(), minThreads: 1, maxThreads: 1, idleTimeout: Number.POSITIVE_INFINITY, workerData });
    // Errors not tied to a task (a replacement thread failing to load): logged, not thrown here.
    p.on('error', (err: unknown) => o.logger?.error({ err }, 'store writer thread error'));
    pool = p;
    o.onStart?.();
    return p;
  }

  return {
    run(batch) {
      if (stopped) return Promise.reject(new Error('store writer thread stopped'));
      const task: WriterTask = { type: 'batch', ...batch };
      return (pool ?? start()).run(task) as Promise<ThreadReply>;
    },
    async stop() {
      stopped = true;
      const p = pool;
      if (p === undefined) return;
      // After the batches already queued: the thread closes its connection, then the pool ends.
      const stop: WriterTask = { type: 'stop' };
      await p.run(stop).catch((err: unknown) => o.logger?.warn({ err }, 'store writer thread did not close its connection'));
      await p.destroy();
    },
  };
}
