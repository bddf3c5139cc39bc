// A handler that throws (a bug, simulated with a clock that fails once) errors only that channel,
// as in Phoenix: a crashed join replies "join crashed", a crashed channel gets `phx_error`; the
// error is counted, and the socket and the server keep working.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isEvent, isReply, RawClient, startHarness, type Harness } from './ws-harness.js';

let h: Harness;
let failClock = false;

before(async () => {
  h = await startHarness({}, () => {
    if (failClock) {
      failClock = false;
      throw new Error('clock failure (test)');
    }
    return Date.now();
  });
});
after(async () => {
  await h.close();
});

const statusOf = (f: unknown): unknown => ((f as unknown[])[4] as { status: string }).status;

test('a crashed join replies "join crashed"; a crashed channel gets phx_error; the socket lives on', async () => {
  const c = await RawClient.open(`ws://127.0.0.1:${h.port}/socket/websocket?vsn=2.0.0`);
  failClock = true;
  c.send(['1', '1', 'killmails:lobby', 'phx_join', { systems: [30000142] }]); // the join reads the clock
  assert.deepEqual(((await c.next(isReply('1'))) as unknown[])[4], { status: 'error', response: { reason: 'join crashed' } });

  c.send(['2', '2', 'killmails:lobby', 'phx_join', { systems: [30000142] }]);
  assert.equal(statusOf(await c.next(isReply('2'))), 'ok');
  failClock = true;
  c.send(['2', '3', 'killmails:lobby', 'subscribe_systems', { systems: [30000144] }]); // its preload reads the clock
  assert.equal(statusOf(await c.next(isReply('3'))), 'ok');
  assert.deepEqual(await c.next(isEvent('phx_error')), ['2', null, 'killmails:lobby', 'phx_error', { reason: 'channel_crash' }]);
  assert.equal(h.counters.get('ws.channel_errors'), 2);
  assert.equal(h.fanout.stats().subscribedSystems, 0, 'the errored channel left no subscription');

  c.send([null, '4', 'phoenix', 'heartbeat', {}]);
  assert.deepEqual(((await c.next(isReply('4'))) as unknown[])[4], { status: 'ok', response: {} });
  c.send(['5', '5', 'killmails:lobby', 'phx_join', { systems: [30000142], preload: { enabled: false } }]);
  assert.equal(statusOf(await c.next(isReply('5'))), 'ok');
  assert.equal(h.fanout.stats().subscribedSystems, 1);
  c.close();
});
