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
  const app = await startApp(
    t,
    {
      source: 'none',
      db: ':memory:',
      wsMaxPayloadBytes: 1024 * 1024,
      wsEventBurst: 100_000,
      wsEventsPerSecond: 100_000,
      wsIpEventBurst: 100_000,
      wsIpEventsPerSecond: 100_000,
    },
    { http: true },
  );
  const base = `http://127.0.0.1:${app.port()}`;
  const url = `ws://127.0.0.1:${app.port()}`;
  // Setting up the maximum subscription is one large legitimate frame; the probe measures the
  // cheap-frame attack that follows.
  const c = await maximal(url, 90_000_000);
  const probe = new PingProbe(base);
  await probe.ready();

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

  // 50 swaps of 2,000 systems at the limit, each sent when the last was answered, as a Phoenix
  // client pushes (with `includes` each was O(add x remove)). Frames queued all at once are the
  // bench's ws-frames attack (docs/PERFORMANCE.md): uWS hands over every frame of one read at once.
  const SWAPS = 50;
  const half = SYSTEMS.slice(0, 2000);
  const other = half.map((s) => s + 20_000);
  const t0 = performance.now();
  for (let i = 0; i < SWAPS; i++) {
    const [a, b] = i % 2 === 0 ? [other, half] : [half, other];
    c.send(['1', String(1000 + i), 'killmails:lobby', 'update_subscriptions', { add_systems: a, remove_systems: b }]);
    const r = ((await c.next(isReply(String(1000 + i)), 30_000)) as Reply)[4];
    assert.equal(r.status, 'ok', JSON.stringify(r).slice(0, 200));
    assert.equal(r.response['added_systems'], 2000);
    assert.equal(r.response['subscribed_systems_count'], 10_000);
  }
  const perFrameMs = (performance.now() - t0) / SWAPS;
  const ping = await probe.stop();
  c.close();
  t.diagnostic(
    `update_subscriptions swap at the limit: ${perFrameMs.toFixed(1)} ms per frame; /ping max ${ping.maxMs} ms (raw ${ping.rawMaxMs} ms, prober stalls included) over ${ping.count}`,
  );
  assert.equal(ping.failures, 0);
  assert.ok(ping.maxMs < 1000, `/ping max ${ping.maxMs} ms`);
});

test('memory per maximal socket is bounded (was ~12.7 MB, 9 MB of it one Set per character)', async (t) => {
  const app = await startApp(
    t,
    { source: 'none', db: ':memory:', wsMaxPayloadBytes: 1024 * 1024, wsIpEventBurst: 100_000 },
    { http: true },
  );
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

test('sockets of one address share a budget: past it, the next frame closes its socket 1008 with a reason', async (t) => {
  const app = await startApp(
    t,
    { source: 'none', db: ':memory:', wsEventBurst: 1000, wsEventsPerSecond: 1, wsIpEventBurst: 100, wsIpEventsPerSecond: 1 },
    { http: true },
  );
  const url = `ws://127.0.0.1:${app.port()}/socket/websocket?vsn=2.0.0`;
  const sockets = [await RawClient.open(url), await RawClient.open(url), await RawClient.open(url)];
  for (const c of sockets) for (let i = 0; i < 40; i++) c.send([null, String(i), 'phoenix', 'heartbeat', {}]);
  const closed = await Promise.race(sockets.map((c) => c.waitClose()));
  assert.equal(closed.code, 1008);
  assert.match(closed.reason, /^rate_limited: address over 1 tokens\/s, burst 100/);
  assert.ok(app.counters.get('ws.rate_limited_address') >= 1);
  for (const c of sockets) c.close();
});

test('a large frame costs a token per KiB: 60 frames of 20 KiB exhaust a 1,000-token budget', async (t) => {
  const app = await startApp(t, { source: 'none', db: ':memory:', wsEventBurst: 1000, wsEventsPerSecond: 1 }, { http: true });
  const c = await RawClient.open(`ws://127.0.0.1:${app.port()}/socket/websocket?vsn=2.0.0`);
  const pad = 'x'.repeat(20 * 1024);
  for (let i = 0; i < 60; i++) c.send([null, String(i), 'phoenix', 'heartbeat', { pad }]);
  const closed = await c.waitClose();
  assert.equal(closed.code, 1008);
  assert.equal(app.counters.get('ws.closed.rate_limited'), 1);
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
  assert.match(closed.reason, /^rate_limited: socket over 5 tokens\/s, burst 50 \(1 per frame \+ 1 per KiB\)/);
  assert.equal(app.counters.get('ws.closed.rate_limited'), 1);
  other.send([null, 'h', 'phoenix', 'heartbeat', {}]);
  assert.equal(((await other.next(isReply('h'))) as Reply)[4].status, 'ok');
  other.close();
});
