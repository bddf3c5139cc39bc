// A client that stops reading is dropped once its send buffer passes wsMaxBackpressureBytes,
// with a counted reason, while a normal client on the same system keeps receiving every kill
// with low latency (slow clients never slow other clients).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { epochUs } from '../../src/core/clock.js';
import { isEvent, isReply, makeKill, RawClient, startHarness, waitFor, type Harness } from './ws-harness.js';

const SYSTEM = 30002187;
let h: Harness;

before(async () => {
  h = await startHarness({ wsMaxBackpressureBytes: 64 * 1024 });
});
after(async () => {
  await h.close();
});

async function joined(): Promise<RawClient> {
  const c = await RawClient.open(`ws://127.0.0.1:${h.port}/socket/websocket?vsn=2.0.0`);
  c.send(['1', '1', 'killmails:lobby', 'phx_join', { systems: [SYSTEM], preload: { enabled: false } }]);
  await c.next(isReply('1'));
  return c;
}

test('a slow consumer is dropped and counted; a normal client keeps its latency', async () => {
  const slow = await joined();
  const normal = await joined();
  const latenciesUs: number[] = [];
  let received = 0;
  normal.ws.on('message', (data) => {
    const f = JSON.parse(String(data)) as [unknown, unknown, string, string, { killmails: Array<{ sent_at_us?: number }> }];
    if (f[3] !== 'killmail_update') return;
    received++;
    for (const k of f[4].killmails) if (k.sent_at_us) latenciesUs.push(epochUs() - k.sent_at_us);
  });
  (slow.ws as unknown as { _socket: Duplex })._socket.pause();

  // ~20 KB kills (200 attackers): enough volume to fill the kernel buffers of the paused socket.
  const attackers = Array.from({ length: 200 }, (_, i) => 95_100_000 + i);
  let published = 0;
  for (let batch = 0; batch < 200 && h.counters.get('ws.dropped.slow_consumer') === 0; batch++) {
    const records = Array.from({ length: 10 }, () => {
      const r = makeKill({ id: 500_000 + published++, systemId: SYSTEM, attackers });
      // Stamp the publish time inside the kill so the client measures its own delivery latency.
      return { ...r, json: r.json.replace('{', `{"sent_at_us":${epochUs()},`) };
    });
    h.publish(records);
    await new Promise((r) => setTimeout(r, 5)); // pace the producer: ~2,000 kills/s
  }
  await waitFor(() => h.counters.get('ws.dropped.slow_consumer') === 1, 5000, 'slow consumer dropped');
  assert.equal(h.counters.get('ws.closed.slow_consumer'), 1);
  assert.equal(h.fanout.stats().activeConnections, 1);

  // The normal client got every kill published, quickly.
  await waitFor(() => received === published, 5000, `normal client: ${received}/${published}`);
  latenciesUs.sort((a, b) => a - b);
  const p50 = latenciesUs[Math.floor(latenciesUs.length * 0.5)] ?? 0;
  const p99 = latenciesUs[Math.floor(latenciesUs.length * 0.99)] ?? 0;
  // Generous bounds (the client shares this process and the machine's cores with the server and
  // whatever else runs): they catch a client held up behind the slow one, not jitter.
  assert.ok(p50 < 100_000, `normal client p50 ${p50} µs`);
  assert.ok(p99 < 1_000_000, `normal client p99 ${p99} µs`);

  // Once it reads again, the slow client finds the close frame with the reason.
  (slow.ws as unknown as { _socket: Duplex })._socket.resume();
  const closed = await slow.waitClose(10_000);
  assert.ok(closed.code === 1008 || closed.code === 1006, `close code ${closed.code}`);
  if (closed.code === 1008) assert.match(closed.reason, /^slow_consumer: send buffer over 65536 bytes$/);

  // The server still serves the normal client.
  h.publish([makeKill({ id: 999_999, systemId: SYSTEM })]);
  await normal.next((f) => isEvent('killmail_update')(f) && JSON.stringify(f).includes('999999'));
  normal.close();
});
