// The worker -> main result record: the fixed kill layout (src/pipeline/result-codec.ts) against
// the msgpackr records it replaced (predefined structures, a copy out of the shared buffer before
// unpacking), on 2,000 generated kills. "worker" is encoding plus the copy into a shared buffer
// (the ring's write); "main" is reading each record back from that buffer.
//   node --import tsx bench/micro/pipeline/result-codec.bench.ts
import { Packr } from 'msgpackr';
import { generateKill } from '../../../src/sim/index.js';
import { normalise, toKillRecord, type Normalised } from '../../../src/pipeline/normalise.js';
import { createResultCodec, killResult, type KillResult } from '../../../src/pipeline/result-codec.js';

const N = 2000;
const now = Date.now();
const results: KillResult[] = Array.from({ length: N }, (_, i) => {
  const k = generateKill(i, { seed: 11 }, now);
  const body = Buffer.from(JSON.stringify({ killmail_id: k.killmail_id, hash: k.hash, esi: k.esi, zkb: k.zkb }));
  const n = normalise(body, { maxEntryBytes: 1 << 22 }) as Normalised;
  return killResult(i, i, 'r2z2', false, toKillRecord(n.killmail, { replace: false, enriched: false, receivedAtUs: 0 }));
});

const KILL_RESULT = ['entryId', 'seq', 'source', 'older', 'kill'];
const KILL_RECORD = [
  'killmailId',
  'systemId',
  'killTimeMs',
  'characterIds',
  'characterText',
  'victimCharacterId',
  'totalValue',
  'npc',
  'json',
  'replace',
  'enriched',
  'receivedAtUs',
];
const packr = () => new Packr({ structures: [KILL_RESULT.slice(), KILL_RECORD.slice()], useRecords: true, maxSharedStructures: 2 });
const ring = new Uint8Array(new SharedArrayBuffer(1 << 24));

function run(encode: (r: KillResult) => Uint8Array, decode: (rec: Uint8Array) => unknown): { workerUs: number; mainUs: number } {
  const records: Uint8Array[] = [];
  let t = performance.now();
  let at = 0;
  for (const r of results) {
    const bytes = encode(r);
    ring.set(bytes, at);
    records.push(ring.subarray(at, at + bytes.byteLength));
    at += bytes.byteLength;
  }
  const workerUs = ((performance.now() - t) * 1000) / N;
  t = performance.now();
  for (const rec of records) decode(rec);
  return { workerUs, mainUs: ((performance.now() - t) * 1000) / N };
}

const [wp, mp] = [packr(), packr()];
const unshared = new Uint8Array(1 << 20);
const [worker, main] = [createResultCodec(), createResultCodec()];
console.log('round  msgpackr worker µs  main µs   layout worker µs  main µs');
for (let round = 1; round <= 5; round++) {
  const m = run(
    (r) => wp.pack(r),
    (rec) => {
      unshared.set(rec);
      return mp.unpack(unshared.subarray(0, rec.byteLength));
    },
  );
  const l = run(
    (r) => worker.encode(r),
    (rec) => main.decode(rec),
  );
  console.log(
    `${round}      ${m.workerUs.toFixed(2).padEnd(19)} ${m.mainUs.toFixed(2).padEnd(9)} ${l.workerUs.toFixed(2).padEnd(17)} ${l.mainUs.toFixed(2)}`,
  );
}
