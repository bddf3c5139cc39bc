// Upstream protection of GET /api/v1/killmail/{id} (docs/OPERATIONS.md "Upstream protection"):
// the real app over real HTTP, the simulator as zKillboard. Anyone can name an unknown id, so
// every such request could become a zKillboard call: these tests hold the server to the rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defer, startApp, startSim } from '../fixtures/ingest-harness.js';
import type { Simulator } from '../../src/sim/index.js';

interface Envelope {
  code?: string;
  details?: Record<string, unknown>;
}

const zkbCalls = (sim: Simulator): number => sim.stats().requests['zkb.killID'] ?? 0;

/** Samples the simulator's zKB call count every 20 ms; max() is the most calls seen in any 1 s. */
function callSampler(sim: Simulator): { stop(): void; maxPerSecond(): number } {
  const samples: [number, number][] = [];
  const timer = setInterval(() => samples.push([performance.now(), zkbCalls(sim)]), 20);
  return {
    stop: () => clearInterval(timer),
    maxPerSecond() {
      let max = 0;
      let i = 0;
      for (const [t, n] of samples) {
        while (samples[i]![0] < t - 1000) i++;
        max = Math.max(max, n - samples[i]![1]);
      }
      return max;
    },
  };
}

test('2,000 distinct unknown ids: zKB calls stay under the per-second limit, every answer an envelope', async (t) => {
  const sim = await startSim(t, { rate: 0 });
  const app = await startApp(
    t,
    { source: 'none', db: ':memory:', zkbUrl: sim.url, esiUrl: sim.url, upstreamPerIpPerMinute: 0 },
    { http: true },
  );
  const base = `http://127.0.0.1:${app.port()}`;
  const sampler = callSampler(sim);
  const started = performance.now();
  const statuses = new Map<number, number>();
  let next = 0;
  // 48 clients at a time, as fast as the server answers: more than the 4 running + 32 queued
  // lookups, so some are refused at once. The simulator shares this process's event loop, so
  // its count is sampled with some jitter (a margin of 2 over the configured rate).
  await Promise.all(
    Array.from({ length: 48 }, async () => {
      while (next < 2000) {
        const id = 800_000_000 + next++;
        const res = await fetch(`${base}/api/v1/killmail/${id}`);
        const body = (await res.json()) as Envelope;
        assert.ok(res.status === 404 || res.status === 503, `status ${res.status}`);
        assert.equal(body.code, res.status === 404 ? 'not_found' : 'unavailable');
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    }),
  );
  await new Promise((r) => setTimeout(r, 300)); // the last calls land in the sampler
  sampler.stop();
  const seconds = (performance.now() - started) / 1000;
  const calls = zkbCalls(sim);
  const limit = app.config.zkbMaxPerSecond;
  t.diagnostic(
    `${calls} zKB calls in ${seconds.toFixed(1)} s, max ${sampler.maxPerSecond()} in any second; statuses ${JSON.stringify([...statuses])}`,
  );
  assert.ok(
    sampler.maxPerSecond() <= Math.min(10, limit + 2),
    `zKillboard's ~10 req/s rule and our ${limit}/s held (max ${sampler.maxPerSecond()} in a second)`,
  );
  assert.ok(calls <= limit * (seconds + 1), `${calls} calls in ${seconds.toFixed(1)} s stays within ${limit}/s`);
  assert.ok(calls >= 1, 'lookups did reach zKillboard');
  assert.equal(statuses.get(404), calls, 'every admitted lookup answered 404 (unknown), the rest 503 at once');
  assert.equal((await fetch(`${base}/ping`)).status, 200);
});

test('the same unknown id 50 times, at once and one after another: one zKB call', async (t) => {
  const sim = await startSim(t, { rate: 0 });
  const app = await startApp(
    t,
    { source: 'none', db: ':memory:', zkbUrl: sim.url, esiUrl: sim.url, upstreamPerIpPerMinute: 0 },
    { http: true },
  );
  const base = `http://127.0.0.1:${app.port()}`;
  const together = await Promise.all(Array.from({ length: 50 }, () => fetch(`${base}/api/v1/killmail/900000001`).then((r) => r.status)));
  assert.deepEqual([...new Set(together)], [404]);
  for (let i = 0; i < 50; i++) assert.equal((await fetch(`${base}/api/v1/killmail/900000001`)).status, 404);
  assert.equal(zkbCalls(sim), 1, 'single-flight, then the negative cache (zKB max-age=3600)');
  assert.ok(app.counters.get('zkb.miss_cache_hits') >= 50);
});

test('a 429 with Retry-After pauses every lookup until then; a short one lifts on time', async (t) => {
  const sim = await startSim(t, { rate: 0, faults: [{ route: 'zkb', kind: 'status', status: 429, retryAfterSeconds: 2, count: 1 }] });
  const app = await startApp(
    t,
    { source: 'none', db: ':memory:', zkbUrl: sim.url, esiUrl: sim.url, upstreamPerIpPerMinute: 0 },
    { http: true },
  );
  const base = `http://127.0.0.1:${app.port()}`;
  const first = await fetch(`${base}/api/v1/killmail/900000010`);
  assert.equal(first.status, 503);
  const firstBody = (await first.json()) as Envelope;
  assert.match(String(firstBody.details?.reason), /429.*paused/);
  const pausedAt = performance.now();
  // Other ids during the pause: answered 503 at once, nothing sent to zKillboard.
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`${base}/api/v1/killmail/${900_000_100 + i}`);
    if (performance.now() - pausedAt > 1500) break; // a slow machine: stop well before the pause ends
    assert.equal(res.status, 503);
  }
  assert.equal(zkbCalls(sim), 1, 'no zKB call while paused');
  await new Promise((r) => setTimeout(r, Math.max(0, 2200 - (performance.now() - pausedAt))));
  assert.equal((await fetch(`${base}/api/v1/killmail/900000010`)).status, 404, 'after Retry-After, lookups go through again');
  assert.equal(zkbCalls(sim), 2);
});

test('a 429 with Retry-After: 3600 keeps zKB untouched (whole client paused for the hour)', async (t) => {
  const sim = await startSim(t, { rate: 0, faults: [{ route: 'zkb', kind: 'status', status: 429, retryAfterSeconds: 3600, count: 1 }] });
  const app = await startApp(
    t,
    { source: 'none', db: ':memory:', zkbUrl: sim.url, esiUrl: sim.url, upstreamPerIpPerMinute: 0 },
    { http: true },
  );
  const base = `http://127.0.0.1:${app.port()}`;
  assert.equal((await fetch(`${base}/api/v1/killmail/900000020`)).status, 503);
  const statuses = await Promise.all(
    Array.from({ length: 100 }, (_, i) => fetch(`${base}/api/v1/killmail/${900_000_200 + i}`).then((r) => r.status)),
  );
  assert.deepEqual([...new Set(statuses)], [503]);
  assert.equal(zkbCalls(sim), 1);
  const status = (await (await fetch(`${base}/status`)).json()) as { metrics: { upstream?: { zkb_paused_ms?: number } } };
  const paused = status.metrics.upstream?.zkb_paused_ms ?? 0;
  assert.ok(paused > 3_500_000, `paused for about an hour (${paused} ms)`);
});

test('per client IP: past the burst, lookups that would reach zKB get 429 rate_limited; stored kills still answer', async (t) => {
  const sim = await startSim(t, { rate: 0 });
  const app = await startApp(
    t,
    { source: 'none', db: ':memory:', zkbUrl: sim.url, esiUrl: sim.url, upstreamPerIpPerMinute: 6, upstreamPerIpBurst: 3 },
    { http: true },
  );
  const base = `http://127.0.0.1:${app.port()}`;
  for (let i = 0; i < 3; i++) assert.equal((await fetch(`${base}/api/v1/killmail/${900_000_300 + i}`)).status, 404);
  const limited = await fetch(`${base}/api/v1/killmail/900000399`);
  assert.equal(limited.status, 429);
  const body = (await limited.json()) as Envelope & { error?: string; timestamp?: string };
  assert.equal(body.code, 'rate_limited');
  assert.equal(body.details?.killmail_id, 900000399);
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  assert.equal(typeof body.timestamp, 'string');
  assert.equal(zkbCalls(sim), 3);
  assert.equal((await fetch(`${base}/api/v1/kills/system/30000142`)).status, 200, 'routes that stay local are not limited');
});

test('zKB knows the id but ESI has no body for it: 404 with the reason, not 503', async (t) => {
  const sim = await startSim(t, { rate: 0 });
  // A zKB API in its 2018–2026 shape ({killmail_id, zkb} only), naming a hash ESI does not know.
  const zkb = createServer((req, res) => {
    const id = Number(/\/api\/killID\/(\d+)\//.exec(req.url ?? '')?.[1]);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' });
    res.end(
      JSON.stringify([
        { killmail_id: id, zkb: { hash: 'abcdef0123456789', totalValue: 1, points: 1, npc: false, solo: false, awox: false } },
      ]),
    );
  });
  await new Promise<void>((r) => zkb.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise<void>((r) => zkb.close(() => r())));
  const zkbUrl = `http://127.0.0.1:${(zkb.address() as AddressInfo).port}`;
  const app = await startApp(t, { source: 'none', db: ':memory:', zkbUrl, esiUrl: sim.url, enrich: true }, { http: true });
  const res = await fetch(`http://127.0.0.1:${app.port()}/api/v1/killmail/123456789`);
  const body = (await res.json()) as Envelope;
  assert.equal(res.status, 404, JSON.stringify(body));
  assert.equal(body.code, 'not_found');
  assert.equal(body.details?.killmail_id, 123456789);
  assert.match(String(body.details?.reason), /ESI has no killmail body/);
});
