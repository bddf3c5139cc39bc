// /ping, /health (200/503 from the component checks), /websocket and /websocket/status.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, rawRequest, startRest, type RestFixture } from './rest-support.js';
import type { ComponentHealth, WsStats } from '../../src/core/ports.js';
import { createHttpServer } from '../../src/http/index.js';
import { testConfig } from '../../src/config/index.js';
import { Counters, silentLogger } from '../../src/telemetry/index.js';

let feedHealth: ComponentHealth = { healthy: true, message: 'circuit closed, last kill 2 s ago' };
let poolThrows = false;
const ws: WsStats = {
  activeConnections: 12,
  activeSubscriptions: 30,
  subscribedSystems: 25,
  subscribedCharacters: 5,
  killsSentRealtime: 100,
  killsSentPreload: 50,
  startedAtMs: Date.now() - 90_500,
};

let fx: RestFixture;
let bare: RestFixture;
before(async () => {
  fx = await startRest({
    health: {
      feed: () => feedHealth,
      database: () => ({ healthy: true, message: 'writable' }),
      workers: () => {
        if (poolThrows) throw new Error('pool destroyed');
        return { healthy: true, message: '2 workers alive' };
      },
    },
    wsStats: () => ws,
  });
  bare = await startRest({});
});
after(async () => {
  await fx.close();
  await bare.close();
});

describe('operations', () => {
  test('/ping → pong as text/plain', async () => {
    const res = await fetch(`${fx.base}/ping`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/plain/);
    assert.equal(await res.text(), 'pong');
  });

  test('/health: 200 ok with every component', async () => {
    const res = await getJson(`${fx.base}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body), ['healthy', 'status', 'components', 'timestamp']);
    assert.equal(res.body.healthy, true);
    assert.equal(res.body.status, 'ok');
    assert.deepEqual(res.body.components.feed, feedHealth);
    assert.deepEqual(Object.keys(res.body.components), ['feed', 'database', 'workers']);
  });

  test('/health: 503 degraded when a component is unhealthy or its check throws', async () => {
    feedHealth = { healthy: false, message: 'circuit open' };
    const down = await getJson(`${fx.base}/health`);
    assert.equal(down.status, 503);
    assert.equal(down.body.healthy, false);
    assert.equal(down.body.status, 'degraded');
    assert.deepEqual(down.body.components.feed, feedHealth);
    feedHealth = { healthy: true, message: 'ok' };
    poolThrows = true;
    const threw = await getJson(`${fx.base}/health`);
    assert.equal(threw.status, 503);
    assert.equal(threw.body.components.workers.healthy, false);
    assert.match(threw.body.components.workers.message, /pool destroyed/);
    poolThrows = false;
    assert.equal((await getJson(`${fx.base}/health`)).status, 200);
  });

  test('/health reflects the real store when that is the only component', async () => {
    const res = await getJson(`${bare.base}/health`);
    assert.equal(res.status, 200);
    assert.equal(res.body.components.store.healthy, true);
  });

  test('/websocket: URL from the Host header and the real limits', async () => {
    const raw = await rawRequest(fx.port, 'GET /websocket HTTP/1.1\r\nHost: kills.example:4004\r\n\r\n');
    const res = { status: raw.status, body: JSON.parse(raw.body.toString()) };
    assert.equal(res.status, 200);
    assert.equal(res.body.websocket_url, 'ws://kills.example:4004/socket');
    assert.equal(res.body.websocket_endpoint, 'ws://kills.example:4004/socket/websocket');
    assert.deepEqual(res.body.supported_versions, ['1.0.0', '2.0.0']);
    assert.deepEqual(res.body.channels, { killmails: 'killmails:lobby', firehose: 'killmails:all' });
    assert.deepEqual(res.body.limits, { max_systems: 10_000, max_characters: 50_000, idle_timeout_seconds: 60, max_frame_bytes: 131_072 });
    const tls = await getJson(`${fx.base}/websocket`, { headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(tls.body.websocket_url, `wss://127.0.0.1:${fx.port}/socket`);
  });

  test('/websocket/status from the hub statistics', async () => {
    const res = await getJson(`${fx.base}/websocket/status`);
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body), ['status', 'active_connections', 'active_subscriptions', 'uptime_seconds', 'timestamp']);
    assert.equal(res.body.status, 'operational');
    assert.equal(res.body.active_connections, 12);
    assert.equal(res.body.active_subscriptions, 30);
    assert.ok(res.body.uptime_seconds >= 90 && res.body.uptime_seconds < 120);
  });

  test('without a WebSocket hub, /websocket routes are not served', async () => {
    assert.equal((await getJson(`${bare.base}/websocket`)).status, 404);
    assert.equal((await getJson(`${bare.base}/websocket/status`)).status, 404);
  });

  test('httpStats() reports per-route latency and status counts', async () => {
    const stats = fx.server.httpStats();
    assert.ok(stats.requests >= 8);
    assert.ok((stats.byStatus['503'] ?? 0) >= 2);
    const health = stats.routes.find((r) => r.route === 'GET /health');
    assert.ok(health, JSON.stringify(stats));
    assert.ok(health && health.count >= 4 && health.p99 >= health.p50 && health.p50 > 0);
  });
});

test('a second server on a taken port fails to start', async () => {
  const second = createHttpServer({
    config: testConfig({ host: '127.0.0.1', port: fx.port, logLevel: 'silent' }),
    logger: silentLogger(),
    counters: new Counters(),
    reader: fx.store.reader,
    health: {},
  });
  await assert.rejects(second.start(), /could not listen on 127\.0\.0\.1:\d+/);
  second.stop();
});
