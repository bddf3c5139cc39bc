// Phoenix echoes refs exactly as the client sent them: Elixir and other non-JS clients send
// integer refs, and a reply whose ref comes back as a string never matches their pending push.
// Raw frames on both serializers (V2 arrays, V1 objects), join_ref included.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeKill, RawClient, startHarness, type Harness } from './ws-harness.js';

const LOBBY = 'killmails:lobby';

describe('integer refs are echoed as integers', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test('V2: join reply, event reply and pushes carry the integer join_ref and ref', async (t) => {
    const c = await RawClient.open(`ws://127.0.0.1:${h.port}/socket/websocket?vsn=2.0.0`);
    t.after(() => c.close());
    c.send([1, 1, LOBBY, 'phx_join', { systems: [30000142], preload: { enabled: false } }]);
    const joined = (await c.next((f) => Array.isArray(f) && f[3] === 'phx_reply' && f[1] === 1)) as unknown[];
    assert.deepEqual(joined.slice(0, 4), [1, 1, LOBBY, 'phx_reply']);
    c.send([1, 2, LOBBY, 'get_status', {}]);
    const status = (await c.next((f) => Array.isArray(f) && f[3] === 'phx_reply' && f[1] === 2)) as unknown[];
    assert.deepEqual(status.slice(0, 4), [1, 2, LOBBY, 'phx_reply']);
    c.send([null, 3, 'phoenix', 'heartbeat', {}]);
    const beat = (await c.next((f) => Array.isArray(f) && f[2] === 'phoenix' && f[1] === 3)) as unknown[];
    assert.deepEqual(beat.slice(0, 4), [null, 3, 'phoenix', 'phx_reply']);
    c.send([null, '8', 'phoenix', 'heartbeat', {}]);
    const strings = (await c.next((f) => Array.isArray(f) && f[1] === '8')) as unknown[];
    assert.deepEqual(strings.slice(0, 2), [null, '8'], 'string refs stay strings');
    c.send(['1', 9, LOBBY, 'get_status', {}]);
    c.send([1, 10, LOBBY, 'get_status', {}]);
    const afterStale = (await c.next((f) => Array.isArray(f) && f[3] === 'phx_reply' && f[1] !== 3)) as unknown[];
    assert.equal(afterStale[1], 10, 'join_ref "1" is not the join_ref 1 the channel joined with: ignored as stale, as Phoenix does');
    h.publish([makeKill({ id: 88_001, systemId: 30000142 })]);
    const push = (await c.next((f) => Array.isArray(f) && f[3] === 'killmail_update')) as unknown[];
    assert.deepEqual(push.slice(0, 2), [null, null], 'broadcasts carry no refs');
  });

  test('V1: replies carry the integer ref and join_ref', async (t) => {
    const c = await RawClient.open(`ws://127.0.0.1:${h.port}/socket/websocket?vsn=1.0.0`);
    t.after(() => c.close());
    c.send({ topic: LOBBY, event: 'phx_join', payload: { systems: [30000142] }, ref: 10, join_ref: 10 });
    const joined = (await c.next((f) => (f as { ref?: unknown }).ref === 10)) as Record<string, unknown>;
    assert.equal(joined['event'], 'phx_reply');
    assert.equal(joined['join_ref'], 10);
    c.send({ topic: LOBBY, event: 'get_status', payload: {}, ref: 11, join_ref: 10 });
    const status = (await c.next((f) => (f as { ref?: unknown }).ref === 11)) as Record<string, unknown>;
    assert.equal(status['join_ref'], 10);
    assert.equal((status['payload'] as { status: string }).status, 'ok');
  });
});
