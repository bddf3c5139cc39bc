// The worker's drain task run in this thread on a lane built by hand, for the guard the pool's
// equal ring sizes make unreachable from outside: a result larger than its result ring.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { PipelineOutcome } from '../../../src/core/ports.js';
import { Lane } from '../../../src/pipeline/lane.js';
import { createResultCodec } from '../../../src/pipeline/result-codec.js';
import { createWorkerHandler } from '../../../src/pipeline/worker-runtime.js';
import type { DrainReply } from '../../../src/pipeline/types.js';
import { bytes, crowdedKillmail, r2z2Entry } from '../../fixtures/pipeline-samples.js';
import { entry } from '../../fixtures/pipeline-harness.js';

const config = {
  maxEntryBytes: 4 * 1024 * 1024,
  enrich: false,
  enrichBudgetMs: 0,
  esiUrl: 'http://127.0.0.1:9',
  esiCompatibilityDate: '2025-01-01',
  userAgent: 'test',
  db: ':memory:',
  nice: 0,
  transcode: true,
};

describe('worker drain task', () => {
  test('a result larger than the result ring is failed as too_large, and the lane goes on', async () => {
    const lane = new Lane(0, 1024 * 1024, 64 * 1024);
    const handler = createWorkerHandler({ lanes: [lane.buffers], config }, {});
    assert.ok(lane.tryPush(entry(bytes(crowdedKillmail(1, 1500)), 1)));
    assert.ok(lane.tryPush(entry(bytes(r2z2Entry(2)), 2)));
    const reply = (await handler({ kind: 'drain', lane: 0, sequentialThroughId: 0 })) as DrainReply;
    assert.equal(reply.processed, 2);
    const out: PipelineOutcome[] = [];
    assert.equal(lane.drainResults(createResultCodec(), out), 0);
    const [big, small] = out;
    assert.ok(big?.kind === 'failed' && big.reason === 'too_large' && big.seq === 1, JSON.stringify(big).slice(0, 200));
    assert.match(big.message, /exceeds the result ring \(65536 bytes\)/);
    assert.ok(small?.kind === 'kill' && small.seq === 2);
  });
});
