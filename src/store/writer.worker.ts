// The store's writer thread (writer-thread.ts starts it): its own connection to the file, and
// the same batch writer as the main thread's (writer.ts). The kills arrive as bytes in a shared
// buffer (batch-codec.ts); the character index and the system versions live on the main thread,
// so their changes go back with each answer.
import { workerData } from 'node:worker_threads';
import { nameThisThread } from '../core/threads.js';
import { decodeBatch } from './batch-codec.js';
import { openWriter } from './open.js';
import { createStoreWriter, type IndexOp, type ThreadReply } from './writer.js';
import type { WriterTask, WriterThreadData } from './writer-thread.js';

const data = workerData as WriterThreadData;
nameThisThread('wk-writer');

const db = openWriter(data.path, data.tuning);
let ops: IndexOp[] = [];
let systems: number[] = [];
const writer = createStoreWriter(db, {
  onIndexOps: (changes) => void (ops = changes.slice()),
  versions: { bump: (systemId) => void systems.push(systemId) },
  sideWriter: data.sideWriter,
});

/** One task: a batch (its answer, or the SQLite error as the rejection), or closing the connection. */
export default function run(task: WriterTask): ThreadReply | undefined {
  if (task.type === 'stop') {
    db.close();
    return undefined;
  }
  ops = [];
  systems = [];
  try {
    const outcomes = writer.writeBatch(decodeBatch(task.kills), task.cursors, task.plan);
    return { outcomes, ops, systems, us: writer.stats().lastBatchUs };
  } catch (err) {
    // writeBatch threw ERR_STORE_WRITE around SQLite's error, which the main thread's writer wraps
    // again. A plain Error: SqliteError's own class does not survive the copy to the main thread.
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    throw new Error(cause instanceof Error ? cause.message : String(cause));
  }
}
