// Cluster benchmark (docs/PERFORMANCE.md "Cluster"): a real nats-server with JetStream, edges as
// `--role edge` builds them (bench/cluster/serve-edge.ts), Phoenix clients from separate load
// processes (bench/fanout/load.ts), and this process as the leader publishing kills to the stream.
//   1. fan-out: the same clients on 1 edge, then split over 2 edges; kills at --rate/s for
//      --seconds; leader publish → client delivery latency (stamp in the kill JSON), RSS per edge;
//   2. catch-up: --catchup kills already in the stream, a new edge replays them: kills/s;
//   3. failover: two `wkills serve --role ingest` processes on the simulator's feed; the leader is
//      killed with SIGKILL; time until the standby has published its first kill, per lease TTL.
//
//   node --import tsx bench/cluster/run.ts [--clients 2000] [--loaders 2] [--rate 100] [--seconds 10]
//        [--pool 1000] [--catchup 50000] [--leases 5000,1500] [--scenarios fanout,catchup,failover] [--json]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { encodeReplicated } from '../../src/cluster/codec.js';
import { createSimulator } from '../../src/sim/index.js';
import { initHistograms, LatencyHistogram, type LatencySummary } from '../../src/telemetry/index.js';
import { driverRecord, rng, runBurst, runRate, type DriverKill, type Usage } from '../fanout/driver.js';
import { cliArgs } from '../runner.js';
import { ask as ipcAsk, child, track } from '../ipc.js';

const { values: a } = parseArgs({
  options: {
    clients: { type: 'string', default: '2000' },
    loaders: { type: 'string', default: '2' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    pool: { type: 'string', default: '1000' },
    catchup: { type: 'string', default: '50000' },
    leases: { type: 'string', default: '5000,1500' },
    scenarios: { type: 'string', default: 'fanout,catchup,failover' },
    json: { type: 'boolean', default: false },
  },
});
const opt = {
  clients: Number(a.clients),
  loaders: Number(a.loaders),
  rate: Number(a.rate),
  seconds: Number(a.seconds),
  pool: Number(a.pool),
  catchup: Number(a.catchup),
};
const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));
const repoRoot = here('../../');
type Msg = Record<string, unknown> & { type: string };

const nextMsg = (c: ChildProcess, type: string, timeoutMs: number): Promise<Msg> => ipcAsk<Msg>(c, undefined, type, timeoutMs);
const ask = (c: ChildProcess, type: string): Promise<Msg> => ipcAsk<Msg>(c, { type }, type, 10_000);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** A fresh JetStream server in a temp folder, for one scenario. */
async function startNats(): Promise<{ url: string; nc: NatsConnection; js: JetStreamClient; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wk-bench-nats-'));
  const proc = track(spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: 'ignore' }));
  const url = `nats://127.0.0.1:${port}`;
  let nc: NatsConnection | undefined;
  for (let i = 0; i < 100 && !nc; i++)
    nc = await connect({ servers: url }).catch(async () => (await new Promise((r) => setTimeout(r, 100)), undefined));
  if (!nc) throw new Error('nats-server did not start');
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'KILLS', subjects: ['kills.>'], duplicate_window: 600e9 });
  return {
    url,
    nc,
    js: jetstream(nc),
    async stop() {
      await nc?.close();
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The leader's side: each driver batch published concurrently, as src/cluster/publisher.ts does. */
function publisher(js: JetStreamClient): { publish(kills: DriverKill[]): void; settled(): Promise<void> } {
  const inflight = new Set<Promise<unknown>>();
  return {
    publish(kills) {
      for (const k of kills) {
        const record = driverRecord(k);
        const p = js.publish(`kills.${k.systemId}`, encodeReplicated({ kind: 'kill', record, older: false }), {
          msgID: String(k.killmailId),
        });
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
      }
    },
    async settled() {
      await Promise.all([...inflight]);
    },
  };
}

function assignClients(): number[][] {
  const r = rng(7);
  return Array.from({ length: opt.clients }, () => {
    const n = 1 + Math.floor(r() * 20);
    const set = new Set<number>();
    while (set.size < n) set.add(30_000_001 + Math.floor(r() * opt.pool));
    return [...set];
  });
}

async function fanout(edges: number): Promise<Record<string, unknown>> {
  const nats = await startNats();
  const servers = Array.from({ length: edges }, (_, i) => child(here('./serve-edge.ts'), [nats.url, `edge-${i}`]));
  const ports = await Promise.all(servers.map(async (s) => (await nextMsg(s, 'listening', 30_000))['port'] as number));
  const clients = assignClients();
  const shares = Array.from({ length: opt.loaders }, (_, i) => clients.filter((_, j) => j % opt.loaders === i));
  const loaders = shares.map(() => child(here('../fanout/load.ts')));
  await Promise.all(
    loaders.map((l, i) => {
      const p = nextMsg(l, 'connected', 300_000);
      // Loader i's clients all go to one edge: with 2 edges and 2 loaders, half the clients each.
      l.send({ type: 'connect', url: `ws://127.0.0.1:${ports[i % edges]}/socket`, clients: shares[i], phoenix: 2, concurrency: 50 });
      return p;
    }),
  );
  const pool = Array.from({ length: opt.pool }, (_, i) => 30_000_001 + i);
  const pub = publisher(nats.js);
  const systems = await runRate(opt.rate, opt.seconds, pool, 1_000_000, (k) => pub.publish(k));
  await pub.settled();
  const expected = shares.map((cs) => {
    const subs = new Map<number, number>();
    for (const c of cs) for (const s of c) subs.set(s, (subs.get(s) ?? 0) + 1);
    return systems.reduce((n, s) => n + (subs.get(s) ?? 0), 0);
  });
  const merged = new LatencyHistogram();
  const phases = await Promise.all(
    loaders.map(async (l, i) => {
      const p = nextMsg(l, 'phase', 60_000).catch(async () => (l.send({ type: 'report', phase: 's' }), nextMsg(l, 'phase', 5000)));
      l.send({ type: 'expect', phase: 's', count: expected[i] });
      return p;
    }),
  );
  for (const p of phases) merged.addEncoded(p['hist'] as string);
  const edgeUsage = await Promise.all(servers.map((s) => ask(s, 'usage')));
  for (const l of loaders) l.send({ type: 'close' });
  for (const s of servers) s.send({ type: 'stop' });
  await nats.stop();
  const latency: LatencySummary = merged.summary();
  return {
    edges,
    clients: opt.clients,
    expected: expected.reduce((x, y) => x + y, 0),
    received: phases.reduce((n, p) => n + (p['received'] as number), 0),
    latencyUs: latency,
    rssMBPerEdge: edgeUsage.map((u) => Math.round((u['usage'] as Usage).rssBytes / 2 ** 20)),
    clientsPerEdge: edgeUsage.map((u) => (u['ws'] as { activeConnections: number }).activeConnections),
  };
}

async function catchUp(): Promise<Record<string, unknown>> {
  const nats = await startNats();
  const pub = publisher(nats.js);
  const pool = Array.from({ length: opt.pool }, (_, i) => 30_000_001 + i);
  const t0 = performance.now();
  await runBurst(opt.catchup, 500, pool, 1, (k) => pub.publish(k));
  await pub.settled();
  const publishS = (performance.now() - t0) / 1000;
  const edge = child(here('./serve-edge.ts'), [nats.url, 'late-edge']);
  await nextMsg(edge, 'listening', 30_000);
  let first: { at: number; seq: number } | undefined;
  let applied = 0;
  while (applied < opt.catchup) {
    applied = ((await ask(edge, 'usage'))['cluster'] as { applied_seq: number }).applied_seq;
    if (!first && applied > 0) first = { at: performance.now(), seq: applied };
    await new Promise((r) => setTimeout(r, 20));
  }
  const s = (performance.now() - (first?.at ?? 0)) / 1000;
  const rss = ((await ask(edge, 'usage'))['usage'] as Usage).rssBytes;
  edge.send({ type: 'stop' });
  await nats.stop();
  return {
    kills: opt.catchup,
    leaderPublishKillsPerS: Math.round(opt.catchup / publishS),
    replayKillsPerS: Math.round((opt.catchup - (first?.seq ?? 0)) / s),
    edgeRssMB: Math.round(rss / 2 ** 20),
  };
}

async function status(port: number): Promise<{ leader?: boolean; published?: number } | undefined> {
  try {
    const body = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as {
      metrics: { cluster: { leader: boolean; published: number } };
    };
    return body.metrics.cluster;
  } catch {
    return undefined;
  }
}

async function failover(leaseMs: number): Promise<Record<string, unknown>> {
  const nats = await startNats();
  const sim = createSimulator({ rate: 50, seed: 3 });
  const { url } = await sim.start();
  const dir = mkdtempSync(join(tmpdir(), 'wk-bench-failover-'));
  const nodes = await Promise.all(
    [1, 2].map(async (i) => {
      const port = await freePort();
      const args = [
        'serve',
        '--source',
        'r2z2',
        '--r2z2-url',
        url,
        '--esi-url',
        url,
        '--zkb-url',
        url,
        '--db',
        join(dir, `n${i}.db`),
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--log-level',
        'error',
        '--workers',
        '1',
        '--status-interval-seconds',
        '0',
        '--nats-url',
        nats.url,
        '--role',
        'ingest',
        '--node-id',
        `n${i}`,
        '--cluster-lease-ms',
        String(leaseMs),
      ];
      return {
        port,
        proc: track(spawn(process.execPath, [...cliArgs(), ...args], { cwd: repoRoot, stdio: 'ignore' })),
      };
    }),
  );
  let leader: (typeof nodes)[number] | undefined;
  while (!leader) {
    for (const n of nodes) if ((await status(n.port))?.leader === true && ((await status(n.port))?.published ?? 0) > 0) leader = n;
    await new Promise((r) => setTimeout(r, 50));
  }
  const standby = nodes.find((n) => n !== leader) as (typeof nodes)[number];
  leader.proc.kill('SIGKILL');
  const killedAt = performance.now();
  let leadingAt = 0;
  for (;;) {
    const s = await status(standby.port);
    if (s?.leader === true && leadingAt === 0) leadingAt = performance.now();
    if (s?.leader === true && (s.published ?? 0) > 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const firstPublishMs = Math.round(performance.now() - killedAt);
  standby.proc.kill('SIGTERM');
  await new Promise((r) => standby.proc.once('exit', r));
  await sim.stop();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
  return { leaseMs, leaderAfterMs: Math.round(leadingAt - killedAt), firstPublishAfterMs: firstPublishMs };
}

await initHistograms();
const machine = { cpu: cpus()[0]?.model, cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
const scenarios = new Set(a.scenarios.split(','));
const results = {
  fanout: scenarios.has('fanout') ? [await fanout(1), await fanout(2)] : [],
  catchUp: scenarios.has('catchup') ? await catchUp() : undefined,
  failover: [] as Record<string, unknown>[],
};
if (scenarios.has('failover')) for (const l of a.leases.split(',').map(Number)) results.failover.push(await failover(l));
if (a.json) process.stdout.write(JSON.stringify({ options: opt, machine, results }, null, 2) + '\n');
else {
  const ms = (us: number): string => (us / 1000).toFixed(2);
  console.log(JSON.stringify({ options: opt, machine }));
  console.log('| edges | clients per edge | delivered/expected | p50 ms | p95 ms | p99 ms | max ms | RSS MB per edge |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results.fanout as Array<Record<string, any>>) {
    console.log(
      `| ${r['edges']} | ${r['clientsPerEdge'].join(' / ')} | ${r['received']}/${r['expected']} | ${ms(r['latencyUs'].p50)} | ${ms(r['latencyUs'].p95)} | ${ms(r['latencyUs'].p99)} | ${ms(r['latencyUs'].max)} | ${r['rssMBPerEdge'].join(' / ')} |`,
    );
  }
  console.log(`catch-up: ${JSON.stringify(results.catchUp)}`);
  for (const f of results.failover) console.log(`failover: ${JSON.stringify(f)}`);
}
process.exit(0);
