// SSE end to end with the npm `eventsource` client: simulator → pipeline → store → bus → SSE.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../src/app.js';
import { characterIdsOf, Collector, publish, rawGet, sleep, startSimApp, waitFor, type Kill } from './sse-support.js';

let app: App;
let base: string;

before(async () => {
  app = await startSimApp({ sseHeartbeatSeconds: 1 });
  base = `http://127.0.0.1:${app.port()}`;
});
after(async () => {
  await app.stop();
});

test('headers: text/event-stream, no-cache, x-accel-buffering: no; first chunk retry: 2000', async () => {
  const s = await rawGet(`${base}/api/v1/kills/stream`);
  assert.equal(s.status, 200);
  assert.match(String(s.headers['content-type']), /^text\/event-stream/);
  assert.equal(s.headers['cache-control'], 'no-cache');
  assert.equal(s.headers['x-accel-buffering'], 'no');
  await waitFor(() => s.body().length > 0, 5000, 'first chunk');
  assert.ok(s.body().startsWith('retry: 2000\n\n'));
  s.close();
  const e = await rawGet(`${base}/api/v1/kills/stream/enhanced`);
  assert.equal(e.headers['x-accel-buffering'], 'no');
  e.close();
});

test('every filter and min_value: each stream gets exactly the matching kills, each once, with id = killmail_id', async () => {
  const all = new Collector(`${base}/api/v1/kills/stream`);
  await all.opened();
  await publish(app, 30);
  await waitFor(() => all.kills().length >= 30, 20_000, 'first 30 kills');
  const first = all.kills();
  // A system and a character seen in the first phase, and a value that splits the kills.
  const system = mostCommon(first.map((k) => k.system_id));
  const character = mostCommon(first.flatMap(characterIdsOf));
  const values = first.map((k) => k.zkb?.totalValue ?? 0).sort((a, b) => a - b);
  const minValue = values[Math.floor(values.length / 2)] ?? 0;

  const bySystem = new Collector(`${base}/api/v1/kills/stream?system_ids=${system},%2030000001`);
  const byChar = new Collector(`${base}/api/v1/kills/stream/enhanced?character_ids=${character}`);
  const both = new Collector(`${base}/api/v1/kills/stream?system_ids=${system}&character_ids=${character}`);
  const valued = new Collector(`${base}/api/v1/kills/stream?min_value=${minValue}`);
  const systemValued = new Collector(`${base}/api/v1/kills/stream?system_ids=${system}&min_value=${minValue}`);
  const streams = [bySystem, byChar, both, valued, systemValued];
  await Promise.all(streams.map((c) => c.opened()));
  const mark = all.kills().length;
  await publish(app, 60);
  await waitFor(() => all.kills().length >= mark + 60, 20_000, 'second phase kills');
  await sleep(300);
  const live = all.kills().slice(mark);
  const expect = (pred: (k: Kill) => boolean): number[] => live.filter(pred).map((k) => k.killmail_id);
  const value = (k: Kill): number => k.zkb?.totalValue ?? 0;
  assert.deepEqual(
    bySystem.killIds(),
    expect((k) => k.system_id === system),
  );
  assert.deepEqual(
    byChar.killIds(),
    expect((k) => characterIdsOf(k).includes(character)),
  );
  assert.deepEqual(
    both.killIds(),
    expect((k) => k.system_id === system || characterIdsOf(k).includes(character)),
  );
  assert.deepEqual(
    valued.killIds(),
    expect((k) => value(k) >= minValue),
  );
  assert.deepEqual(
    systemValued.killIds(),
    expect((k) => k.system_id === system && value(k) >= minValue),
  );
  for (const e of all.events.filter((x) => x.type === 'killmail')) assert.equal(e.id, String((JSON.parse(e.data) as Kill).killmail_id));
  assert.ok(bySystem.killIds().length > 0 && byChar.killIds().length > 0, 'the chosen filters match something');
  for (const c of [all, ...streams]) c.close();
});

test('enhanced: connected, preload batches, transition, then live kills, none twice', async () => {
  const probe = new Collector(`${base}/api/v1/kills/stream`);
  await probe.opened();
  await publish(app, 10);
  await waitFor(() => probe.kills().length >= 10, 20_000, 'probe kills');
  const system = mostCommon(probe.kills().map((k) => k.system_id));
  probe.close();
  const c = new Collector(`${base}/api/v1/kills/stream/enhanced?system_ids=${system}&preload_days=120`);
  await c.opened();
  await waitFor(() => c.events.some((e) => e.type === 'transition'), 20_000, 'transition');
  const connected = JSON.parse(c.events[0]!.data) as { status: string; filters: { system_ids: number[]; preload_days: number } };
  assert.equal(c.events[0]!.type, 'connected');
  assert.equal(connected.status, 'connected');
  assert.deepEqual(connected.filters.system_ids, [system]);
  assert.equal(connected.filters.preload_days, 90, 'preload_days capped at 90');
  const batches = c.events
    .filter((e) => e.type === 'batch')
    .map((e) => JSON.parse(e.data) as { kills: Kill[]; count: number; batch_number: number; total_batches: number });
  const preloaded = batches.flatMap((b) => b.kills.map((k) => k.killmail_id));
  assert.ok(preloaded.length > 0, 'stored kills of the system were preloaded');
  for (const b of batches) assert.equal(b.count, b.kills.length);
  const transition = JSON.parse(c.events.find((e) => e.type === 'transition')!.data) as { status: string; total_historical: number };
  assert.equal(transition.status, 'historical_complete');
  assert.equal(transition.total_historical, preloaded.length);
  const all = new Collector(`${base}/api/v1/kills/stream?system_ids=${system}`);
  await all.opened();
  await publish(app, 40);
  await sleep(500);
  const order = c.events.map((e) => e.type);
  assert.ok(order.lastIndexOf('batch') < order.indexOf('transition'));
  assert.ok(order.indexOf('killmail') === -1 || order.indexOf('killmail') > order.indexOf('transition'));
  assert.deepEqual(c.killIds(), all.killIds());
  assert.equal(new Set([...preloaded, ...c.killIds()]).size, preloaded.length + c.killIds().length, 'no kill twice');
  c.close();
  all.close();
});

test('heartbeats: enhanced heartbeat events and standard ": ping" comments when idle', async () => {
  const enhanced = new Collector(`${base}/api/v1/kills/stream/enhanced?system_ids=1`);
  const raw = await rawGet(`${base}/api/v1/kills/stream?system_ids=1`);
  await waitFor(() => enhanced.events.filter((e) => e.type === 'heartbeat').length >= 2, 10_000, 'two heartbeats');
  const hb = JSON.parse(enhanced.events.find((e) => e.type === 'heartbeat')!.data) as { timestamp: string; mode: string };
  assert.equal(hb.mode, 'realtime');
  assert.ok(!Number.isNaN(Date.parse(hb.timestamp)));
  await waitFor(() => raw.body().includes(': ping\n\n'), 10_000, 'ping comment');
  enhanced.close();
  raw.close();
});

test('bad filters: 400 in the error envelope with the original messages; the server keeps serving', async () => {
  const cases: [string, string][] = [
    ['system_ids=invalid', "Invalid system_ids: 'invalid' is not a valid integer"],
    ['character_ids=1,x', "Invalid character_ids: 'x' is not a valid integer"],
    ['min_value=-100', 'min_value must be non-negative, got -100.0'],
    ['min_value=abc', "Invalid min_value: 'abc' is not a valid number"],
    ['preload_days=-1', 'preload_days must be non-negative, got -1'],
    ['preload_days=1.5', "Invalid preload_days: '1.5' is not a valid integer"],
    [`system_ids=${Array.from({ length: 101 }, (_, i) => i + 1).join(',')}`, 'Too many system_ids specified (max 100)'],
    [`character_ids=${Array.from({ length: 101 }, (_, i) => i + 1).join(',')}`, 'Too many character_ids specified (max 100)'],
  ];
  for (const path of ['/api/v1/kills/stream', '/api/v1/kills/stream/enhanced']) {
    for (const [q, message] of cases) {
      const r = await fetch(`${base}${path}?${q}`);
      assert.equal(r.status, 400, q);
      const body = (await r.json()) as { error: string; code: string; details: { field: string } };
      assert.equal(body.error, message);
      assert.equal(body.code, 'validation_error');
    }
  }
  assert.equal((await fetch(`${base}/ping`)).status, 200);
});

test('/status and /metrics (JSON and Prometheus) have sse and webhooks sections with real figures', async () => {
  const c = new Collector(`${base}/api/v1/kills/stream`);
  await c.opened();
  const r = (await (await fetch(`${base}/status`)).json()) as {
    metrics?: Record<string, Record<string, unknown>>;
    sse?: Record<string, unknown>;
  };
  const sse = (r.metrics?.sse ?? r.sse) as { connections: number; opened: number };
  assert.ok(sse, 'sse section');
  assert.ok(sse.connections >= 1);
  assert.ok(sse.opened >= 1);
  type Families = { metrics: Record<string, { series: { labels: Record<string, string>; value: number }[] }> };
  const m = (await (await fetch(`${base}/metrics`)).json()) as Families;
  assert.ok((m.metrics.wkills_sse_connections?.series[0]?.value ?? 0) >= 1, '/metrics JSON has the open SSE streams');
  const prom = await (await fetch(`${base}/metrics?format=prometheus`)).text();
  assert.match(prom, /^wkills_sse_connections [1-9]\d*$/m);
  assert.match(prom, /^wkills_sse_opened_total [1-9]\d*$/m);
  c.close();
});

function mostCommon(xs: number[]): number {
  const n = new Map<number, number>();
  for (const x of xs) n.set(x, (n.get(x) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1])[0]![0];
}
