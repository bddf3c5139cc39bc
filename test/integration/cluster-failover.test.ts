// Cluster failures with a real nats-server and real `wkills serve` processes: kill -9 of the ingest
// leader (the standby takes over from the cursor the cluster published), kill -9 of an edge (it
// resumes from the stream position it committed), and NATS restarted under load (everyone
// reconnects and converges). In every case the edge's stored set equals the simulator's published
// set and its clients see no kill twice.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import {
  feedPositioned,
  generatedIds,
  openDbView,
  spawnCli,
  startApp,
  startSim,
  tempDir,
  waitFor,
  type CliChild,
  serveArgs,
} from '../fixtures/ingest-harness.js';
import { NATS_BIN, freePort, startNats } from '../fixtures/cluster-harness.js';
import { phoenixSocket } from './ws-harness.js';
import { SYSTEMS } from '../../src/sim/index.js';

const skip = NATS_BIN === undefined ? 'nats-server is not installed (scripts/install-system-deps.sh installs it)' : false;
const LEASE_MS = 1500;

interface Node {
  port: number;
  proc: CliChild;
}

async function spawnNode(
  t: TestContext,
  role: string,
  name: string,
  simUrl: string,
  natsUrl: string,
  db: string,
  port?: number,
): Promise<Node> {
  const p = port ?? (await freePort());
  const proc = spawnCli(t, [
    ...serveArgs(simUrl, db, p),
    '--nats-url',
    natsUrl,
    '--role',
    role,
    '--node-id',
    name,
    '--cluster-lease-ms',
    String(LEASE_MS),
  ]);
  return { port: p, proc };
}

async function clusterStatus(port: number): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/status`);
    const body = (await res.json()) as { metrics?: { cluster?: Record<string, unknown> } };
    return body.metrics?.cluster;
  } catch {
    return undefined;
  }
}

async function feedSeq(port: number): Promise<number> {
  try {
    const body = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as { metrics?: { feed?: { seq?: number } } };
    return body.metrics?.feed?.seq ?? -1;
  } catch {
    return -1;
  }
}

async function waitServing(n: Node): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await clusterStatus(n.port)) !== undefined) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`node never served /status: ${n.proc.stderr()}`);
}

/** The node whose feed is reading: leading, and positioned (entries published before that are skipped, as live). */
async function waitLeader(nodes: Node[], timeoutMs: number): Promise<Node> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const n of nodes) if ((await clusterStatus(n.port))?.leader === true && (await feedSeq(n.port)) >= 0) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no leader elected');
}

/** Every killmail id a firehose client on `app` receives, in order. */
async function firehoseIds(t: TestContext, port: number): Promise<number[]> {
  const socket = phoenixSocket(`ws://127.0.0.1:${port}/socket`, { client_identifier: 'failover' });
  socket.connect();
  t.after(() => socket.disconnect());
  const ids: number[] = [];
  const ch = socket.channel('killmails:all', {});
  ch.on('killmail_update', (p: { killmails: Array<{ killmail_id: number }> }) => {
    for (const k of p.killmails) ids.push(k.killmail_id);
  });
  await new Promise<void>((resolve, reject) =>
    ch
      .join()
      .receive('ok', () => resolve())
      .receive('error', (e: unknown) => reject(new Error(JSON.stringify(e)))),
  );
  return ids;
}

function edgeNode(t: TestContext, natsUrl: string, db: string): Promise<App> {
  return startApp(
    t,
    { source: 'none', db, workers: 1, natsUrl, role: 'edge', nodeId: `edge-${db}`, clusterLeaseMs: LEASE_MS },
    { http: true },
  );
}

test('kill -9 of the ingest leader: the standby takes over; the edge stores every kill once', { skip, timeout: 120_000 }, async (t) => {
  const nats = await startNats(t);
  const sim = await startSim(t);
  sim.publish(1);
  const dir = tempDir(t);
  const edge = await edgeNode(t, nats.url, join(dir, 'edge.db'));
  const seen = await firehoseIds(t, edge.port());
  const nodes = [
    await spawnNode(t, 'ingest', 'ingest-1', sim.url, nats.url, join(dir, 'i1.db')),
    await spawnNode(t, 'ingest', 'ingest-2', sim.url, nats.url, join(dir, 'i2.db')),
  ];
  const leader = await waitLeader(nodes, 30_000);
  const standby = nodes.find((n) => n !== leader) as Node;

  sim.publish(30);
  const view = openDbView(join(dir, 'edge.db'));
  t.after(() => view.close());
  await waitFor(
    () => view.counts().total >= 10,
    30_000,
    () => `10 kills on the edge (have ${view.counts().total}; leader log: ${leader.proc.stdout().slice(-2000)})`,
  );
  leader.proc.child.kill('SIGKILL');
  await leader.proc.exited;
  const killedAt = Date.now();
  const next = await waitLeader([standby], 15_000);
  t.diagnostic(`standby leading ${Date.now() - killedAt} ms after the leader was killed`);
  assert.equal(next, standby);
  sim.publish(20);

  const expected = generatedIds(51);
  await waitFor(
    () => view.counts().total >= expected.length,
    40_000,
    () => `all ${expected.length} kills on the edge (have ${view.counts().total}; standby stderr: ${standby.proc.stderr()})`,
  );
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(view.ids(), expected, 'stored set == published set');
  assert.deepEqual(view.counts(), { total: expected.length, distinct: expected.length });
  const live = seen.filter((id) => id !== expected[0]);
  assert.equal(new Set(seen).size, seen.length, 'no kill twice on the edge client');
  assert.ok(live.length >= 50, `the client saw the kills live (${live.length})`);
});

/**
 * A lobby client on every simulator system, resuming after `since` when given: the ids it
 * receives, and its socket (the phoenix client reconnects it on its own until disconnected).
 */
async function lobbyIds(
  t: TestContext,
  port: number,
  since?: number,
): Promise<{ ids: number[]; socket: ReturnType<typeof phoenixSocket> }> {
  const socket = phoenixSocket(`ws://127.0.0.1:${port}/socket`, { client_identifier: 'failover-lobby' });
  socket.connect();
  t.after(() => socket.disconnect());
  const ids: number[] = [];
  const systems = [...new Set(SYSTEMS.map((x) => x.id))];
  const ch = socket.channel('killmails:lobby', { systems, preload: { enabled: false }, ...(since !== undefined && { since }) });
  ch.on('killmail_update', (p: { killmails: Array<{ killmail_id: number }> }) => {
    for (const k of p.killmails) ids.push(k.killmail_id);
  });
  await new Promise<void>((resolve, reject) =>
    ch
      .join()
      .receive('ok', () => resolve())
      .receive('error', (e: unknown) => reject(new Error(JSON.stringify(e)))),
  );
  return { ids, socket };
}

test(
  'kill -9 of an edge: restarted, it catches up from its committed stream position; its client resumes with since',
  { skip, timeout: 120_000 },
  async (t) => {
    const nats = await startNats(t);
    const sim = await startSim(t);
    sim.publish(1);
    const dir = tempDir(t);
    const ingest = await startApp(
      t,
      {
        source: 'r2z2',
        r2z2Url: sim.url,
        esiUrl: sim.url,
        db: join(dir, 'ingest.db'),
        workers: 1,
        natsUrl: nats.url,
        role: 'ingest',
        nodeId: 'ingest',
        clusterLeaseMs: LEASE_MS,
      },
      { http: true },
    );
    await waitFor(
      () => ingest.cluster?.isLeader() === true,
      15_000,
      () => 'the ingest node to lead',
    );
    await feedPositioned(ingest);
    const edgeDb = join(dir, 'edge.db');
    const first = await spawnNode(t, 'edge', 'edge', sim.url, nats.url, edgeDb);
    await waitServing(first);
    const client = await lobbyIds(t, first.port);
    const before = client.ids;
    sim.publish(40);
    await waitFor(
      () => before.length >= 15,
      30_000,
      () => `15 kills at the edge's client (have ${before.length}; stderr: ${first.proc.stderr()})`,
    );
    first.proc.child.kill('SIGKILL');
    // The client's connection is gone with the edge. Left alone, the phoenix client would
    // reconnect this socket to the restarted edge (same port) and rejoin without `since`, so
    // kills it then received live would count twice against the resumed client below.
    client.socket.disconnect();
    await first.proc.exited;
    const lastSeen = before[before.length - 1] as number;
    sim.publish(20);
    const second = await spawnNode(t, 'edge', 'edge', sim.url, nats.url, edgeDb, first.port);
    await waitServing(second);
    // The client comes back as the phoenix rejoin pattern does: the same lobby, since its last kill.
    const after = (await lobbyIds(t, second.port, lastSeen)).ids;
    const view = openDbView(edgeDb);
    t.after(() => view.close());
    const expected = generatedIds(61);
    await waitFor(
      () => view.counts().total >= expected.length,
      30_000,
      () => `all kills on the restarted edge (have ${view.counts().total}; stderr: ${second.proc.stderr()})`,
    );
    assert.deepEqual(view.ids(), expected);
    // The edge polls the stream's tip once a second: its lag reads 0 once the poll has caught up.
    let status = await clusterStatus(second.port);
    for (let i = 0; i < 50 && status?.stream_lag !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await clusterStatus(second.port);
    }
    assert.equal(status?.stream_lag, 0);
    assert.ok(Number(status?.skipped ?? 0) < 20, `resumed near its position, not from the start (skipped ${String(status?.skipped)})`);
    // Across the crash the client missed nothing and saw nothing twice.
    const live = generatedIds(60, 1);
    await waitFor(
      () => live.every((id) => before.includes(id) || after.includes(id)),
      20_000,
      () => `every kill at the client (${before.length} before, ${after.length} after)`,
    );
    await new Promise((r) => setTimeout(r, 300));
    const all = [...before, ...after];
    assert.equal(new Set(all).size, all.length, 'no kill twice across the resume');
  },
);

test('NATS restarted under load: nodes reconnect and the edge converges on the published set', { skip, timeout: 120_000 }, async (t) => {
  const nats = await startNats(t);
  const sim = await startSim(t);
  sim.publish(1);
  const dir = tempDir(t);
  const ingest = await startApp(
    t,
    {
      source: 'r2z2',
      r2z2Url: sim.url,
      esiUrl: sim.url,
      db: join(dir, 'ingest.db'),
      workers: 1,
      natsUrl: nats.url,
      role: 'ingest',
      nodeId: 'ingest',
      clusterLeaseMs: LEASE_MS,
    },
    { http: true },
  );
  const edge = await edgeNode(t, nats.url, join(dir, 'edge.db'));
  const seen = await firehoseIds(t, edge.port());
  await waitFor(
    () => ingest.cluster?.isLeader() === true,
    15_000,
    () => 'the ingest node to lead',
  );
  await feedPositioned(ingest);
  let published = 1;
  const load = setInterval(() => (published += sim.publish(2)), 50);
  t.after(() => clearInterval(load));
  await new Promise((r) => setTimeout(r, 1000));
  await nats.stop();
  await new Promise((r) => setTimeout(r, 1500));
  await nats.start();
  await new Promise((r) => setTimeout(r, 1000));
  clearInterval(load);
  const view = openDbView(join(dir, 'edge.db'));
  t.after(() => view.close());
  const expected = generatedIds(published);
  await waitFor(
    () => view.counts().total >= expected.length,
    60_000,
    () =>
      `${expected.length} kills on the edge (have ${view.counts().total}; ${JSON.stringify(edge.cluster?.stats())}; ingest ${JSON.stringify(ingest.cluster?.stats())})`,
  );
  assert.deepEqual(view.ids(), expected);
  assert.equal(new Set(seen).size, seen.length, 'no kill twice on the edge client');
  await waitFor(
    () => edge.cluster?.health().healthy === true,
    15_000,
    () => `edge healthy again (${edge.cluster?.health().message})`,
  );
});
