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
  // t0 is taken before the silent client connects: the server's "last frame" instant (its open)
  // cannot precede it, so the lower bound holds however late the client's own open event fires
  // on a loaded machine (server and client share this event loop).
  const t0 = Date.now();
  const silent = await RawClient.open(url);
  const beating = await RawClient.open(url);
  let ref = 0;
  const beat = setInterval(() => beating.send([null, String(++ref), 'phoenix', 'heartbeat', {}]), 2000);
  try {
    const closed = await silent.waitClose(30_000);
    const elapsedMs = Date.now() - t0;
    // Never before the 8 s timeout; our sweep runs every 2 s, so normally 8..10 s after the last
    // frame, a clean 1000. The upper bound is generous for a loaded machine.
    assert.ok(elapsedMs >= 7990, `closed after only ${elapsedMs} ms`);
    assert.ok(elapsedMs <= 25_000, `closed after ${elapsedMs} ms`);
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
