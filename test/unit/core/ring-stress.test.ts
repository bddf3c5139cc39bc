// Multi-thread stress: a worker_threads producer and the main-thread consumer exchange 200k
// random-size records through a small ring (many laps, constant back-pressure); both sides
// checksum every byte and the record lengths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { RingReader, createRingBuffer } from '../../../src/core/ring.js';

const COUNT = 200_000;
const MAX_BYTES = 600;

test('200k random-size records cross threads intact (checksum on both sides)', async (t) => {
  const sab = createRingBuffer(16 * 1024);
  const tsEntry = new URL('../../fixtures/pipeline-ring-writer.worker.ts', import.meta.url).href;
  const worker = new Worker(new URL('../../fixtures/pipeline-ts-worker.mjs', import.meta.url), {
    workerData: { tsEntry, sab, count: COUNT, seed: 12345, maxBytes: MAX_BYTES },
  });
  t.after(() => worker.terminate());
  const done = once(worker, 'message') as Promise<[{ checksum: number; totalBytes: number; fullWaits: number }]>;
  const failed = once(worker, 'error').then(([err]) => {
    throw err;
  });

  const r = new RingReader(sab);
  let checksum = 0x811c9dc5;
  let totalBytes = 0;
  let records = 0;
  const deadline = Date.now() + 60_000;
  while (records < COUNT) {
    assert.ok(Date.now() < deadline, `only ${records} records within 60 s`);
    let rec = r.read();
    while (rec !== undefined) {
      for (let j = 0; j < rec.byteLength; j++) checksum = Math.imul(checksum ^ (rec[j] as number), 0x01000193) >>> 0;
      checksum = Math.imul(checksum ^ rec.byteLength, 0x01000193) >>> 0;
      totalBytes += rec.byteLength;
      records++;
      rec = r.read();
    }
    r.commit();
    if (records < COUNT) await r.waitForDataAsync(100);
  }
  const [sent] = await Promise.race([done, failed]);
  assert.equal(records, COUNT);
  assert.equal(totalBytes, sent.totalBytes);
  assert.equal(checksum, sent.checksum);
  assert.equal(r.read(), undefined, 'nothing extra');
  assert.ok(sent.fullWaits > 0, 'the producer hit a full ring at least once (back-pressure exercised)');
  t.diagnostic(`bytes ${totalBytes}, producer full waits ${sent.fullWaits}`);
});
