import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KillRecord } from '../../../src/core/killmail.js';
import { createResultPackr, failResult, killResult, toOutcome } from '../../../src/pipeline/result-codec.js';

const kill: KillRecord = {
  killmailId: 1,
  systemId: 30000142,
  killTimeMs: 1767225600000,
  characterIds: [5, 6],
  victimCharacterId: 5,
  totalValue: 1.5e9,
  npc: false,
  json: '{"killmail_id":1,"name":"héllo"}',
  replace: false,
  enriched: true,
  receivedAtUs: 1767225600000123,
};

test('both sides built from the shared module decode each other (shared structures)', () => {
  const worker = createResultPackr();
  const main = createResultPackr();
  const k = worker.pack(killResult(7, 99, 'r2z2', true, kill));
  const f = worker.pack(failResult(8, 100, 'redisq', 'wrong_type', 'victim: expected object'));
  // The worker sends the character_ids text beside the ids (the store's column, joined once there).
  assert.deepEqual(toOutcome(main.unpack(k)), {
    kind: 'kill',
    kill: { ...kill, characterText: '5,6' },
    older: true,
    seq: 99,
    source: 'r2z2',
  });
  assert.deepEqual(toOutcome(main.unpack(f)), {
    kind: 'failed',
    reason: 'wrong_type',
    message: 'victim: expected object',
    seq: 100,
    source: 'redisq',
  });
  assert.ok(k.byteLength < JSON.stringify(kill).length, 'records carry no key names');
});

test('decoding from a SharedArrayBuffer view works (results are read in place from the ring)', () => {
  const p = createResultPackr();
  const enc = p.pack(killResult(1, 1, 'esi', false, kill));
  const view = new Uint8Array(new SharedArrayBuffer(enc.byteLength + 8), 4, enc.byteLength);
  view.set(enc);
  assert.equal(toOutcome(p.unpack(view)).kind, 'kill');
});
