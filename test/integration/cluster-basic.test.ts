// Cluster mode with a real nats-server: one ingest node reading the simulator's R2Z2 feed and two
// edges serving clients from the KILLS stream, all in this process on their own SQLite files. A
// phoenix client on each edge gets every kill exactly once; REST on both edges answers the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Channel } from 'phoenix';
import type { App } from '../../src/app.js';
import { SYSTEMS } from '../../src/sim/index.js';
import { feedPositioned, generatedIds, startApp, startSim, tempDir, waitFor } from '../fixtures/ingest-harness.js';
import { NATS_BIN, startNats } from '../fixtures/cluster-harness.js';
import { phoenixSocket } from './ws-harness.js';

const skip = NATS_BIN === undefined ? 'nats-server is not installed (scripts/install-system-deps.sh installs it)' : false;

function join_(ch: Channel): Promise<void> {
  return new Promise((resolve, reject) => {
    ch.join()
      .receive('ok', () => resolve())
      .receive('error', (e: unknown) => reject(new Error(JSON.stringify(e))));
  });
}

/** A phoenix client on the firehose of `app`, collecting killmail ids in arrival order. */
async function firehose(app: App): Promise<{ ids: number[]; close(): void }> {
  const socket = phoenixSocket(`ws://127.0.0.1:${app.port()}/socket`, { client_identifier: 'cluster-test' });
  socket.connect();
  const ids: number[] = [];
  const ch = socket.channel('killmails:all', {});
  ch.on('killmail_update', (p: { killmails: Array<{ killmail_id: number }> }) => {
    for (const k of p.killmails) ids.push(k.killmail_id);
  });
  await join_(ch);
  return { ids, close: () => socket.disconnect() };
}

async function restKills(app: App, systemId: number): Promise<number[]> {
  const res = await fetch(`http://127.0.0.1:${app.port()}/api/v1/kills/system/${systemId}?limit=1000&since_hours=168`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { data: { kills: Array<{ killmail_id: number }> } | Array<{ killmail_id: number }> };
  const kills = Array.isArray(body.data) ? body.data : body.data.kills;
  return kills.map((k) => k.killmail_id).sort((a, b) => a - b);
}

test('one ingest node and two edges: every kill once on each edge, the same REST answers', { skip }, async (t) => {
  const nats = await startNats(t);
  const sim = await startSim(t);
  sim.publish(1); // sequence.json names a real entry: where the leader starts
  const dir = tempDir(t);
  const cluster = { natsUrl: nats.url, clusterLeaseMs: 1000, http: true };
  const node = (role: string, name: string): Promise<App> =>
    startApp(
      t,
      {
        source: 'r2z2',
        r2z2Url: sim.url,
        esiUrl: sim.url,
        zkbUrl: sim.url,
        db: join(dir, `${name}.db`),
        workers: 1,
        natsUrl: nats.url,
        role,
        nodeId: name,
        clusterLeaseMs: cluster.clusterLeaseMs,
      },
      { http: true },
    );
  const ingest = await node('ingest', 'ingest-1');
  const edgeA = await node('edge', 'edge-a');
  const edgeB = await node('edge', 'edge-b');
  await waitFor(
    () => ingest.cluster?.isLeader() === true,
    10_000,
    () => `the ingest node to lead (${JSON.stringify(ingest.cluster?.stats())})`,
  );
  await feedPositioned(ingest);
  const a = await firehose(edgeA);
  const b = await firehose(edgeB);
  t.after(() => {
    a.close();
    b.close();
  });

  const published = 60;
  sim.publish(published);
  const expected = generatedIds(published, 1);
  const done = (ids: number[]): boolean => expected.every((id) => ids.includes(id));
  await waitFor(
    () => done(a.ids) && done(b.ids),
    30_000,
    () => `both edges' clients (${a.ids.length}, ${b.ids.length}; ${JSON.stringify(edgeA.cluster?.stats())})`,
  );
  await new Promise((r) => setTimeout(r, 300)); // a late duplicate would arrive now
  for (const ids of [a.ids, b.ids]) {
    assert.equal(new Set(ids).size, ids.length, 'no kill twice');
    assert.deepEqual(
      ids.filter((id) => expected.includes(id)).sort((x, y) => x - y),
      expected,
    );
  }
  const systems = [...new Set(SYSTEMS.map((s) => s.id))];
  for (const systemId of systems)
    assert.deepEqual(await restKills(edgeA, systemId), await restKills(edgeB, systemId), `system ${systemId}`);
  const statusA = edgeA.status().cluster as Record<string, unknown>;
  assert.equal(statusA.role, 'edge');
  assert.equal(statusA.leader, false);
  assert.equal(statusA.nats_connected, true);
  assert.equal(ingest.feed === undefined, false, 'the leader reads the feed');
  assert.equal(edgeA.feed, undefined, 'an edge never reads the feed');
  const health = await fetch(`http://127.0.0.1:${edgeA.port()}/health`);
  assert.equal(health.status, 200, await health.text());
  // The same figures as Prometheus families, for the scrape a load balancer or alert reads.
  const scrape = async (port: number): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics?format=prometheus`)).text();
  const leaderText = await scrape(ingest.port());
  assert.match(leaderText, /^wkills_cluster_leader\{role="ingest"\} 1$/m);
  assert.match(leaderText, /^wkills_cluster_node_info\{role="ingest",node_id="ingest-1"\} 1$/m);
  assert.match(leaderText, /^wkills_cluster_published_total\{role="ingest"\} \d+$/m);
  const edgeText = await scrape(edgeA.port());
  assert.match(edgeText, /^wkills_cluster_leader\{role="edge"\} 0$/m);
  assert.match(edgeText, /^wkills_cluster_nats_connected\{role="edge"\} 1$/m);
  assert.match(edgeText, /^wkills_cluster_stream_lag_messages\{role="edge"\} \d+$/m);
  assert.ok(
    Number(/^wkills_cluster_consumed_total\{role="edge"\} (\d+)$/m.exec(edgeText)?.[1]) >= published,
    'the edge consumed every published kill',
  );
});

test(
  'names the leader completes late reach an edge client that asked for updates, as killmail_enriched',
  { skip, timeout: 180_000 },
  async (t) => {
    const nats = await startNats(t);
    const sim = await startSim(t);
    sim.publish(1);
    const dir = tempDir(t);
    const shared = { natsUrl: nats.url, clusterLeaseMs: 1000, workers: 1 };
    const ingest = await startApp(
      t,
      {
        ...shared,
        source: 'r2z2',
        r2z2Url: sim.url,
        esiUrl: sim.url,
        zkbUrl: sim.url,
        db: join(dir, 'i.db'),
        role: 'ingest',
        nodeId: 'i',
        enrich: true,
        enrichBudgetMs: 200,
      },
      { http: true },
    );
    const edge = await startApp(t, { ...shared, source: 'none', db: join(dir, 'e.db'), role: 'edge', nodeId: 'e' }, { http: true });
    await waitFor(
      () => ingest.cluster?.isLeader() === true,
      10_000,
      () => 'a leader',
    );
    await feedPositioned(ingest);
    // The first kill was enriched in time; it must reach the edge before the client joins, or on a slow
    // machine it arrives live after the join and is (rightly) never followed by killmail_enriched.
    await waitFor(
      () => Number(edge.cluster?.stats().stored ?? 0) >= 1,
      20_000,
      () => `the first kill stored at the edge (${JSON.stringify(edge.cluster?.stats())})`,
    );
    const socket = phoenixSocket(`ws://127.0.0.1:${edge.port()}/socket`, { client_identifier: 'edge-updates' });
    socket.connect();
    t.after(() => socket.disconnect());
    const live: number[] = [];
    const enriched: Array<{ killmail_id: number; solar_system_name?: string }> = [];
    const ch = socket.channel('killmails:lobby', {
      systems: [...new Set(SYSTEMS.map((s) => s.id))],
      preload: { enabled: false },
      updates: true,
    });
    ch.on(
      'killmail_update',
      (p: { killmails: Array<{ killmail_id: number }> }) => void live.push(...p.killmails.map((k) => k.killmail_id)),
    );
    ch.on(
      'killmail_enriched',
      (p: { killmails: Array<{ killmail_id: number; solar_system_name?: string }> }) => void enriched.push(...p.killmails),
    );
    await join_(ch);

    // ESI answers after 1.2 s, past the 200 ms budget: the kills go out with ids, names follow.
    sim.setFaults([{ route: 'esi', kind: 'latency', latencyMs: 1200 }]);
    sim.publish(2);
    await waitFor(
      () => live.length >= 2,
      20_000,
      () => `2 live kills at the edge (${live.length})`,
    );
    sim.setFaults([]);
    await waitFor(
      () => live.every((id) => enriched.some((k) => k.killmail_id === id)),
      60_000,
      () =>
        `killmail_enriched for ${JSON.stringify(live)} (got ${JSON.stringify(enriched.map((k) => k.killmail_id))}; ${JSON.stringify(edge.cluster?.stats())})`,
    );
    for (const k of enriched) assert.equal(typeof k.solar_system_name, 'string', 'the completed copy carries names');
    assert.equal(new Set(live).size, live.length, 'killmail_update stays exactly once');
  },
);
