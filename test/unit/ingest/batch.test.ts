// takeBatch/putBack: a batch keeps arrival order, leaves expired kills out of the writes while
// keeping them among the outcomes (they are still acknowledged), and a batch put back goes in
// front of what arrived meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PipelineOutcome } from '../../../src/core/ports.js';
import { putBack, takeBatch } from '../../../src/ingest/batch.js';
import { makeKill } from '../store/helpers.js';

const kill = (id: number, killTimeMs: number): PipelineOutcome => ({
  kind: 'kill',
  kill: makeKill({ id, killTimeMs }),
  older: false,
  seq: id,
  source: 'r2z2',
});
const failed = (seq: number): PipelineOutcome => ({ kind: 'failed', reason: 'json', message: 'bad', seq, source: 'r2z2' });

test('takeBatch: at most max outcomes, in order; kills before the expiry instant are counted, not written', () => {
  const backlog = [kill(1, 1000), failed(2), kill(3, 5000), kill(4, 9000), kill(5, 9000)];
  const b = takeBatch(backlog, 4, 2000);
  assert.deepEqual(
    b.outcomes.map((o) => o.seq),
    [1, 2, 3, 4],
  );
  assert.deepEqual(
    b.kills.map((k) => k.kill.killmailId),
    [3, 4],
  );
  assert.equal(b.expired, 1);
  assert.deepEqual(
    backlog.map((o) => o.seq),
    [5],
    'the rest stays for the next batch',
  );
});

test('takeBatch with no expiry (-Infinity) writes every kill', () => {
  const b = takeBatch([kill(1, 0), kill(2, 1)], 10, Number.NEGATIVE_INFINITY);
  assert.equal(b.kills.length, 2);
  assert.equal(b.expired, 0);
});

test('putBack: the batch goes in front of what arrived meanwhile', () => {
  const backlog = [kill(1, 1), kill(2, 1)];
  const b = takeBatch(backlog, 2, 0);
  backlog.push(kill(3, 1));
  putBack(backlog, b);
  assert.deepEqual(
    backlog.map((o) => o.seq),
    [1, 2, 3],
  );
});
