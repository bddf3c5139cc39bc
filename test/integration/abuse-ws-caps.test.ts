// Connection caps (issue "no connection caps"): per-IP and total WebSocket caps answer a clean
// 429 / 503 in the error envelope at the upgrade, the total cap stays below the descriptor limit
// minus a reserve, REST and /health keep answering at the cap, and a freed slot is reusable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startApp } from '../fixtures/ingest-harness.js';
import { openFileLimit } from '../../src/core/conn-limiter.js';

type Outcome = { ok: true; ws: WebSocket } | { ok: false; status: number; body: string; retryAfter: string | undefined };

function connect(port: number, localAddress = '127.0.0.1'): Promise<Outcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket/websocket?vsn=2.0.0`, { localAddress });
    ws.on('open', () => resolve({ ok: true, ws }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ ok: false, status: res.statusCode ?? 0, body, retryAfter: res.headers['retry-after'] }));
    });
    ws.on('error', () => {});
  });
}

test('per-IP cap → 429 rate_limited; total cap → 503 unavailable; REST and /health answer at the cap', async (t) => {
  const limit = openFileLimit();
  if (!Number.isFinite(limit)) return t.skip('no /proc/self/limits: descriptor limit unknown');
  // An effective total cap of 12 through the descriptor reserve, 8 per IP.
  const app = await startApp(
    t,
    { source: 'none', db: ':memory:', wsMaxConnections: 1000, wsMaxPerIp: 8, fdReserve: limit - 12 },
    { http: true },
  );
  const port = app.port();
  const open: WebSocket[] = [];
  t.after(() => open.forEach((w) => w.terminate()));
  for (let i = 0; i < 8; i++) {
    const r = await connect(port);
    assert.ok(r.ok, `connection ${i}`);
    open.push(r.ws);
  }
  const perIp = await connect(port);
  assert.ok(!perIp.ok);
  assert.equal(perIp.status, 429);
  assert.equal(perIp.retryAfter, '10');
  assert.deepEqual(
    { ...JSON.parse(perIp.body), timestamp: 'x' },
    { error: 'Too many WebSocket connections from this address', code: 'rate_limited', details: { max_per_ip: 8 }, timestamp: 'x' },
  );

  for (let i = 0; i < 4; i++) {
    const r = await connect(port, '127.0.0.2');
    assert.ok(r.ok, `second address, connection ${i}`);
    open.push(r.ws);
  }
  const total = await connect(port, '127.0.0.3');
  assert.ok(!total.ok);
  assert.equal(total.status, 503);
  assert.equal(JSON.parse(total.body).code, 'unavailable');
  assert.deepEqual(JSON.parse(total.body).details, { max_connections: 12 });
  assert.equal(app.counters.get('ws.upgrade_rejected.per_ip'), 1);
  assert.equal(app.counters.get('ws.upgrade_rejected.total'), 1);

  const base = `http://127.0.0.1:${port}`;
  assert.equal((await fetch(`${base}/ping`)).status, 200);
  assert.equal((await fetch(`${base}/health`)).status, 200);
  assert.equal((await fetch(`${base}/api/v1/kills/system/30000142`)).status, 200);

  // A slot freed is a slot reusable.
  open.shift()!.close();
  await new Promise((r) => setTimeout(r, 200));
  const again = await connect(port, '127.0.0.3');
  assert.ok(again.ok);
  open.push(again.ws);
  assert.equal(app.fanout.stats().activeConnections, 12);
});
