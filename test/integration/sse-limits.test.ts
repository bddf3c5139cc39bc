// SSE limits and lifecycle against the real app: total and per-IP caps (503 / 429 in the error
// envelope), slow readers dropped and counted, Last-Event-ID resume (EventSource's own reconnect
// through a proxy we cut, and an explicit header) with nothing missed and nothing twice, and
// 1,000 connect/disconnect cycles leaving nothing behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { App } from '../../src/app.js';
import { Collector, cuttableProxy, publish, rawGet, sleep, startSimApp, waitFor } from './sse-support.js';

let app: App;
let base: string;

before(async () => {
  app = await startSimApp({ sseMaxConnections: 1000, sseMaxPerIp: 1000, sseMaxBufferedBytes: 16 * 1024 });
  base = `http://127.0.0.1:${app.port()}`;
});
after(async () => {
  await app.stop();
});

type SseStats = Record<
  | 'connections'
  | 'client_ips'
  | 'indexed_systems'
  | 'indexed_characters'
  | 'indexed_wildcard'
  | 'closed_client_close'
  | 'closed_slow_reader'
  | 'refused_total_limit'
  | 'resumed_kills',
  number
>;

function sseStats(a: App): SseStats {
  return a.status().sse as SseStats;
}

test('per-IP limit → 429 and total limit → 503, in the error envelope; a freed slot is reusable', async () => {
  const limited = await startSimApp({ sseMaxConnections: 4, sseMaxPerIp: 3 });
  const url = `http://127.0.0.1:${limited.port()}/api/v1/kills/stream`;
  try {
    const open = await Promise.all([rawGet(url), rawGet(url), rawGet(url)]);
    for (const s of open) assert.equal(s.status, 200);
    const r = await fetch(url);
    assert.equal(r.status, 429);
    const body = (await r.json()) as { error: string; code: string; details: { limit: number } };
    assert.equal(body.code, 'rate_limited');
    assert.equal(body.details.limit, 3);
    open[0].close();
    await waitFor(() => sseStats(limited).connections === 2, 5000, 'slot freed');
    const again = await rawGet(url);
    assert.equal(again.status, 200);
    for (const s of [...open, again]) s.close();
  } finally {
    await limited.stop();
  }
  const tiny = await startSimApp({ sseMaxConnections: 2, sseMaxPerIp: 10 });
  const tinyUrl = `http://127.0.0.1:${tiny.port()}/api/v1/kills/stream/enhanced`;
  try {
    const open = await Promise.all([rawGet(tinyUrl), rawGet(tinyUrl)]);
    const r = await fetch(tinyUrl);
    assert.equal(r.status, 503);
    const body = (await r.json()) as { code: string };
    assert.equal(body.code, 'unavailable');
    assert.equal(sseStats(tiny).refused_total_limit, 1);
    for (const s of open) s.close();
  } finally {
    await tiny.stop();
  }
});

test('a reader that stops reading is dropped and counted; the others keep receiving', async () => {
  await publish(app, 50); // stored kills for the slow reader's preload
  const healthy = new Collector(`${base}/api/v1/kills/stream`);
  await healthy.opened();
  const socket = net.connect(app.port(), '127.0.0.1');
  let closed = false;
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  try {
    await new Promise((r) => socket.once('connect', r));
    // Never read: the kernel buffers fill, then uWS's, then the hub drops it. The preload of
    // every stored kill fills them without waiting for the pipeline.
    socket.write('GET /api/v1/kills/stream/enhanced?preload_days=90 HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.pause();
    const before = healthy.kills().length;
    const deadline = Date.now() + 90_000;
    const storedBefore = app.results.stats().stored ?? 0;
    let published = 0;
    while (sseStats(app).closed_slow_reader === 0 && Date.now() < deadline) {
      published += app.sim?.publish(100) ?? 0;
      await sleep(500);
    }
    // Let the pipeline drain, so the next tests count only their own kills.
    await waitFor(() => (app.results.stats().stored ?? 0) >= storedBefore + published, 60_000, 'published kills stored');
    assert.ok(sseStats(app).closed_slow_reader >= 1, 'slow reader dropped');
    await waitFor(() => healthy.kills().length >= before + 100, 30_000, 'healthy client kept receiving');
    socket.resume();
    await waitFor(() => closed, 10_000, 'slow socket closed');
  } finally {
    socket.destroy();
    healthy.close();
  }
});

test('EventSource reconnects with Last-Event-ID and gets the kills it missed, then live ones, none twice', async () => {
  const reference = new Collector(`${base}/api/v1/kills/stream`);
  await reference.opened();
  const proxy = await cuttableProxy(app.port());
  const es = new Collector(`http://127.0.0.1:${proxy.port}/api/v1/kills/stream`);
  await es.opened();
  const start = reference.kills().length;
  await publish(app, 20);
  await waitFor(() => es.kills().length >= 20, 20_000, 'first kills through the proxy');
  proxy.cut(); // EventSource reconnects after the server's retry: 2000
  await sleep(100);
  await publish(app, 25); // missed while disconnected
  await waitFor(() => es.kills().length >= 45, 30_000, 'missed kills after the reconnect');
  await publish(app, 15); // live after the resume
  await waitFor(() => reference.kills().length >= start + 60 && es.kills().length >= 60, 20_000, 'live kills');
  await sleep(300);
  assert.ok(es.errors >= 1, 'the connection did drop');
  assert.deepEqual(es.killIds(), reference.killIds().slice(start), 'same kills, same order, none twice');
  assert.ok(sseStats(app).resumed_kills >= 25);
  es.close();
  reference.close();
  proxy.close();
});

test('Last-Event-ID header: filters apply to the resumed kills; an unknown id starts live', async () => {
  const reference = new Collector(`${base}/api/v1/kills/stream`);
  await reference.opened();
  const start = reference.kills().length;
  await publish(app, 30);
  await waitFor(() => reference.kills().length >= start + 30, 20_000, 'reference kills');
  const kills = reference.kills().slice(start);
  const anchor = kills[9]!.killmail_id;
  const system = kills[12]!.system_id;
  const withHeader = (id: string) => ({
    fetch: (input: string | URL | Request, init?: RequestInit) =>
      fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), 'Last-Event-ID': id } }),
  });
  const resumed = new Collector(`${base}/api/v1/kills/stream?system_ids=${system}`, withHeader(String(anchor)));
  const unknown = new Collector(`${base}/api/v1/kills/stream`, withHeader('999999999999'));
  await Promise.all([resumed.opened(), unknown.opened()]);
  await sleep(300);
  assert.deepEqual(
    resumed.killIds(),
    kills
      .slice(10)
      .filter((k) => k.system_id === system)
      .map((k) => k.killmail_id),
  );
  assert.deepEqual(unknown.killIds(), []);
  for (const c of [reference, resumed, unknown]) c.close();
});

test('1,000 connect/disconnect cycles leave no connection, IP entry or index entry behind', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const modes = [
    '/api/v1/kills/stream?system_ids=30000142&character_ids=5',
    '/api/v1/kills/stream/enhanced?system_ids=30000142&preload_days=1',
    '/api/v1/kills/stream',
  ];
  const warm = await rawGet(`${base}${modes[1]}`);
  warm.close();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  for (let round = 0; round < 100; round++) {
    const streams = await Promise.all(Array.from({ length: 10 }, (_, i) => rawGet(`${base}${modes[(round + i) % 3]}`)));
    for (const s of streams) assert.equal(s.status, 200);
    for (const s of streams) s.close();
  }
  await waitFor(() => sseStats(app).connections === 0, 30_000, `every stream closed (${sseStats(app).connections} open)`);
  const s = sseStats(app);
  assert.equal(s.client_ips, 0);
  assert.equal(s.indexed_systems, 0);
  assert.equal(s.indexed_characters, 0);
  assert.equal(s.indexed_wildcard, 0);
  assert.ok(s.closed_client_close >= 1000);
  await sleep(200);
  gc();
  const grewMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
  assert.ok(grewMb < 20, `heap grew ${grewMb.toFixed(1)} MB`);
});
