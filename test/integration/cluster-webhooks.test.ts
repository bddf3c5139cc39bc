// Webhooks in a cluster (real nats-server): a subscription created through REST on one edge is
// known to every node, and with one ingest node and two edges each kill reaches the receiver once,
// not once per node. Deleting it on the other edge stops deliveries everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { SYSTEMS } from '../../src/sim/index.js';
import { feedPositioned, generatedIds, startApp, startSim, tempDir, waitFor } from '../fixtures/ingest-harness.js';
import { NATS_BIN, startNats } from '../fixtures/cluster-harness.js';
import { Receiver } from './webhook-receiver.js';

const skip = NATS_BIN === undefined ? 'nats-server is not installed (scripts/install-system-deps.sh installs it)' : false;

async function listed(app: App): Promise<Array<{ id: string; subscriber_id: string }>> {
  const r = (await (await fetch(`http://127.0.0.1:${app.port()}/api/v1/subscriptions`)).json()) as {
    data: { subscriptions: Array<{ id: string; subscriber_id: string }> };
  };
  return r.data.subscriptions;
}

test('a webhook subscriber receives each kill once with two edges running', { skip, timeout: 120_000 }, async (t) => {
  const nats = await startNats(t);
  const sim = await startSim(t);
  sim.publish(1);
  const receiver = await new Receiver().start();
  t.after(() => receiver.close());
  const dir = tempDir(t);
  const shared = { natsUrl: nats.url, clusterLeaseMs: 1000, workers: 1, allowPrivateWebhooks: true, webhookBatchMs: 100, cutoffSeconds: 0 };
  const ingest = await startApp(
    t,
    { ...shared, source: 'r2z2', r2z2Url: sim.url, esiUrl: sim.url, db: join(dir, 'ingest.db'), role: 'ingest', nodeId: 'ingest' },
    { http: true },
  );
  const edgeA = await startApp(t, { ...shared, source: 'none', db: join(dir, 'a.db'), role: 'edge', nodeId: 'edge-a' }, { http: true });
  const edgeB = await startApp(t, { ...shared, source: 'none', db: join(dir, 'b.db'), role: 'edge', nodeId: 'edge-b' }, { http: true });
  await waitFor(
    () => ingest.cluster?.isLeader() === true,
    10_000,
    () => 'a leader',
  );
  await feedPositioned(ingest);

  const body = { subscriber_id: 'cluster-map', callback_url: receiver.url('/hook'), system_ids: [...new Set(SYSTEMS.map((s) => s.id))] };
  const created = await fetch(`http://127.0.0.1:${edgeA.port()}/api/v1/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(created.status, 201, await created.text());
  for (const node of [ingest, edgeA, edgeB]) {
    const deadline = Date.now() + 10_000;
    while (!(await listed(node)).some((s) => s.subscriber_id === 'cluster-map')) {
      assert.ok(Date.now() < deadline, `the subscription listed on port ${node.port()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  sim.publish(30);
  const expected = generatedIds(30, 1);
  await waitFor(
    () => expected.every((id) => receiver.delivered('/hook').includes(id)),
    30_000,
    () => `deliveries (${receiver.delivered('/hook').length})`,
  );
  await new Promise((r) => setTimeout(r, 1000)); // a second node's copy would arrive now
  const got = receiver.delivered('/hook');
  assert.equal(new Set(got).size, got.length, 'no kill delivered twice');
  assert.deepEqual(
    [...got].sort((a, b) => a - b),
    expected,
  );

  const del = await fetch(`http://127.0.0.1:${edgeB.port()}/api/v1/subscriptions/cluster-map`, { method: 'DELETE' });
  assert.equal(del.status, 200, await del.text());
  await waitFor(
    () => ingest.status().webhooks !== undefined && (ingest.status().webhooks as { subscriptions: number }).subscriptions === 0,
    10_000,
    () => `the delete reaching the leader (${JSON.stringify(ingest.status().webhooks)})`,
  );
  sim.publish(5);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(receiver.delivered('/hook').length, expected.length, 'nothing delivered after the delete');
});
