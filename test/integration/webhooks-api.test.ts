// The original service's subscription-controller tests, ported as black-box checks against the
// real server (201 on create, the validation order and messages, normalisation, list, stats,
// delete), plus the routes' persistence in SQLite and the WebSocket subscriptions in the list.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../src/app.js';
import { phoenixSocket } from './ws-harness.js';
import { startSimApp, waitFor } from './sse-support.js';

let app: App;
let base: string;

before(async () => {
  app = await startSimApp({ allowPrivateWebhooks: true });
  base = `http://127.0.0.1:${app.port()}`;
});
after(async () => {
  await app.stop();
});

const HOOK = 'https://example.com/webhook';

async function post(body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const r = await fetch(`${base}/api/v1/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, json: await r.json() };
}

async function get(path: string): Promise<any> {
  const r = await fetch(`${base}${path}`);
  assert.equal(r.status, 200);
  return ((await r.json()) as { data: unknown }).data;
}

async function removeAll(): Promise<void> {
  for (const s of (await get('/api/v1/subscriptions')).subscriptions) {
    if (s.type === 'webhook') await fetch(`${base}/api/v1/subscriptions/${encodeURIComponent(s.subscriber_id)}`, { method: 'DELETE' });
  }
}

test('create with systems only, characters only, or both → 201 {subscription_id, message}', async () => {
  for (const body of [
    { subscriber_id: 'a', callback_url: HOOK, system_ids: [30000142] },
    { subscriber_id: 'b', callback_url: HOOK, character_ids: [123] },
    { subscriber_id: 'c', callback_url: HOOK, system_ids: [30000142, 30000144], character_ids: [123, 456] },
  ]) {
    const r = await post(body);
    assert.equal(r.status, 201);
    assert.equal(r.json.data.message, 'Subscription created successfully');
    assert.match(r.json.data.subscription_id, /^[A-Za-z0-9_-]{22}$/);
  }
  const subs = (await get('/api/v1/subscriptions')).subscriptions;
  const c = subs.find((s: any) => s.subscriber_id === 'c');
  assert.deepEqual(c.system_ids, [30000142, 30000144]);
  assert.deepEqual(c.character_ids, [123, 456]);
  await removeAll();
});

test('validation: the first failure wins, with the original messages, in the error envelope', async () => {
  const cases: [unknown, string[]][] = [
    [{ callback_url: HOOK, system_ids: [1] }, ['subscriber_id']],
    [{ subscriber_id: '', callback_url: HOOK, system_ids: [1] }, ['subscriber_id']],
    [{ subscriber_id: 'x', system_ids: [1] }, ['callback_url']],
    [{ subscriber_id: 'x', callback_url: 'not-a-url', system_ids: [1] }, ['callback_url', 'HTTP']],
    [{ subscriber_id: 'x', callback_url: 'ftp://example.com/x', system_ids: [1] }, ['callback_url', 'HTTP']],
    [{ subscriber_id: 'x', callback_url: 12345, system_ids: [1] }, ['callback_url', 'HTTP']],
    [{ subscriber_id: 'x', callback_url: HOOK }, ['system_id', 'character_id']],
    [{ subscriber_id: 'x', callback_url: HOOK, system_ids: [-1, 0, 'not_a_number'] }, ['system_ids', 'positive integers']],
    [{ subscriber_id: 'x', callback_url: HOOK, character_ids: [-1, 0, 'not_a_number'] }, ['character_ids', 'positive integers']],
    [{ subscriber_id: 'x', callback_url: HOOK, system_ids: Array.from({ length: 101 }, (_, i) => 30000000 + i) }, ['system_ids', '100']],
    [{ subscriber_id: 'x', callback_url: HOOK, character_ids: Array.from({ length: 1001 }, (_, i) => i + 1) }, ['character_ids', '1000']],
    [{ subscriber_id: 'x', callback_url: HOOK, system_ids: [1], secret: 42 }, ['secret']],
  ];
  for (const [body, words] of cases) {
    const r = await post(body);
    assert.equal(r.status, 400, JSON.stringify(body).slice(0, 80));
    assert.equal(r.json.code, 'validation_error');
    for (const w of words) assert.ok(String(r.json.error).includes(w), `${r.json.error} mentions ${w}`);
  }
  assert.equal((await post('{not json')).status, 400);
  assert.equal((await post([1, 2])).status, 400);
  const wrongType = await fetch(`${base}/api/v1/subscriptions`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
  assert.equal(wrongType.status, 415);
  assert.equal((await get('/api/v1/subscriptions')).count, 0, 'nothing created by bad input');
  assert.equal((await fetch(`${base}/ping`)).status, 200);
});

test('ids are deduplicated and sorted; the list serialises empty lists as []', async () => {
  const r = await post({
    subscriber_id: 'norm',
    callback_url: HOOK,
    system_ids: [30000143, 30000142, 30000143],
    character_ids: [789, 123, 456, 123],
  });
  assert.equal(r.status, 201);
  const only = await post({ subscriber_id: 'only', callback_url: HOOK, system_ids: [1] });
  assert.equal(only.status, 201);
  const list = await get('/api/v1/subscriptions');
  assert.equal(list.count, 2);
  const norm = list.subscriptions.find((s: any) => s.subscriber_id === 'norm');
  assert.deepEqual(norm.system_ids, [30000142, 30000143]);
  assert.deepEqual(norm.character_ids, [123, 456, 789]);
  assert.equal(norm.type, 'webhook');
  assert.equal(norm.enabled, true);
  assert.equal(norm.callback_url, HOOK);
  const o = list.subscriptions.find((s: any) => s.subscriber_id === 'only');
  assert.deepEqual(o.character_ids, []);
  for (const k of ['id', 'created_at', 'updated_at']) assert.ok(k in norm, k);
  assert.ok(!('secret' in norm), 'secrets are never listed');
  await removeAll();
});

test('stats: 2 webhook subscriptions, unique systems and characters counted', async () => {
  await post({ subscriber_id: 's1', callback_url: HOOK, system_ids: [30000142, 30000143], character_ids: [123] });
  await post({ subscriber_id: 's2', callback_url: HOOK, system_ids: [30000142], character_ids: [456, 789] });
  const s = await get('/api/v1/subscriptions/stats');
  assert.equal(s.webhook_subscriptions, 2);
  assert.equal(s.websocket_subscriptions, 0);
  assert.equal(s.total_systems, 2);
  assert.equal(s.total_characters, 3);
  for (const k of ['total_subscriptions', 'sse_subscriptions', 'memory_usage']) assert.equal(typeof s[k], 'number', k);
  await removeAll();
});

test('delete removes only that subscriber, and answers 200 with the same body for an unknown one', async () => {
  await post({ subscriber_id: 'keep', callback_url: HOOK, system_ids: [1] });
  await post({ subscriber_id: 'drop', callback_url: HOOK, system_ids: [2] });
  await post({ subscriber_id: 'drop', callback_url: HOOK, system_ids: [3] });
  for (const who of ['drop', 'never-existed']) {
    const r = await fetch(`${base}/api/v1/subscriptions/${who}`, { method: 'DELETE' });
    assert.equal(r.status, 200);
    const body = (await r.json()) as { data: { message: string; subscriber_id: string } };
    assert.deepEqual(body.data, { message: 'Successfully unsubscribed', subscriber_id: who });
  }
  const list = await get('/api/v1/subscriptions');
  assert.deepEqual(
    list.subscriptions.map((s: any) => s.subscriber_id),
    ['keep'],
  );
  // Persisted in SQLite, not only in memory.
  assert.deepEqual(
    app.store.webhooks.subscriptions().map((r) => r.subscriberId),
    ['keep'],
  );
  await removeAll();
});

test('the list also shows live WebSocket subscriptions (callback_url null)', async () => {
  const socket = phoenixSocket(`ws://127.0.0.1:${app.port()}/socket`, { client_identifier: 'lister' });
  socket.connect();
  const ch = socket.channel('killmails:lobby', { systems: [30000142], preload: { enabled: false } });
  await new Promise<void>((resolve, reject) =>
    ch
      .join()
      .receive('ok', () => resolve())
      .receive('error', (e: unknown) => reject(new Error(JSON.stringify(e)))),
  );
  const list = await get('/api/v1/subscriptions');
  const ws = list.subscriptions.find((s: any) => s.type === 'websocket');
  assert.ok(ws);
  assert.equal(ws.callback_url, null);
  assert.deepEqual(ws.system_ids, [30000142]);
  assert.match(ws.subscriber_id, /^lister_/);
  assert.equal((await get('/api/v1/subscriptions/stats')).websocket_subscriptions, 1);
  socket.disconnect();
  await waitFor(() => app.fanout.stats().activeConnections === 0, 5000, 'socket closed');
});
