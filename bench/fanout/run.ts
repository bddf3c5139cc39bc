// WebSocket fan-out benchmark (until `wkills bench fanout` lands). For our hub
// (bench/fanout/serve-uws.ts) and the `ws` + node:http baseline (bench/baselines/fanout-ws.ts),
// each in its own process, in the same run:
//   1. connect: N Phoenix V2 clients from separate load processes (bench/fanout/load.ts), each
//      joining 1-20 systems of a pool; connect+join time per client;
//   2. steady: kills at --rate/s for --seconds; ingest → client delivery latency (stamp in the
//      kill JSON, see driver.ts), server CPU and RSS; every delivery counted against the expected
//      number (exactly once);
//   3. burst: --burst kills as fast as the server takes them: deliveries/s until the last client
//      got its last kill, and deliveries per server CPU-second.
//
//   node --import tsx bench/fanout/run.ts [--clients 10000] [--loaders 4] [--rate 100] [--seconds 10]
//        [--pool 1000] [--burst 2000] [--phoenix 5] [--servers uws,baseline,limit] [--json]
import { fork, execSync, type ChildProcess } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initHistograms, LatencyHistogram, type LatencySummary } from '../../src/telemetry/index.js';
import { rng, type Usage } from './driver.js';
import { TS_EXEC_ARGV, script } from '../runner.js';

const { values: a } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    loaders: { type: 'string', default: '2' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    pool: { type: 'string', default: '1000' },
    burst: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '50' },
    phoenix: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '50' },
    servers: { type: 'string', default: 'uws,baseline,limit' },
    json: { type: 'boolean', default: false },
  },
});
const opt = {
  clients: Number(a.clients),
  loaders: Number(a.loaders),
  rate: Number(a.rate),
  seconds: Number(a.seconds),
  pool: Number(a.pool),
  burst: Number(a.burst),
  batch: Number(a.batch),
  phoenix: Number(a.phoenix),
  concurrency: Number(a.concurrency),
};
const SERVERS: Record<string, string> = {
  uws: script(new URL('./serve-uws.ts', import.meta.url)),
  baseline: script(new URL('../baselines/fanout-ws.ts', import.meta.url)),
  // Bare uWS publishing the same pre-encoded frames, no matching (docs/PERFORMANCE.md "Limit rows").
  limit: script(new URL('./serve-limit.ts', import.meta.url)),
};
const LOAD = script(new URL('./load.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

type Msg = Record<string, unknown> & { type: string };

// FANOUT_BENCH_SERVER_ARGS adds node flags to the server processes only (e.g. "--cpu-prof").
const serverArgs = (process.env['FANOUT_BENCH_SERVER_ARGS'] ?? '').split(' ').filter((x) => x !== '');

const children = new Set<ChildProcess>();

function child(entry: string, extraArgs: string[] = []): ChildProcess {
  const c = fork(entry, [], { cwd: repoRoot, execArgv: [...TS_EXEC_ARGV, ...extraArgs], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

// A failed run must not leave servers or load processes behind.
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function nextMsg(c: ChildProcess, type: string, timeoutMs: number): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "${type}" within ${timeoutMs} ms`)), timeoutMs);
    const on = (m: unknown): void => {
      if ((m as Msg).type !== type) return;
      clearTimeout(t);
      c.off('message', on);
      resolve(m as Msg);
    };
    c.on('message', on);
  });
}

/** Clients' systems: 1-20 distinct systems each from the pool (deterministic). */
function assignClients(): number[][] {
  const r = rng(7);
  const pool = Array.from({ length: opt.pool }, (_, i) => 30_000_001 + i);
  return Array.from({ length: opt.clients }, () => {
    const n = 1 + Math.floor(r() * 20);
    const set = new Set<number>();
    while (set.size < n) set.add(pool[Math.floor(r() * pool.length)] as number);
    return [...set];
  });
}

function expectedFor(shares: number[][][], systems: number[]): number[] {
  return shares.map((clients) => {
    const subs = new Map<number, number>();
    for (const c of clients) for (const s of c) subs.set(s, (subs.get(s) ?? 0) + 1);
    return systems.reduce((n, s) => n + (subs.get(s) ?? 0), 0);
  });
}

async function phase(
  loaders: ChildProcess[],
  name: 's' | 'b',
  expected: number[],
  timeoutMs: number,
): Promise<{ hist: LatencySummary; received: number; lastUs: number; loadCpuUs: number }> {
  const merged = new LatencyHistogram();
  const results = await Promise.all(
    loaders.map(async (l, i) => {
      const p = nextMsg(l, 'phase', timeoutMs).catch(async () => {
        const again = nextMsg(l, 'phase', 5000);
        l.send({ type: 'report', phase: name });
        return again;
      });
      l.send({ type: 'expect', phase: name, count: expected[i] });
      return p;
    }),
  );
  for (const r of results) merged.addEncoded(r['hist'] as string);
  return {
    hist: merged.summary(),
    received: results.reduce((n, r) => n + (r['received'] as number), 0),
    lastUs: Math.max(...results.map((r) => r['lastUs'] as number)),
    loadCpuUs: results.reduce((n, r) => n + (r['cpuUs'] as number), 0),
  };
}

async function loadCpuUs(loaders: ChildProcess[]): Promise<number> {
  const replies = await Promise.all(
    loaders.map((l) => {
      const p = nextMsg(l, 'cpu', 10_000);
      l.send({ type: 'cpu' });
      return p;
    }),
  );
  return replies.reduce((n, r) => n + (r['cpuUs'] as number), 0);
}

const cpuS = (u0: Usage, u1: Usage): number => (u1.cpuUserUs - u0.cpuUserUs + u1.cpuSystemUs - u0.cpuSystemUs) / 1e6;

async function runServer(name: string): Promise<Record<string, unknown>> {
  const server = child(SERVERS[name] as string, serverArgs);
  const port = (await nextMsg(server, 'listening', 30_000))['port'] as number;
  const url = `ws://127.0.0.1:${port}/socket`;
  const clients = assignClients();
  const shares = Array.from({ length: opt.loaders }, (_, i) => clients.filter((_, j) => j % opt.loaders === i));
  const loaders = shares.map(() => child(LOAD));
  const pool = Array.from({ length: opt.pool }, (_, i) => 30_000_001 + i);

  const connected = await Promise.all(
    loaders.map((l, i) => {
      const p = nextMsg(l, 'connected', 300_000);
      l.send({ type: 'connect', url, clients: shares[i], phoenix: opt.phoenix, concurrency: opt.concurrency });
      return p;
    }),
  );
  const connectHist = new LatencyHistogram();
  for (const c of connected) connectHist.addEncoded(c['hist'] as string);
  const afterConnect = (await (server.send({ type: 'usage' }), nextMsg(server, 'usage', 10_000)))['usage'] as Usage;

  const loadCpuBeforeUs = await loadCpuUs(loaders);
  server.send({ type: 'drive', rate: opt.rate, seconds: opt.seconds, pool, firstId: 1_000_000 });
  const driven = await nextMsg(server, 'driven', (opt.seconds + 60) * 1000);
  const steadyExpected = expectedFor(shares, driven['systems'] as number[]);
  const steady = await phase(loaders, 's', steadyExpected, 60_000);
  const afterSteady = await (server.send({ type: 'usage' }), nextMsg(server, 'usage', 10_000));

  server.send({ type: 'burst', count: opt.burst, batch: opt.batch, pool, firstId: 50_000_000 });
  const bursted = await nextMsg(server, 'bursted', 300_000);
  const burstExpected = expectedFor(shares, bursted['systems'] as number[]);
  const burst = await phase(loaders, 'b', burstExpected, 120_000);
  const afterBurstMsg = await (server.send({ type: 'usage' }), nextMsg(server, 'usage', 10_000));
  const afterBurst = afterBurstMsg['usage'] as Usage;

  for (const l of loaders) l.send({ type: 'close' });
  server.send({ type: 'stop' });
  const steadyUsage = afterSteady['usage'] as Usage;
  const burstWallS = (burst.lastUs - (bursted['startUs'] as number)) / 1e6;
  const burstCpuS = cpuS(bursted['before'] as Usage, afterBurst);
  // Ours also writes each kill to SQLite (ingest's work; the limit stores nothing): its CPU apart.
  const storeCpuS =
    (((afterBurstMsg['extra'] as Record<string, number> | undefined)?.['storeCpuUs'] ?? 0) -
      ((afterSteady['extra'] as Record<string, number> | undefined)?.['storeCpuUs'] ?? 0)) /
    1e6;
  const steadyCpuS = cpuS(driven['before'] as Usage, steadyUsage);
  return {
    server: name,
    clients: connected.reduce((n, c) => n + (c['open'] as number), 0),
    connectErrors: connected.reduce((n, c) => n + (c['errors'] as number), 0),
    connectWallMs: Math.max(...connected.map((c) => c['wallMs'] as number)),
    connectUs: connectHist.summary(),
    rssAfterConnectMB: afterConnect.rssBytes / 2 ** 20,
    steady: {
      expected: steadyExpected.reduce((x, y) => x + y, 0),
      received: steady.received,
      latencyUs: steady.hist,
      serverCpuPct: (100 * steadyCpuS) / opt.seconds,
      // All load processes together over the steady phase (up to their last delivery).
      loadCpuPct: (100 * (steady.loadCpuUs - loadCpuBeforeUs)) / 1e6 / opt.seconds,
      rssMB: steadyUsage.rssBytes / 2 ** 20,
    },
    burst: {
      kills: opt.burst,
      expected: burstExpected.reduce((x, y) => x + y, 0),
      received: burst.received,
      wallS: burstWallS,
      deliveriesPerS: burst.received / burstWallS,
      serverCpuS: burstCpuS,
      deliveriesPerCpuS: burst.received / burstCpuS,
      storeCpuS,
      deliveriesPerFanoutCpuS: burst.received / Math.max(1e-6, burstCpuS - storeCpuS),
      latencyUs: burst.hist,
    },
    serverExtra: afterSteady['extra'],
  };
}

function machine(): Record<string, unknown> {
  let commit = 'uncommitted';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch (err) {
    commit = `unknown (${(err as Error).message.split('\n')[0]})`;
  }
  return { cpu: cpus()[0]?.model, cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, commit };
}

/**
 * Every socket is a descriptor on both ends: the server holds all clients, each load process its
 * share. Children inherit this process's limit (`ulimit -n`; raise the soft limit up to the hard
 * one before running), so check before connecting rather than fail with EMFILE half way.
 */
function checkDescriptors(): void {
  const soft = Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim());
  if (!Number.isFinite(soft)) return;
  const perLoader = Math.ceil(opt.clients / opt.loaders);
  // The server also holds its listen socket, the IPC channel, stdio, SQLite and libuv descriptors.
  if (opt.clients + 64 > soft)
    throw new Error(
      `--clients ${opt.clients} needs ${opt.clients + 64} descriptors in the server; ulimit -n is ${soft} (raise it, or use fewer clients)`,
    );
  if (perLoader + 64 > soft) throw new Error(`${perLoader} clients per load process exceed ulimit -n ${soft}: use more --loaders`);
}

checkDescriptors();
await initHistograms();
const results: Record<string, unknown>[] = [];
for (const name of (a.servers ?? '').split(',')) results.push(await runServer(name));
const ms = (us: number): string => (us / 1000).toFixed(2);
if (a.json) process.stdout.write(JSON.stringify({ options: opt, machine: machine(), results }, null, 2) + '\n');
else {
  console.log(JSON.stringify({ options: opt, machine: machine() }));
  console.log(
    '| server | clients | connect p50/p99 ms | delivered/expected | p50 ms | p95 ms | p99 ms | max ms | server CPU % | clients CPU % | RSS MB | burst deliveries/s | deliveries per server CPU-s | ours / limit (deliveries/s, per CPU-s) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const limit = (results as Array<Record<string, any>>).find((r) => r['server'] === 'limit')?.['burst'];
  for (const r of results as Array<Record<string, any>>) {
    const s = r['steady'];
    const b = r['burst'];
    const ofLimit =
      limit && r['server'] !== 'limit'
        ? `${Math.round((100 * b.deliveriesPerS) / limit.deliveriesPerS)} %, ${Math.round((100 * b.deliveriesPerCpuS) / limit.deliveriesPerCpuS)} % (${Math.round((100 * b.deliveriesPerFanoutCpuS) / limit.deliveriesPerCpuS)} % without the store write)`
        : '';
    console.log(
      `| ${r['server']} | ${r['clients']} | ${ms(r['connectUs'].p50)} / ${ms(r['connectUs'].p99)} | ${s.received}/${s.expected} | ${ms(s.latencyUs.p50)} | ${ms(s.latencyUs.p95)} | ${ms(s.latencyUs.p99)} | ${ms(s.latencyUs.max)} | ${s.serverCpuPct.toFixed(1)} | ${s.loadCpuPct.toFixed(0)} | ${s.rssMB.toFixed(0)} | ${Math.round(b.deliveriesPerS)} (${b.received}/${b.expected}) | ${Math.round(b.deliveriesPerCpuS)} | ${ofLimit} |`,
    );
  }
}
process.exit(0);
