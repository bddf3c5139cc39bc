// Limit row for bench/ingest/run.ts: the least work any design must do with these entries —
// every entry JSON.parse'd once on a worker thread (it has to be read to be validated), and its
// raw bytes batch-inserted into a SQLite file (WAL, the store's pragmas, one transaction per
// batch) on the main thread. Nothing else: no validation, no canonical shape, no re-encode, no
// routing columns, no indexes, no bus. Entries travel to and from the workers as transferred
// ArrayBuffers, so the main thread pays no copy. docs/PERFORMANCE.md "Limit rows" says why this
// is the floor.
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { ThreadCpu } from '../../src/telemetry/index.js';
import { cpuSplit, type CpuSplit } from '../thread-cpu.js';

const BATCH = 256;

// Named like the pipeline's workers, so the per-thread CPU split (bench/thread-cpu.ts) counts
// them in the same column.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
try { require('node:fs').writeFileSync('/proc/thread-self/comm', 'wk-pipeline'); } catch {}
const decoder = new TextDecoder();
parentPort.on('message', (bodies) => {
  let n = 0;
  for (const b of bodies) if (JSON.parse(decoder.decode(b)) !== null) n++;
  parentPort.postMessage({ bodies, n }, bodies.map((b) => b.buffer));
});`;

export async function runLimit(
  dbPath: string,
  bodies: readonly Uint8Array[],
  workers: number,
): Promise<{ kills: number; seconds: number; threads: CpuSplit | undefined }> {
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS raw_entries (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  const insert = db.prepare<[number, Buffer]>('INSERT INTO raw_entries (id, body) VALUES (?, ?)');
  const insertBatch = db.transaction((first: number, batch: readonly Uint8Array[]) => {
    for (let i = 0; i < batch.length; i++) {
      const b = batch[i]!;
      insert.run(first + i, Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    }
  });
  // Own copies, each in its own ArrayBuffer, so transferring them leaves the caller's intact.
  const own = bodies.map((b) => new Uint8Array(b));
  const pool = Array.from({ length: workers }, () => new Worker(WORKER_SOURCE, { eval: true }));
  const started = process.hrtime.bigint();
  const threadCpu = new ThreadCpu();
  const threads0 = threadCpu.read();
  let next = 0;
  let kills = 0;
  // Two batches in flight per worker (replies come back in order), so a worker never idles
  // while the main thread inserts.
  const loops = pool.flatMap((w) => {
    const waiting: ((r: { bodies: Uint8Array[]; n: number }) => void)[] = [];
    w.on('message', (r: { bodies: Uint8Array[]; n: number }) => waiting.shift()?.(r));
    const run = async (): Promise<void> => {
      while (next < own.length) {
        const first = next;
        const batch = own.slice(first, first + BATCH);
        next += batch.length;
        const reply = await new Promise<{ bodies: Uint8Array[]; n: number }>((resolve) => {
          waiting.push(resolve);
          w.postMessage(
            batch,
            batch.map((b) => b.buffer),
          );
        });
        insertBatch.immediate(first, reply.bodies);
        kills += reply.n;
      }
    };
    return [run(), run()];
  });
  await Promise.all(loops);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const threads = cpuSplit(threads0, threadCpu.read());
  await Promise.all(pool.map((w) => w.terminate()));
  db.close();
  return { kills, seconds, threads };
}
