// The idle timeout (60 s by default; 8 s here, the smallest uWS allows): a client that sends
// nothing is closed and counted; a client that heartbeats stays connected.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isReply, RawClient, startHarness, type Harness } from './ws-harness.js';

let h: Harness;

before(async () => {
  h = await startHarness({ wsIdleTimeoutSeconds: 8 });
});
after(async () => {
  await h.close();
});

test('a silent client is closed after the idle timeout; a heartbeating one is not', async () => {
  const url = `ws://127.0.0.1:${h.port}/socket/websocket?vsn=2.0.0`;
  const silent = await RawClient.open(url);
  const beating = await RawClient.open(url);
  let ref = 0;
  const beat = setInterval(() => beating.send([null, String(++ref), 'phoenix', 'heartbeat', {}]), 2000);
  const t0 = Date.now();
  try {
    const closed = await silent.waitClose(20_000);
    const elapsedMs = Date.now() - t0;
    // Our sweep runs every 2 s: the close comes 8..10 s after the last frame, a clean 1000.
    assert.ok(elapsedMs >= 7000 && elapsedMs <= 18_000, `closed after ${elapsedMs} ms`);
    assert.equal(closed.code, 1000);
    assert.match(closed.reason, /^idle_timeout: no frame for 8 s/);
    assert.equal(h.counters.get('ws.closed.idle_timeout'), 1);
    assert.equal(beating.closed, undefined);
    const r = String(++ref);
    beating.send([null, r, 'phoenix', 'heartbeat', {}]);
    assert.deepEqual(((await beating.next(isReply(r))) as unknown[])[4], { status: 'ok', response: {} });
  } finally {
    clearInterval(beat);
    beating.close();
  }
});
