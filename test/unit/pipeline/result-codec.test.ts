// The worker -> main result records: a kill in the fixed layout, a failure as a msgpackr record,
// each decoded the way the main thread reads them (in place from a SharedArrayBuffer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KillRecord } from '../../../src/core/killmail.js';
import { createResultCodec, failResult, killResult, toOutcome } from '../../../src/pipeline/result-codec.js';

const kill: KillRecord = {
  killmailId: 1,
  systemId: 30000142,
  killTimeMs: 1767225600000,
  characterIds: [5, 6],
  victimCharacterId: 5,
  totalValue: 1.5e9,
  npc: false,
  json: '{"killmail_id":1,"name":"héllo 日本 🚀"}',
  replace: false,
  enriched: true,
  receivedAtUs: 1767225600000123,
};

/** Copy `bytes` into a SharedArrayBuffer at an odd offset, as a ring record may sit. */
function inRing(bytes: Uint8Array, at = 3): Uint8Array {
  const view = new Uint8Array(new SharedArrayBuffer(bytes.byteLength + 16), at, bytes.byteLength);
  view.set(bytes);
  return view;
}

test('a kill and a failure round-trip between the two sides, read in place from shared memory', () => {
  const worker = createResultCodec();
  const main = createResultCodec();
  const k = inRing(worker.encode(killResult(7, 99, 'r2z2', true, kill)));
  const f = inRing(worker.encode(failResult(8, 100, 'redisq', 'wrong_type', 'victim: expected object')));
  // The worker sends the character_ids text beside the ids (the store's column, joined once there).
  assert.deepEqual(toOutcome(main.decode(k)), {
    kind: 'kill',
    kill: { ...kill, characterText: '5,6' },
    older: true,
    seq: 99,
    source: 'r2z2',
  });
  assert.deepEqual(toOutcome(main.decode(f)), {
    kind: 'failed',
    reason: 'wrong_type',
    message: 'victim: expected object',
    seq: 100,
    source: 'redisq',
  });
});

test('every flag and number survives, with no characters and with hundreds', () => {
  const codec = createResultCodec();
  const many = Array.from({ length: 600 }, (_, i) => 2_112_000_000 + i);
  const variants: KillRecord[] = [
    { ...kill, characterIds: [], characterText: '', victimCharacterId: 0, npc: true, replace: true, enriched: false, totalValue: 0 },
    {
      ...kill,
      characterIds: many,
      characterText: many.join(','),
      killmailId: 2 ** 40 + 1,
      totalValue: 123456.789,
      json: 'x'.repeat(200_000),
    },
  ];
  for (const v of variants) {
    const decoded = codec.decode(inRing(codec.encode(killResult(2 ** 33, 5, 'esi', false, v)), 0));
    assert.deepEqual(decoded, { entryId: 2 ** 33, seq: 5, source: decoded.source, older: false, kill: v });
    assert.equal(toOutcome(decoded).source, 'esi');
  }
});

test('a failure keeps its entry body; a truncated or unknown record is a clear error', () => {
  const codec = createResultCodec();
  const body = new Uint8Array([1, 2, 3, 250]);
  const outcome = toOutcome(codec.decode(inRing(codec.encode({ ...failResult(3, 4, 'r2z2', 'esi_fetch', 'ESI 503'), body }))));
  assert.deepEqual(outcome.kind === 'failed' ? [...(outcome.body ?? [])] : undefined, [1, 2, 3, 250]);
  const whole = codec.encode(killResult(1, 1, 'r2z2', false, kill)).slice();
  assert.throws(() => codec.decode(inRing(whole.subarray(0, whole.byteLength - 5))), /truncated/);
  assert.throws(() => codec.decode(new Uint8Array([9, 0, 0])), /unknown result record \(tag 9/);
});
