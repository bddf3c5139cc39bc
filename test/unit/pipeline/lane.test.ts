// Lane crash recovery, driven by hand: the test plays the worker on the lane's rings.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { PipelineOutcome } from '../../../src/core/ports.js';
import { RingReader, RingWriter } from '../../../src/core/ring.js';
import { decodeEntryHeader } from '../../../src/pipeline/entry-header.js';
import { Lane } from '../../../src/pipeline/lane.js';
import { createResultCodec, failResult } from '../../../src/pipeline/result-codec.js';
import { bytes } from '../../fixtures/pipeline-samples.js';
import { entry } from '../../fixtures/pipeline-harness.js';

const codec = createResultCodec();

function fakeWorker(lane: Lane) {
  const ingest = new RingReader(lane.buffers.ingest);
  const results = new RingWriter(lane.buffers.result);
  ingest.sync();
  results.sync();
  return {
    /** Read the next entry, write its result, optionally commit it. */
    step(commit: boolean): number {
      const rec = ingest.read();
      assert.ok(rec, 'an entry to process');
      const h = decodeEntryHeader(rec);
      assert.ok(results.tryWrite(codec.encode(failResult(h.entryId, h.seq, h.source, 'shape', 'test'))));
      if (commit) ingest.commit();
      return h.seq;
    },
    readOnly(): number {
      const rec = ingest.read();
      assert.ok(rec);
      return decodeEntryHeader(rec).seq;
    },
  };
}

function push(lane: Lane, n: number): void {
  for (let i = 1; i <= n; i++) assert.ok(lane.tryPush(entry(bytes({ n: i }), i)));
}

describe('lane recovery', () => {
  test('crash after result write, before commit: result kept once, entry not retried', () => {
    const lane = new Lane(0, 4096, 4096);
    push(lane, 3);
    const w = fakeWorker(lane);
    w.step(true);
    w.step(false); // crash here: result written, TAIL not advanced
    const out: PipelineOutcome[] = [];
    assert.equal(lane.drainResults(codec, out), 0);
    assert.deepEqual(
      out.map((o) => o.seq),
      [1, 2],
    );
    const report = lane.recoverAfterCrash();
    assert.deepEqual(report, { retried: 0, deadLettered: [], hadEntries: false });
    const next = fakeWorker(lane);
    assert.equal(next.step(true), 3, 'the next worker starts after the finished entry');
    assert.equal(lane.drainResults(codec, out), 0);
    assert.equal(lane.inFlight, 0);
  });

  test('a duplicate result (same entry id twice) is discarded', () => {
    const lane = new Lane(0, 4096, 4096);
    push(lane, 1);
    fakeWorker(lane).step(false);
    fakeWorker(lane).step(true); // a second worker reprocesses the uncommitted entry
    const out: PipelineOutcome[] = [];
    assert.equal(lane.drainResults(codec, out), 1);
    assert.equal(out.length, 1);
  });

  test('entries in flight get one attempt; the second crash at TAIL dead-letters', () => {
    const lane = new Lane(0, 4096, 4096);
    push(lane, 4);
    const w1 = fakeWorker(lane);
    w1.readOnly();
    w1.readOnly(); // two entries in the dead worker's hands
    const r1 = lane.recoverAfterCrash();
    assert.equal(r1.retried, 2);
    assert.equal(r1.deadLettered.length, 0);
    assert.equal(lane.sequentialThroughId, 2, 'suspects run one at a time');
    const w2 = fakeWorker(lane);
    assert.equal(w2.readOnly(), 1); // crashes again alone on entry 1
    const r2 = lane.recoverAfterCrash();
    assert.equal(r2.retried, 0);
    assert.deepEqual(
      r2.deadLettered.map((o) => [o.seq, o.kind === 'failed' ? o.reason : 'kill']),
      [[1, 'dead_letter']],
    );
    assert.equal(lane.inFlight, 3);
    const w3 = fakeWorker(lane);
    assert.equal(w3.step(true), 2, 'entry 2 (one attempt) runs again');
    assert.equal(w3.step(true), 3);
    assert.equal(w3.step(true), 4);
    const out: PipelineOutcome[] = [];
    lane.drainResults(codec, out);
    assert.deepEqual(
      out.map((o) => o.seq),
      [2, 3, 4],
    );
    assert.equal(lane.inFlight, 0);
  });

  test('a crash with nothing in flight counts as a crash streak', () => {
    const lane = new Lane(0, 4096, 4096);
    push(lane, 1);
    assert.equal(lane.recoverAfterCrash().hadEntries, false);
    assert.equal(lane.crashStreak, 1);
    assert.equal(lane.recoverAfterCrash().hadEntries, false);
    assert.equal(lane.crashStreak, 2);
  });
});
