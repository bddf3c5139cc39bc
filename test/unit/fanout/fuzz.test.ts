// Fuzzing the Phoenix frame decoder: any text or binary frame decodes to a message or to one of
// the named bad-frame reasons with a 1003/1007 close code; nothing throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBinary, decodeText, type DecodeResult } from '../../../src/fanout/protocol.js';
import { parseIds, parsePreload } from '../../../src/fanout/validate.js';
import { fuzz, ReasonTally } from '../../fixtures/fuzz.js';

const REASONS = new Set(['invalid_json', 'invalid_frame', 'invalid_binary_frame', 'binary_on_v1']);

function check(r: DecodeResult, tally: ReasonTally): void {
  if (r.ok) {
    assert.equal(typeof r.msg.topic, 'string');
    assert.ok(r.msg.topic.length > 0 && r.msg.event.length > 0);
    tally.add('ok');
    return;
  }
  assert.ok(REASONS.has(r.reason), r.reason);
  assert.ok(r.closeCode === 1003 || r.closeCode === 1007);
  assert.equal(typeof r.detail, 'string');
  tally.add(r.reason);
}

const part = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constant(null),
  fc.integer(),
  fc.constantFrom('killmails:lobby', 'phoenix', 'phx_join', 'heartbeat'),
);
const frame = fc.tuple(part, part, part, part, fc.jsonValue({ maxDepth: 3 }));

test('text frames: random text, random JSON, Phoenix-shaped arrays and objects', async (t) => {
  const tally = new ReasonTally();
  await fuzz(
    'decodeText random text',
    fc.property(fc.string({ maxLength: 200 }), (s) => check(decodeText(s), tally)),
    3000,
  );
  await fuzz(
    'decodeText random JSON',
    fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => check(decodeText(JSON.stringify(v)), tally)),
    3000,
  );
  await fuzz(
    'decodeText array frames',
    fc.property(frame, (f) => check(decodeText(JSON.stringify(f)), tally)),
    3000,
  );
  await fuzz(
    'decodeText object frames',
    fc.property(frame, ([j, r, topic, event, payload]) =>
      check(decodeText(JSON.stringify({ join_ref: j, ref: r, topic, event, payload })), tally),
    ),
    2000,
  );
  t.diagnostic(tally.toString());
});

test('binary frames on V1 and V2', async (t) => {
  const tally = new ReasonTally();
  const pushLike = fc
    .tuple(fc.array(fc.nat(20), { minLength: 4, maxLength: 4 }), fc.uint8Array({ maxLength: 80 }))
    .map(([sizes, rest]) => Uint8Array.from([0, ...sizes, ...rest]));
  await fuzz(
    'decodeBinary',
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 120 }), pushLike), fc.constantFrom(1 as const, 2 as const), (b, vsn) =>
      check(decodeBinary(b, vsn), tally),
    ),
    5000,
  );
  t.diagnostic(tally.toString());
});

test('channel payload validators: ids and preload never throw; a rejection is a reason', async () => {
  await fuzz(
    'parseIds / parsePreload',
    fc.property(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('system' as const, 'character' as const), (v, kind) => {
      const ids = parseIds(v, kind);
      if (ids.ok) for (const id of ids.value) assert.ok(Number.isSafeInteger(id) && id > 0);
      else assert.match(ids.reason, /^(invalid_system_ids|invalid_character_ids|too_many_systems|too_many_characters): /);
      const p = parsePreload(v);
      if (!p.ok) assert.match(p.reason, /^invalid_payload: /);
    }),
    5000,
  );
});
