// The SSRF guard and the optional tokens against the real server: every private/loopback/
// metadata form of a callback URL is refused with a 400 naming why (IPv4, IPv6, IPv4-mapped,
// decimal, octal, hex); a subscription already stored for such a host is refused again at
// delivery, on the address actually connected; mutating routes need the API token, WebSocket
// connects need the WS token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { App } from '../../src/app.js';
import { openStore } from '../../src/store/index.js';
import { tempDir } from '../fixtures/ingest-harness.js';
import { publish, sleep, startSimApp, waitFor } from './sse-support.js';
import { Receiver } from './webhook-receiver.js';

const TOKEN = 'api-token-for-tests';
const WS_TOKEN = 'ws-token-for-tests';
let app: App;
let base: string;

before(async () => {
  app = await startSimApp({ apiToken: TOKEN, wsToken: WS_TOKEN });
  base = `http://127.0.0.1:${app.port()}`;
});
after(async () => {
  await app.stop();
});

function create(callbackUrl: string, token = TOKEN): Promise<Response> {
  return fetch(`${base}/api/v1/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== '' && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ subscriber_id: 'guard', callback_url: callbackUrl, system_ids: [30000142] }),
  });
}

test('each SSRF form is refused with a 400 naming the reason', async () => {
  const cases: [string, string][] = [
    ['http://127.0.0.1/hook', 'loopback'],
    ['http://127.1.2.3:8080/hook', 'loopback'],
    ['http://localhost/hook', 'loopback'],
    ['http://2130706433/hook', 'loopback'], // decimal
    ['http://0177.0.0.1/hook', 'loopback'], // octal
    ['http://0x7f000001/hook', 'loopback'], // hex
    ['http://[::1]/hook', 'loopback'],
    ['http://[::ffff:127.0.0.1]/hook', 'loopback'], // IPv4-mapped IPv6
    ['http://[::ffff:10.0.0.1]/hook', 'private'],
    ['http://[64:ff9b::a9fe:a9fe]/hook', 'metadata'], // NAT64 of 169.254.169.254
    ['http://10.1.2.3/hook', 'private'],
    ['http://172.16.0.1/hook', 'private'],
    ['http://192.168.1.10/hook', 'private'],
    ['http://169.254.169.254/latest/meta-data', 'metadata'],
    ['http://169.254.10.10/hook', 'link-local'],
    ['http://100.64.0.1/hook', 'CGNAT'],
    ['http://224.0.0.1/hook', 'multicast'],
    ['http://0.0.0.0/hook', 'unspecified'],
    ['http://[::]/hook', 'unspecified'],
    ['http://[fe80::1]/hook', 'link-local'],
    ['http://[fc00::1]/hook', 'private'],
    ['http://[ff02::1]/hook', 'multicast'],
    ['http://[2002:7f00:1::]/hook', 'loopback'], // 6to4 of 127.0.0.1
  ];
  for (const [url, reason] of cases) {
    const r = await create(url);
    const body = (await r.json()) as { error: string; code: string; details: { field: string } };
    assert.equal(r.status, 400, url);
    assert.equal(body.code, 'validation_error');
    assert.equal(body.details.field, 'callback_url');
    assert.ok(body.error.includes(reason), `${url}: "${body.error}" names ${reason}`);
  }
  const list = (await (await fetch(`${base}/api/v1/subscriptions`)).json()) as { data: { count: number } };
  assert.equal(list.data.count, 0);
  const stats = (await (await fetch(`${base}/api/v1/subscriptions/stats`)).json()) as { data: { webhook_subscriptions: number } };
  assert.equal(stats.data.webhook_subscriptions, 0);
});

test('mutating routes need the API token (401 in the envelope); reads do not', async () => {
  for (const token of ['', 'wrong']) {
    const r = await create('http://93.184.216.34/hook', token);
    assert.equal(r.status, 401);
    const body = (await r.json()) as { error: string; code: string };
    assert.match(body.error, /token/i);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer');
  }
  const ok = await create('http://93.184.216.34/hook');
  assert.equal(ok.status, 201);
  const id = ((await ok.json()) as { data: { subscription_id: string } }).data.subscription_id;
  assert.equal((await fetch(`${base}/api/v1/subscriptions`)).status, 200);
  assert.equal((await fetch(`${base}/api/v1/subscriptions/${id}/enable`, { method: 'POST' })).status, 401);
  assert.equal(
    (await fetch(`${base}/api/v1/subscriptions/${id}/enable`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status,
    200,
  );
  assert.equal((await fetch(`${base}/api/v1/subscriptions/guard`, { method: 'DELETE' })).status, 401);
  assert.equal(
    (await fetch(`${base}/api/v1/subscriptions/guard`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } })).status,
    200,
  );
});

test('the WebSocket token: refused with 403 without it, accepted with it', async () => {
  const url = `ws://127.0.0.1:${app.port()}/socket/websocket?vsn=2.0.0`;
  const refused = await new Promise<number>((resolve) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => resolve(101));
    ws.on('error', () => undefined);
  });
  assert.equal(refused, 403);
  const wrong = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${url}&token=nope`);
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => resolve(101));
    ws.on('error', () => undefined);
  });
  assert.equal(wrong, 403);
  const ws = new WebSocket(`${url}&token=${WS_TOKEN}`);
  await new Promise((resolve, reject) => {
    ws.on('open', resolve);
    ws.on('error', reject);
  });
  ws.close();
});

test('delivery re-checks the address it connects to: a stored subscription to a loopback host gets nothing', async (t) => {
  const receiver = await new Receiver().start();
  const file = join(tempDir(t), 'guard.db');
  // Rows as if created while these hosts resolved to public addresses (DNS rebinding).
  const store = openStore({ path: file, retentionHours: 0, checkpointThread: false });
  const now = Date.now();
  for (const [id, url] of [
    ['rebind-name', `http://localhost:${receiver.port}/name`],
    ['rebind-literal', receiver.url('/literal')],
  ] as const) {
    store.webhooks.insertSubscription({
      id,
      subscriberId: id,
      callbackUrl: url,
      systemIds: [],
      characterIds: [],
      secret: null,
      enabled: true,
      consecutiveFailures: 0,
      createdAtMs: now,
      updatedAtMs: now,
    });
  }
  store.close();
  // No system or character: these rows match every kill (only possible by writing the table directly).
  const guarded = await startSimApp({ db: file, webhookBatchMs: 0, webhookRetryMs: '100000' });
  try {
    await publish(guarded, 1); // a file database starts the R2Z2 reader at the newest entry: give it one
    await publish(guarded, 5);
    await waitFor(() => ((guarded.status().webhooks as Record<string, number>).ssrf_refused ?? 0) >= 2, 10_000, 'both refused');
    await sleep(300);
    assert.equal(receiver.requests.length, 0, 'the receiver saw no request');
  } finally {
    await guarded.stop();
    await receiver.close();
  }
});
