// Bad input with raw `ws` frames, each with its own test: clear error replies or closes with a
// reason, counted, and the server keeps serving a healthy client throughout. Also the V1 (object
// frame) serializer, binary pushes, leave/rejoin and stale join refs.
import { after, before, describe, test } from 'node:test';
import type { MetricKey } from '../../src/telemetry/index.js';
import assert from 'node:assert/strict';
import { isEvent, isReply, makeKill, RawClient, startHarness, type Harness } from './ws-harness.js';

const LOBBY = 'killmails:lobby';

describe('bad input on /socket/websocket', () => {
  let h: Harness;
  let healthy: RawClient;
  let url2: string;
  let seq = 0;
  const ref = (): string => String(++seq);

  /** Join on a fresh V2 client; returns the client and the join reply payload. */
  async function join(
    payload: unknown,
    client?: RawClient,
  ): Promise<{ c: RawClient; reply: { status: string; response: Record<string, unknown> } }> {
    const c = client ?? (await RawClient.open(url2));
    const r = ref();
    c.send([r, r, LOBBY, 'phx_join', payload]);
    const f = (await c.next(isReply(r))) as [string, string, string, string, { status: string; response: Record<string, unknown> }];
    return { c, reply: f[4] };
  }

  before(async () => {
    h = await startHarness();
    url2 = `ws://127.0.0.1:${h.port}/socket/websocket?vsn=2.0.0`;
    const j = await join({ systems: [30000142], preload: { enabled: false } });
    healthy = j.c;
    assert.equal(j.reply.status, 'ok');
  });

  after(async () => {
    // The healthy client still gets kills after everything below.
    h.publish([makeKill({ id: 77_001, systemId: 30000142 })]);
    const f = (await healthy.next(isEvent('killmail_update'))) as unknown[];
    assert.equal((f[4] as { killmails: Array<{ killmail_id: number }> }).killmails[0]?.killmail_id, 77_001);
    healthy.close();
    await h.close();
  });

  const joinErrors: Array<[string, unknown, string]> = [
    ['system ids as strings', { systems: ['30000142'] }, 'invalid_system_ids: systems must hold 1..50000000 integers (got "30000142")'],
    ['system ids as floats', { systems: [30000142.5] }, 'invalid_system_ids: systems must hold 1..50000000 integers (got 30000142.5)'],
    ['negative system ids', { systems: [-1] }, 'invalid_system_ids: systems must hold 1..50000000 integers (got -1)'],
    ['zero as a character id', { character_ids: [0] }, 'invalid_character_ids: character_ids must hold positive integers (got 0)'],
    [
      'character ids as strings',
      { character_ids: ['95000001'] },
      'invalid_character_ids: character_ids must hold positive integers (got "95000001")',
    ],
    ['systems not a list', { systems: 30000142 }, 'invalid_system_ids: systems must be an array of positive integers'],
    [
      '10,001 systems',
      { systems: Array.from({ length: 10_001 }, (_, i) => 30_000_001 + i) },
      'too_many_systems: Too many systems (max: 10000)',
    ],
    ['a non-object payload', 'systems', 'invalid_payload: join payload must be a JSON object'],
    ['an array payload', [30000142], 'invalid_payload: join payload must be a JSON object'],
    [
      'a bad preload option',
      { systems: [30000142], preload: { limit_per_system: 'many' } },
      'invalid_payload: preload.limit_per_system must be an integer',
    ],
  ];
  for (const [name, payload, reason] of joinErrors) {
    test(`join with ${name} → error {reason}`, async () => {
      const { c, reply } = await join(payload);
      assert.deepEqual(reply, { status: 'error', response: { reason } });
      c.close();
    });
  }

  test('limits are checked against the running totals', async () => {
    const { c } = await join({ systems: Array.from({ length: 6000 }, (_, i) => 30_000_001 + i), preload: { enabled: false } });
    let r = ref();
    c.send([null, r, LOBBY, 'subscribe_systems', { systems: Array.from({ length: 5000 }, (_, i) => 31_000_001 + i) }]);
    let f = (await c.next(isReply(r))) as unknown[];
    assert.deepEqual(f[4], {
      status: 'error',
      response: { reason: 'too_many_systems: Too many systems (max: 10000; subscribed 6000, adding 5000)' },
    });
    for (let k = 0; k < 5; k++) {
      r = ref();
      c.send([
        null,
        r,
        LOBBY,
        'subscribe_characters',
        { character_ids: Array.from({ length: 10_000 }, (_, i) => 90_000_000 + k * 10_000 + i) },
      ]);
      f = (await c.next(isReply(r))) as unknown[];
      assert.equal((f[4] as { status: string }).status, 'ok');
    }
    r = ref();
    c.send([null, r, LOBBY, 'subscribe_characters', { character_ids: [1] }]);
    f = (await c.next(isReply(r))) as unknown[];
    assert.deepEqual(f[4], {
      status: 'error',
      response: { reason: 'too_many_characters: Too many characters (max: 50000; subscribed 50000, adding 1)' },
    });
    assert.ok(h.fanout.stats().subscribedCharacters >= 50_000);
    c.close();
  });

  test('a non-object event payload and an unknown event get error replies', async () => {
    const { c } = await join({ preload: { enabled: false } });
    let r = ref();
    c.send([null, r, LOBBY, 'subscribe_systems', [30000142]]);
    assert.deepEqual(((await c.next(isReply(r))) as unknown[])[4], {
      status: 'error',
      response: { reason: 'invalid_payload: payload must be a JSON object' },
    });
    r = ref();
    c.send([null, r, LOBBY, 'drop_table', {}]);
    assert.deepEqual(((await c.next(isReply(r))) as unknown[])[4], { status: 'error', response: { reason: 'unknown_event' } });
    c.close();
  });

  test('unknown topics get "unmatched topic"', async () => {
    const c = await RawClient.open(url2);
    let r = ref();
    c.send([r, r, 'killmails:secret', 'phx_join', {}]);
    assert.deepEqual(((await c.next(isReply(r))) as unknown[])[4], { status: 'error', response: { reason: 'unmatched topic' } });
    r = ref();
    c.send([null, r, LOBBY, 'get_status', {}]); // not joined
    assert.deepEqual(((await c.next(isReply(r))) as unknown[])[4], { status: 'error', response: { reason: 'unmatched topic' } });
    c.close();
  });

  const closes: Array<[string, () => unknown, number, RegExp, MetricKey]> = [
    ['invalid JSON', () => '{"topic": ', 1007, /^invalid_json: /, 'ws.bad_frame.invalid_json'],
    [
      'an array frame of the wrong length',
      () => JSON.stringify([null, '1', LOBBY]),
      1007,
      /^invalid_frame: array frame must have 5 elements/,
      'ws.bad_frame.invalid_frame',
    ],
    ['a scalar frame', () => '42', 1007, /^invalid_frame: /, 'ws.bad_frame.invalid_frame'],
    [
      'a binary frame whose sizes exceed its length',
      () => Buffer.from([0, 1, 1, 200, 9, 0x31, 0x31]),
      1007,
      /^invalid_binary_frame: field sizes 1\+1\+200\+9 exceed/,
      'ws.bad_frame.invalid_binary_frame',
    ],
    [
      'a binary frame shorter than its header',
      () => Buffer.from([0, 1]),
      1007,
      /^invalid_binary_frame: frame of 2 bytes/,
      'ws.bad_frame.invalid_binary_frame',
    ],
    [
      'a binary frame of a server-only kind',
      () => Buffer.from([2, 0, 0, 0, 0]),
      1007,
      /^invalid_binary_frame: kind 2 is not a push/,
      'ws.bad_frame.invalid_binary_frame',
    ],
    [
      'a frame over 128 KiB',
      () => JSON.stringify([null, '1', LOBBY, 'subscribe_systems', { pad: 'x'.repeat(140 * 1024) }]),
      1009,
      /^frame_too_large: \d+ bytes, max 131072$/,
      'ws.bad_frame.too_large',
    ],
  ];
  for (const [name, frame, code, reason, counter] of closes) {
    test(`${name} → close ${code} with a reason`, async () => {
      const before = h.counters.get(counter);
      const c = await RawClient.open(url2);
      c.send(frame());
      const closed = await c.waitClose();
      assert.equal(closed.code, code);
      assert.match(closed.reason, reason);
      assert.equal(h.counters.get(counter), before + 1);
    });
  }

  test("a frame over uWS's hard cap (max(2 x cap, 1 MiB)) is aborted by uWS and counted as too_large", async () => {
    const before = h.counters.get('ws.closed.too_large');
    const c = await RawClient.open(url2);
    c.send('x'.repeat(1536 * 1024));
    const closed = await c.waitClose();
    assert.equal(closed.code, 1006);
    assert.equal(h.counters.get('ws.closed.too_large'), before + 1);
  });

  test('binary pushes: heartbeat ok, a binary join payload is invalid_payload; binary on V1 closes 1003', async () => {
    const c = await RawClient.open(url2);
    const binaryPush = (joinRef: string, r: string, topic: string, event: string, data: Buffer): Buffer =>
      Buffer.concat([
        Buffer.from([0, joinRef.length, r.length, topic.length, event.length]),
        Buffer.from(joinRef + r + topic + event),
        data,
      ]);
    c.send(binaryPush('', '7', 'phoenix', 'heartbeat', Buffer.from([1, 2, 3])));
    assert.deepEqual(((await c.next(isReply('7'))) as unknown[])[4], { status: 'ok', response: {} });
    c.send(binaryPush('8', '8', LOBBY, 'phx_join', Buffer.from([1, 2, 3])));
    assert.deepEqual(((await c.next(isReply('8'))) as unknown[])[4], {
      status: 'error',
      response: { reason: 'invalid_payload: join payload must be a JSON object' },
    });
    c.close();
    const v1 = await RawClient.open(`ws://127.0.0.1:${h.port}/socket/websocket`);
    v1.send(binaryPush('', '1', 'phoenix', 'heartbeat', Buffer.alloc(0)));
    const closed = await v1.waitClose();
    assert.deepEqual(closed, { code: 1003, reason: 'binary_on_v1: binary frames need vsn=2.0.0' });
  });

  test('an unknown vsn is refused at the upgrade with 400', async () => {
    const c = new RawClient(`ws://127.0.0.1:${h.port}/socket/websocket?vsn=3.0.0`);
    const res = await new Promise<number>((resolve) => c.ws.on('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0)));
    assert.equal(res, 400);
    assert.equal(h.counters.get('ws.upgrade_rejected.vsn'), 1);
    c.ws.on('error', () => undefined);
    c.close();
  });

  test('V1 object frames: join, heartbeat, killmail_update as objects', async () => {
    for (const query of ['', '?vsn=1.0.0', '?vsn=2.0.0']) {
      // The last one is like some Python clients: V1 objects while asking for 2.0.0.
      const c = await RawClient.open(`ws://127.0.0.1:${h.port}/socket/websocket${query}`);
      c.send({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: '1' });
      assert.deepEqual(await c.next((f) => (f as { ref?: string }).ref === '1'), {
        topic: 'phoenix',
        event: 'phx_reply',
        payload: { status: 'ok', response: {} },
        ref: '1',
        join_ref: null,
      });
      c.send({ topic: LOBBY, event: 'phx_join', payload: { systems: [30000180], preload: { enabled: false } }, ref: '2' });
      const joined = (await c.next((f) => (f as { ref?: string }).ref === '2')) as { payload: { status: string } };
      assert.equal(joined.payload.status, 'ok');
      h.publish([makeKill({ id: 78_000 + query.length, systemId: 30000180 })]);
      const upd = (await c.next((f) => (f as { event?: string }).event === 'killmail_update')) as {
        topic: string;
        payload: { killmails: Array<{ killmail_id: number }>; preload: boolean };
      };
      assert.equal(upd.topic, LOBBY);
      assert.equal(upd.payload.killmails[0]?.killmail_id, 78_000 + query.length);
      assert.equal(upd.payload.preload, false);
      c.close();
    }
  });

  test('phx_leave replies ok then phx_close; a stale join_ref is ignored and counted; a rejoin closes the old channel', async () => {
    const { c } = await join({ systems: [30000190], preload: { enabled: false } });
    const first = String(seq);
    const r2 = ref();
    c.send([r2, r2, LOBBY, 'phx_join', { systems: [30000191], preload: { enabled: false } }]);
    assert.deepEqual(await c.next(isEvent('phx_close')), [first, null, LOBBY, 'phx_close', {}]);
    assert.equal((((await c.next(isReply(r2))) as unknown[])[4] as { status: string }).status, 'ok');
    const staleBefore = h.counters.get('ws.ignored.stale_join_ref');
    c.send([first, ref(), LOBBY, 'get_status', {}]);
    const r3 = ref();
    c.send([r2, r3, LOBBY, 'get_status', {}]);
    const status = (await c.next(isReply(r3))) as unknown[];
    assert.deepEqual((status[4] as { response: { subscribed_systems: number[] } }).response.subscribed_systems, [30000191]);
    assert.equal(h.counters.get('ws.ignored.stale_join_ref'), staleBefore + 1);
    const r4 = ref();
    c.send([r2, r4, LOBBY, 'phx_leave', {}]);
    assert.deepEqual(((await c.next(isReply(r4))) as unknown[])[4], { status: 'ok', response: {} });
    assert.deepEqual(await c.next(isEvent('phx_close')), [r2, null, LOBBY, 'phx_close', {}]);
    c.close();
  });

  test('the killmails:all firehose is opt-in and gets every kill', async () => {
    const c = await RawClient.open(url2);
    const r = ref();
    c.send([r, r, 'killmails:all', 'phx_join', {}]);
    assert.equal((((await c.next(isReply(r))) as unknown[])[4] as { status: string }).status, 'ok');
    h.publish([makeKill({ id: 79_001, systemId: 30045342 })]);
    const f = (await c.next(isEvent('killmail_update'))) as unknown[];
    assert.equal(f[2], 'killmails:all');
    assert.equal(h.fanout.subscriptionStats().firehose_subscriptions, 1);
    c.close();
  });
});
