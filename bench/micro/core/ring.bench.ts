// Ring throughput across threads (main thread produces, a worker consumes) for 2 KiB records,
// raced in one run against postMessage baselines: structured clone of each record, and transfer
// of each record's own ArrayBuffer. Run: node --import tsx bench/micro/core/ring.bench.ts [records]
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { RingReader, RingWriter, createRingBuffer } from '../../../src/core/ring.js';

const RECORD_BYTES = 2048;
const RING_BYTES = 4 * 1024 * 1024;

interface Job {
  mode: 'ring' | 'clone' | 'transfer';
  count: number;
  sab?: SharedArrayBuffer;
}
interface Tally {
  records: number;
  bytes: number;
  checksum: number;
}

// ---------------------------------------------------------------- worker side
function consumeRing(sab: SharedArrayBuffer, count: number): Tally {
  const r = new RingReader(sab);
  const t: Tally = { records: 0, bytes: 0, checksum: 0 };
  while (t.records < count) {
    let rec = r.read();
    if (rec === undefined) {
      r.waitForData(50); // idle worker: blocking here is allowed
      continue;
    }
    while (rec !== undefined) {
      t.records++;
      t.bytes += rec.byteLength;
      t.checksum = (t.checksum + (rec[0] as number) + (rec[rec.byteLength - 1] as number)) | 0;
      rec = r.read();
    }
    r.commit();
  }
  return t;
}

function runWorker(): void {
  const job = workerData as Job;
  const port = parentPort;
  if (port === null) throw new Error('bench worker without parentPort');
  if (job.mode === 'ring') {
    port.postMessage(consumeRing(job.sab as SharedArrayBuffer, job.count));
    return;
  }
  const t: Tally = { records: 0, bytes: 0, checksum: 0 };
  port.on('message', (rec: Uint8Array) => {
    t.records++;
    t.bytes += rec.byteLength;
    t.checksum = (t.checksum + (rec[0] as number) + (rec[rec.byteLength - 1] as number)) | 0;
    if (t.records === job.count) {
      port.postMessage(t);
      port.close();
    }
  });
}

// ---------------------------------------------------------------- main side
function spawn(job: Job): Worker {
  const url = import.meta.url;
  // tsx's loader hooks are not active in worker threads on Node 20, so a .ts worker is loaded
  // through tsx's API; built .js loads with a plain import.
  const code = url.endsWith('.ts')
    ? 'const u = require("node:worker_threads").workerData.url; import("tsx/esm/api").then((m) => m.tsImport(u, u))'
    : 'import(require("node:worker_threads").workerData.url)';
  return new Worker(code, { eval: true, workerData: { ...job, url } });
}

function record(i: number): Uint8Array {
  const b = new Uint8Array(RECORD_BYTES);
  b.fill(i & 0xff);
  return b;
}

async function produceRing(count: number): Promise<[Worker, number]> {
  const sab = createRingBuffer(RING_BYTES);
  const worker = spawn({ mode: 'ring', count, sab });
  await once(worker, 'online');
  const w = new RingWriter(sab);
  const recs = [record(1), record(2), record(3), record(4)];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const rec = recs[i & 3] as Uint8Array;
    while (!w.tryWrite(rec)) await w.waitForSpaceAsync(rec.byteLength, 50);
  }
  return [worker, t0];
}

async function producePost(count: number, transfer: boolean): Promise<[Worker, number]> {
  const worker = spawn({ mode: transfer ? 'transfer' : 'clone', count });
  await once(worker, 'online');
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const rec = record(i);
    if (transfer) worker.postMessage(rec, [rec.buffer as ArrayBuffer]);
    else worker.postMessage(rec);
  }
  return [worker, t0];
}

async function measure(name: string, start: () => Promise<[Worker, number]>, count: number) {
  const [worker, t0] = await start();
  const [tally] = (await once(worker, 'message')) as [Tally];
  const seconds = (performance.now() - t0) / 1000;
  await worker.terminate();
  if (tally.records !== count || tally.bytes !== count * RECORD_BYTES) throw new Error(`${name}: lost records`);
  return { name, recordsPerSec: count / seconds, mbPerSec: (count * RECORD_BYTES) / seconds / 1e6 };
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 200_000);
  const rows = [];
  rows.push(await measure('postMessage (clone)', () => producePost(count, false), count));
  rows.push(await measure('postMessage (transfer)', () => producePost(count, true), count));
  rows.push(await measure('SAB ring', () => produceRing(count), count));
  const base = rows[0]?.recordsPerSec ?? 1;
  console.log(`ring.bench: ${count} records of ${RECORD_BYTES} B, main -> worker, node ${process.version}`);
  console.log('method                    records/s      MB/s   vs clone');
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(24)} ${Math.round(r.recordsPerSec).toString().padStart(10)} ${r.mbPerSec.toFixed(0).padStart(9)} ${(r.recordsPerSec / base).toFixed(2).padStart(9)}x`,
    );
  }
}

if (isMainThread) void main();
else runWorker();
