// Cheap client events (issue "cheap frames, expensive work"): a socket at the subscription
// maximum gets bounded replies (first page + counts, the rest paged with get_subscriptions),
// update_subscriptions at the limits is set-based, a flood of frames closes the socket with a
// reason, and /ping (another process) answers within 1 s throughout. Real app, real sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { startApp } from '../fixtures/ingest-harness.js';
import { isReply, RawClient } from './ws-harness.js';
import { PingProbe } from './abuse-support.js';

const SYSTEMS = Array.from({ length: 10_000 }, (_, k) => 30_000_001 + k);
const characters = (base: number): number[] => Array.from({ length: 50_000 }, (_, k) => base + k);
type Reply = [string, string, string, string, { status: string; response: Record<string, unknown> }];

async function maximal(url: string, charBase: number): Promise<RawClient> {
  const c = await RawClient.open(`${url}/socket/websocket?vsn=2.0.0`);
  c.send(['1', '1', 'killmails:lobby', 'phx_join', { systems: SYSTEMS, character_ids: characters(charBase), preload: { enabled: false } }]);
  const r = (await c.next(isReply('1'), 30_000)) as Reply;
  assert.equal(r[4].status, 'ok', JSON.stringify(r[4]).slice(0, 200));
  return c;
}

function gc(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

test('a socket at the subscription maximum: bounded replies, paged lists, set-based updates, /ping < 1 s', async (t) => {
  const app = await startApp(t, { source: 'none', db: ':memory:', wsMaxPayloadBytes: 1024 * 1024, wsEventBurst: 1000, wsEventsPerSecond: 1000 }, { http: true });
  const base = `http://127.0.0.1:${app.port()}`;
  const url = `ws://127.0.0.1:${app.port()}`;
  const probe = new PingProbe(base);
  const c = await maximal(url, 90_000_000);

  // get_status: 45 bytes in, a bounded answer out (it was 441 KB).
  let bytes = 0;
  c.ws.on('message', (d: Buffer) => (bytes = d.length));
  c.send(['1', '2', 'killmails:lobby', 'get_status', {}]);
  const st = ((await c.next(isReply('2'))) as Reply)[4].response;
  assert.ok(bytes < 40_000, `get_status reply ${bytes} bytes`);
  assert.equal(st['subscribed_systems_count'], 10_000);
  assert.equal(st['subscribed_characters_count'], 50_000);
  assert.equal(st['subscribed_characters_truncated'], true);
  assert.deepEqual(st['subscribed_characters'], characters(90_000_000).slice(0, 1000));

  // The full list on request, a page at a time.
  const all: number[] = [];
  let offset: number | null = 0;
  for (let ref = 100; offset !== null; ref++) {
    c.send(['1', String(ref), 'killmails:lobby', 'get_subscriptions', { kind: 'characters', offset, limit: 1000 }]);
    const r = ((await c.next(isReply(String(ref)))) as Reply)[4].response;
    all.push(...(r['ids'] as number[]));
    offset = r['next_offset'] as number | null;
  }
  assert.deepEqual(all, characters(90_000_000));

  // 100 swaps of 5,000 systems at the limit (each was ~85 ms with `includes`).
  const t0 = performance.now();
  for (let i = 0; i < 100; i++) {
    const [a, b] = i % 2 === 0 ? [SYSTEMS.slice(0, 5000).map((s) => s + 20_000), SYSTEMS.slice(0, 5000)] : [SYSTEMS.slice(0, 5000), SYSTEMS.slice(0, 5000).map((s) => s + 20_000)];
    c.send(['1', String(1000 + i), 'killmails:lobby', 'update_subscriptions', { add_systems: a, remove_systems: b }]);
  }
  for (let i = 0; i < 100; i++) {
    const r = ((await c.next(isReply(String(1000 + i)), 30_000)) as Reply)[4];
    assert.equal(r.status, 'ok', JSON.stringify(r).slice(0, 200));
    assert.equal(r.response['added_systems'], 5000);
    assert.equal(r.response['subscribed_systems_count'], 10_000);
  }
  const perFrameMs = (performance.now() - t0) / 100;
  const ping = await probe.stop();
  c.close();
  t.diagnostic(`update_subscriptions swap at the limit: ${perFrameMs.toFixed(1)} ms per frame; /ping max ${ping.maxMs} ms over ${ping.count}`);
  assert.equal(ping.failures, 0);
  assert.ok(ping.maxMs < 1000, `/ping max ${ping.maxMs} ms`);
});

test('memory per maximal socket is bounded (was ~12.7 MB, 9 MB of it one Set per character)', async (t) => {
  const app = await startApp(t, { source: 'none', db: ':memory:', wsMaxPayloadBytes: 1024 * 1024 }, { http: true });
  const url = `ws://127.0.0.1:${app.port()}`;
  gc();
  const before = process.memoryUsage().heapUsed;
  const clients: RawClient[] = [];
  for (let i = 0; i < 5; i++) clients.push(await maximal(url, 90_000_000 + i * 100_000));
  gc();
  const perSocketMb = (process.memoryUsage().heapUsed - before) / 5 / 1048576;
  t.diagnostic(`heap per maximal socket: ${perSocketMb.toFixed(1)} MB`);
  assert.ok(perSocketMb < 6, `heap per maximal socket ${perSocketMb.toFixed(1)} MB`);
  for (const c of clients) c.close();
});

test('a frame flood past the event budget closes the socket 1008 with a reason; others carry on', async (t) => {
  const app = await startApp(t, { source: 'none', db: ':memory:', wsEventBurst: 50, wsEventsPerSecond: 5 }, { http: true });
  const url = `ws://127.0.0.1:${app.port()}/socket/websocket?vsn=2.0.0`;
  const other = await RawClient.open(url);
  const flood = await RawClient.open(url);
  flood.send(['1', '1', 'killmails:lobby', 'phx_join', { systems: [30000142] }]);
  for (let i = 0; i < 200; i++) flood.send(['1', String(i + 2), 'killmails:lobby', 'get_status', {}]);
  const closed = await flood.waitClose();
  assert.equal(closed.code, 1008);
  assert.match(closed.reason, /^rate_limited: more than 5 frames\/s \(burst 50\)/);
  assert.equal(app.counters.get('ws.closed.rate_limited'), 1);
  other.send([null, 'h', 'phoenix', 'heartbeat', {}]);
  assert.equal(((await other.next(isReply('h'))) as Reply)[4].status, 'ok');
  other.close();
});
