import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  broadcastFrame,
  decodeBinary,
  decodeText,
  encodeMessage,
  encodeReply,
  killmailUpdatePayload,
} from '../../../src/fanout/protocol.js';

test('decodeText: V2 arrays and V1 objects', () => {
  assert.deepEqual(decodeText('["1","2","killmails:lobby","phx_join",{"systems":[1]}]'), {
    ok: true,
    msg: { joinRef: '1', ref: '2', topic: 'killmails:lobby', event: 'phx_join', payload: { systems: [1] }, shape: 'array' },
  });
  assert.deepEqual(decodeText('{"topic":"phoenix","event":"heartbeat","payload":{},"ref":3}'), {
    ok: true,
    msg: { joinRef: null, ref: 3, topic: 'phoenix', event: 'heartbeat', payload: {}, shape: 'object' },
  });
});

test('decodeText: precise errors', () => {
  const reasons = ['{', '[1,2]', '"x"', '[null,null,"",  "e",{}]', '[null,null,"t",5,{}]', '[{},null,"t","e",{}]'].map((t) => {
    const r = decodeText(t);
    return r.ok ? 'ok' : `${r.reason}/${r.closeCode}`;
  });
  assert.deepEqual(reasons, [
    'invalid_json/1007',
    'invalid_frame/1007',
    'invalid_frame/1007',
    'invalid_frame/1007',
    'invalid_frame/1007',
    'invalid_frame/1007',
  ]);
});

function push(joinRef: string, ref: string, topic: string, event: string, data: number[]): Uint8Array {
  return Uint8Array.from([
    0,
    joinRef.length,
    ref.length,
    topic.length,
    event.length,
    ...Buffer.from(joinRef + ref + topic + event),
    ...data,
  ]);
}

test('decodeBinary: a V2 push, and every malformed shape', () => {
  const r = decodeBinary(push('1', '22', 'phoenix', 'heartbeat', [9, 8]), 2);
  assert.ok(r.ok);
  assert.deepEqual(
    { ...r.msg, payload: [...(r.msg.payload as Buffer)] },
    { joinRef: '1', ref: '22', topic: 'phoenix', event: 'heartbeat', payload: [9, 8], shape: 'binary' },
  );
  const bad = (bytes: Uint8Array, vsn: 1 | 2 = 2): string => {
    const d = decodeBinary(bytes, vsn);
    return d.ok ? 'ok' : `${d.reason}/${d.closeCode}`;
  };
  assert.equal(bad(push('1', '1', 't', 'e', []), 1), 'binary_on_v1/1003');
  assert.equal(bad(Uint8Array.from([0, 1, 1])), 'invalid_binary_frame/1007');
  assert.equal(bad(Uint8Array.from([1, 0, 0, 0, 0])), 'invalid_binary_frame/1007');
  assert.equal(bad(Uint8Array.from([0, 0, 0, 50, 1, 65])), 'invalid_binary_frame/1007');
  assert.equal(bad(Uint8Array.from([0, 0, 0, 1, 1, 0xff, 65])), 'invalid_binary_frame/1007');
  assert.equal(bad(Uint8Array.from([0, 0, 0, 0, 1, 65])), 'invalid_frame/1007'); // empty topic
});

test('encode: replies and pushes in both serializers', () => {
  assert.equal(
    encodeReply(2, '1', '2', 'killmails:lobby', 'ok', { a: 1 }),
    '["1","2","killmails:lobby","phx_reply",{"status":"ok","response":{"a":1}}]',
  );
  assert.deepEqual(JSON.parse(encodeReply(1, null, '2', 'phoenix', 'error', { reason: 'x' })), {
    topic: 'phoenix',
    event: 'phx_reply',
    payload: { status: 'error', response: { reason: 'x' } },
    ref: '2',
    join_ref: null,
  });
  assert.equal(encodeMessage(2, '4', null, 't', 'phx_close', '{}'), '["4",null,"t","phx_close",{}]');
});

test('broadcastFrame splices the canonical JSON text unchanged', () => {
  const kill = '{"killmail_id":1,"kill_time":"2026-01-01T00:00:00Z","system_id":30000142,"victim":{"damage_taken":1,"ship_type_id":670}}';
  const payload = killmailUpdatePayload(30000142, [kill], '2026-01-01T00:00:01.000Z', false);
  const v2 = broadcastFrame(2, 'killmails:lobby', 'killmail_update', payload);
  assert.ok(v2.startsWith('[null,null,"killmails:lobby","killmail_update",{"system_id":30000142,"killmails":[' + kill + ']'));
  assert.deepEqual(JSON.parse(v2)[4], {
    system_id: 30000142,
    killmails: [JSON.parse(kill)],
    timestamp: '2026-01-01T00:00:01.000Z',
    preload: false,
  });
  const v1 = JSON.parse(broadcastFrame(1, 'killmails:all', 'killmail_update', payload));
  assert.deepEqual(v1, { topic: 'killmails:all', event: 'killmail_update', payload: JSON.parse(payload), ref: null, join_ref: null });
});
