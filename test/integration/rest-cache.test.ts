// The REST answer cache over real HTTP against a real uWS server and a real SQLite file: a
// cached answer is reused (counted hits) and never stale — a new kill, a replacement, a
// re-enrichment, a pruned kill and a kill ageing out of since_hours each change the next answer;
// bulk answers built from cached parts follow the same changes; the cache stays within its size.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalKill, getJson, HOUR_MS, recordOf } from './rest-support.js';
import { testConfig } from '../../src/config/index.js';
import { Counters, silentLogger } from '../../src/telemetry/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { createHttpServer, type HttpServer } from '../../src/http/index.js';

const SYS = 30_000_142;
const OTHER = 31_000_005;

interface Fx {
  base: string;
  store: Store;
  server: HttpServer;
  counters: Counters;
  dir: string;
}

async function start(restCacheBytes: number): Promise<Fx> {
  const dir = mkdtempSync(join(tmpdir(), 'wk-rest-cache-'));
  const store = openStore({ path: join(dir, 'k.db'), retentionHours: 0, checkpointThread: false, serving: true });
  store.start();
  const counters = new Counters();
  const config = testConfig({ host: '127.0.0.1', port: 0, logLevel: 'silent', restCacheBytes });
  const server = createHttpServer({ config, logger: silentLogger(), counters, reader: store.reader, health: {} });
  const port = await server.start();
  return { base: `http://127.0.0.1:${port}`, store, server, counters, dir };
}

async function stop(fx: Fx): Promise<void> {
  fx.server.stop();
  await fx.store.stop();
  rmSync(fx.dir, { recursive: true, force: true });
}

const ids = (body: any): number[] => body.data.kills.map((k: { killmail_id: number }) => k.killmail_id);

describe('REST answer cache: never stale', () => {
  let fx: Fx;
  const now = Date.now();
  before(async () => {
    fx = await start(64 * 1024 * 1024);
    fx.store.writer.writeBatch([1, 2, 3].map((i) => recordOf(canonicalKill(100 + i, SYS, now - i * HOUR_MS))));
  });
  after(() => stop(fx));
  const url = (q = ''): string => `${fx.base}/api/v1/kills/system/${SYS}${q}`;
  const hits = (): number => fx.counters.get('http.answer_cache.hits');

  test('the same answer is served from the cache, with a fresh timestamp spliced in', async () => {
    const a = await getJson(url());
    assert.deepEqual(ids(a.body), [101, 102, 103]);
    await new Promise((r) => setTimeout(r, 5));
    const h = hits();
    const b = await getJson(url());
    assert.equal(hits(), h + 1, 'second request is a hit');
    assert.deepEqual(b.body.data.kills, a.body.data.kills);
    assert.notEqual(b.body.timestamp, a.body.timestamp, 'timestamp is current, not the cached one');
    assert.equal(b.body.data.timestamp, b.body.timestamp);
    assert.ok(Math.abs(Date.parse(b.body.timestamp) - Date.now()) < 5000);
    const c = await getJson(`${fx.base}/api/v1/kills/cached/${SYS}`);
    assert.equal(c.body.data.cached, true, 'the cached route keeps its own flag');
    assert.equal((await getJson(url())).body.data.cached, false);
  });

  test("a new kill of the system changes the next answer; another system's kill does not invalidate it", async () => {
    await getJson(url());
    fx.store.writer.writeBatch([recordOf(canonicalKill(900, OTHER, now))]);
    const h = hits();
    await getJson(url());
    assert.equal(hits(), h + 1, 'still a hit after a kill elsewhere');
    fx.store.writer.writeBatch([recordOf(canonicalKill(104, SYS, now - HOUR_MS / 2))]);
    assert.deepEqual(ids((await getJson(url())).body), [104, 101, 102, 103]);
  });

  test('a replacement (sequence_updated) changes the next answer', async () => {
    await getJson(url());
    const kill = canonicalKill(102, SYS, now - 2 * HOUR_MS);
    kill.zkb!.labels = ['pvp', 'relabelled'];
    fx.store.writer.writeBatch([{ ...recordOf(kill), replace: true }]);
    const body = (await getJson(url())).body;
    assert.deepEqual(body.data.kills.find((k: any) => k.killmail_id === 102).zkb.labels, ['pvp', 'relabelled']);
  });

  test('a late re-enrichment (updateJson) changes the next answer', async () => {
    await getJson(url());
    const kill = canonicalKill(103, SYS, now - 3 * HOUR_MS);
    kill.solar_system_name = 'Renamed';
    assert.ok(fx.store.writer.updateJson(103, JSON.stringify(kill), true));
    const body = (await getJson(url())).body;
    assert.equal(body.data.kills.find((k: any) => k.killmail_id === 103).solar_system_name, 'Renamed');
  });

  test('a pruned kill disappears from the next answer', async () => {
    assert.ok(ids((await getJson(url())).body).includes(103));
    assert.equal(fx.store.retention.pruneBatch(now - 2.5 * HOUR_MS), 1);
    assert.deepEqual(ids((await getJson(url())).body), [104, 101, 102]);
  });

  test('a kill ageing out of since_hours leaves the next answer, with no write at all', async () => {
    // Kill 105 leaves the 1-hour window ~1.5 s from now; 104 (30 min old) stays.
    fx.store.writer.writeBatch([recordOf(canonicalKill(105, SYS, Date.now() - HOUR_MS + 1500))]);
    const q = '?since_hours=1';
    assert.deepEqual(ids((await getJson(url(q))).body), [104, 105]);
    const h = hits();
    assert.deepEqual(ids((await getJson(url(q))).body), [104, 105]);
    assert.equal(hits(), h + 1, 'cached while 105 is inside the window');
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(ids((await getJson(url(q))).body), [104]);
  });

  test('bulk answers are built from cached parts and follow the same changes', async () => {
    let text = '';
    const bulk = async (): Promise<any> => {
      const res = await fetch(`${fx.base}/api/v1/kills/systems`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ system_ids: [SYS, OTHER, 30_000_001], limit: 2 }),
      });
      text = await res.text();
      return JSON.parse(text);
    };
    const a = await bulk();
    // Request order on the wire (JSON.parse would sort integer-like keys).
    assert.ok(text.indexOf(`"${SYS}":`) < text.indexOf(`"${OTHER}":`) && text.indexOf(`"${OTHER}":`) < text.indexOf('"30000001":'));
    assert.deepEqual(
      a.data.systems_kills[SYS].map((k: any) => k.killmail_id),
      [104, 105],
    );
    assert.deepEqual(a.data.systems_kills['30000001'], []);
    assert.equal(a.data.timestamp, a.timestamp);
    fx.store.writer.writeBatch([recordOf(canonicalKill(106, SYS, Date.now() - 1000))]);
    const b = await bulk();
    assert.deepEqual(
      b.data.systems_kills[SYS].map((k: any) => k.killmail_id),
      [106, 104],
    );
    assert.deepEqual(
      b.data.systems_kills[OTHER].map((k: any) => k.killmail_id),
      [900],
    );
  });

  test('a kill another process stores shows within the polling interval', async () => {
    await getJson(url());
    await getJson(url());
    // Another process would do this (`wkills db dead-letters retry` or `wkills backfill` beside a
    // server): a side writer on the same file, outside this process's writer.
    const other = openStore({ path: join(fx.dir, 'k.db'), retentionHours: 0, checkpointThread: false, sideWriter: true });
    try {
      other.writer.writeBatch([recordOf(canonicalKill(107, SYS, Date.now() - 500))]);
    } finally {
      other.close();
    }
    // The server's side-writes poll (every 500 ms) indexes it; the cached answer must not hide it.
    const until = Date.now() + 3000;
    while (ids((await getJson(url())).body)[0] !== 107) {
      assert.ok(Date.now() < until, "the other process's kill never showed");
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  test('HEAD reports the cached body length', async () => {
    const get = await fetch(url());
    const text = await get.text();
    const head = await fetch(url(), { method: 'HEAD' });
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(text)));
  });
});

describe('REST answer cache: bounded', () => {
  let fx: Fx;
  const now = Date.now();
  const systems = Array.from({ length: 20 }, (_, i) => 30_001_000 + i);
  before(async () => {
    // ~2 KB a kill x 10 kills: ~20 KB an answer, 64 KB of cache holds only a few.
    fx = await start(200_000);
    fx.store.writer.writeBatch(
      systems.flatMap((s, si) =>
        Array.from({ length: 10 }, (_, k) => recordOf(canonicalKill(10_000 + si * 100 + k, s, now - (k + 1) * 60_000))),
      ),
    );
  });
  after(() => stop(fx));

  test('evicts the least recently used answers past restCacheBytes, every answer still exact', async () => {
    for (let round = 0; round < 2; round++) {
      for (const [si, s] of systems.entries()) {
        const body = (await getJson(`${fx.base}/api/v1/kills/system/${s}`)).body;
        assert.deepEqual(
          ids(body),
          Array.from({ length: 10 }, (_, k) => 10_000 + si * 100 + k),
        );
      }
    }
    assert.ok(fx.counters.get('http.answer_cache.evictions') > 0, 'evictions counted');
    assert.ok(fx.counters.get('http.answer_cache.bytes') <= 200_000, `kept ${fx.counters.get('http.answer_cache.bytes')} bytes`);
    assert.ok(fx.counters.get('http.answer_cache.entries') > 0);
    assert.ok(fx.counters.get('http.answer_cache.misses') >= systems.length);
  });

  test('restCacheBytes 0 keeps nothing and answers the same', async () => {
    const off = await start(0);
    try {
      off.store.writer.writeBatch([recordOf(canonicalKill(1, SYS, now - 1000))]);
      for (let i = 0; i < 2; i++) assert.deepEqual(ids((await getJson(`${off.base}/api/v1/kills/system/${SYS}`)).body), [1]);
      assert.equal(off.counters.get('http.answer_cache.hits'), 0);
      assert.equal(off.counters.get('http.answer_cache.bytes'), 0);
    } finally {
      await stop(off);
    }
  });
});
