// Webhook delivery against a real HTTP receiver on loopback, fed by the simulator through the
// whole pipeline: retries until each kill is delivered exactly once, HMAC signatures the
// receiver verifies itself, batching per system, and 10 failures → disabled → enable → resumed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../src/app.js';
import { SYSTEMS } from '../../src/sim/index.js';
import { Collector, publish, sleep, startSimApp, waitFor } from './sse-support.js';
import { Receiver, signature } from './webhook-receiver.js';

let app: App;
let base: string;
let receiver: Receiver;
const ALL_SYSTEMS = SYSTEMS.slice(0, 100).map((s) => s.id);

before(async () => {
  app = await startSimApp({ allowPrivateWebhooks: true, webhookBatchMs: 200, webhookRetryMs: '300,300,300,300' });
  base = `http://127.0.0.1:${app.port()}`;
  receiver = await new Receiver().start();
});
after(async () => {
  await app.stop();
  await receiver.close();
});

async function subscribe(body: Record<string, unknown>): Promise<string> {
  const r = await fetch(`${base}/api/v1/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const j = (await r.json()) as { data: { subscription_id: string } };
  assert.equal(r.status, 201, JSON.stringify(j));
  return j.data.subscription_id;
}

interface ListedSub {
  id: string;
  enabled: boolean;
  consecutive_failures: number;
}

async function listed(id: string): Promise<ListedSub> {
  const r = (await (await fetch(`${base}/api/v1/subscriptions`)).json()) as { data: { subscriptions: ListedSub[] } };
  const s = r.data.subscriptions.find((x) => x.id === id);
  assert.ok(s, `subscription ${id} listed`);
  return s;
}

test('500 then 200: every matching kill is delivered exactly once, signed, batched per system', async () => {
  const secret = 'receiver-shared-secret';
  await subscribe({ subscriber_id: 'retry', callback_url: receiver.url('/retry'), system_ids: ALL_SYSTEMS, secret });
  receiver.respond = (path, n) => (path === '/retry' && n < 2 ? 500 : 200);
  const sse = new Collector(`${base}/api/v1/kills/stream?system_ids=${ALL_SYSTEMS.join(',')}`);
  await sse.opened();
  await publish(app, 20);
  await waitFor(() => sse.kills().length >= 20, 20_000, 'SSE kills');
  const expected = sse
    .kills()
    .filter((k) => ALL_SYSTEMS.includes(k.system_id))
    .map((k) => k.killmail_id);
  await waitFor(() => receiver.delivered('/retry').length >= expected.length, 30_000, 'deliveries after the retries');
  await sleep(800); // a duplicate would arrive within a retry delay
  const delivered = receiver.delivered('/retry');
  assert.deepEqual([...delivered].sort(), [...expected].sort(), 'each kill exactly once');
  const reqs = receiver.requests.filter((r) => r.path === '/retry');
  assert.ok(reqs.filter((r) => r.status === 500).length === 2, 'two failed attempts first');
  for (const r of reqs) {
    assert.equal(r.headers['content-type'], 'application/json');
    assert.match(String(r.headers['user-agent']), /^WandererKills\/1\.0/);
    assert.equal(r.headers['x-wk-signature'], signature(secret, r.body), 'HMAC-SHA256 of the raw body verifies');
    assert.equal(r.payload.type, 'killmail_update');
    assert.ok(r.payload.kills.length >= 1 && r.payload.kills.length <= 50);
    for (const k of r.payload.kills) assert.equal(k.system_id, r.payload.system_id, 'one system per POST');
    assert.ok(!Number.isNaN(Date.parse(r.payload.timestamp)));
  }
  const stats = app.status().webhooks as Record<string, number>;
  assert.ok((stats.posts_failed ?? 0) >= 2);
  assert.ok((stats.deliveries_failed ?? 0) >= 1);
  assert.equal(stats.pending_deliveries, 0);
  sse.close();
});

test('no secret: no signature header; character subscriptions match victims and attackers', async () => {
  const probe = new Collector(`${base}/api/v1/kills/stream`);
  await probe.opened();
  await publish(app, 10);
  await waitFor(() => probe.kills().length >= 10, 20_000, 'probe');
  const victim = probe.kills().find((k) => k.victim.character_id)!.victim.character_id!;
  probe.close();
  await subscribe({ subscriber_id: 'chars', callback_url: receiver.url('/chars'), character_ids: [victim, 1] });
  const live = new Collector(`${base}/api/v1/kills/stream?character_ids=${victim},1`);
  await live.opened();
  await publish(app, 30);
  await sleep(1500);
  const delivered = receiver.delivered('/chars');
  assert.deepEqual([...delivered].sort(), [...live.killIds()].sort(), 'webhook and SSE deliver the same kills');
  for (const r of receiver.requests.filter((x) => x.path === '/chars')) assert.equal(r.headers['x-wk-signature'], undefined);
  live.close();
});

test('10 failed deliveries in a row disable the subscription; the enable route resumes delivery', async () => {
  const id = await subscribe({ subscriber_id: 'dead', callback_url: receiver.url('/dead'), system_ids: ALL_SYSTEMS });
  let alive = false;
  receiver.respond = (path) => (path === '/dead' && !alive ? 503 : 200);
  for (let i = 0; i < 20 && (await listed(id)).enabled; i++) {
    await publish(app, 3);
    await sleep(400);
  }
  const sub = await listed(id);
  assert.equal(sub.enabled, false, 'disabled');
  assert.equal(sub.consecutive_failures, 10);
  // A delivery attempt POSTs each system of the batch at once: at least 10 POSTs, all failed.
  const failedPosts = receiver.requests.filter((r) => r.path === '/dead').length;
  assert.ok(failedPosts >= 10, `${failedPosts} failed POSTs`);
  await publish(app, 3); // not queued for a disabled subscription
  await sleep(500);
  assert.equal(receiver.requests.filter((r) => r.path === '/dead').length, failedPosts, 'no POST after it was disabled');
  alive = true;
  const r = await fetch(`${base}/api/v1/subscriptions/${id}/enable`, { method: 'POST' });
  assert.equal(r.status, 200);
  assert.equal((await listed(id)).enabled, true);
  await waitFor(() => receiver.delivered('/dead').length > 0, 10_000, 'pending deliveries resumed');
  const before = receiver.delivered('/dead').length;
  await publish(app, 10);
  await waitFor(() => receiver.delivered('/dead').length > before, 10_000, 'new kills delivered');
  const delivered = receiver.delivered('/dead');
  assert.equal(new Set(delivered).size, delivered.length, 'none twice');
  assert.equal((await listed(id)).consecutive_failures, 0);
  const unknown = await fetch(`${base}/api/v1/subscriptions/nope/enable`, { method: 'POST' });
  assert.equal(unknown.status, 404);
});
