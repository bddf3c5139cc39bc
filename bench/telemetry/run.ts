// What the metrics cost the hot paths (`wkills bench telemetry`): a real `wkills serve --source sim`
// process reads its embedded simulator's R2Z2 feed (a burst of --kills published at once; the
// feed fetches one kill per request, so the burst is paced by the feed) and fans every kill out
// to --clients WebSocket clients on the firehose, with metrics on (counters, histograms, the
// dashboard's 5-second window, prom-client's process metrics) and off (`--metrics false`),
// alternating for --rounds rounds in the same run. Reported per mode: the median burst
// throughput (published → last client got the last kill) and the server's CPU time per kill
// (from /proc, robust on a shared machine; it includes the embedded simulator serving the feed,
// the same in both modes). A scrape's cost is separate: the server's CPU per
// /metrics?format=prometheus after the burst (per second of service: that figure divided by the
// scrape interval).
//
//   node --import tsx bench/telemetry/run.ts [--kills 5000] [--clients 50] [--rounds 3] [--json]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { machineInfo, printTable } from '../common.js';
import { cliArgs } from '../runner.js';
import { Counters, initHistograms } from '../../src/telemetry/index.js';

const { values: a } = parseArgs({
  options: {
    kills: { type: 'string', default: '5000' },
    clients: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    workers: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
  },
});
const KILLS = Number(a.kills);
const CLIENTS = Number(a.clients);
const TICKS_PER_S = 100; // USER_HZ on Linux

interface Server {
  child: ChildProcess;
  base: string;
  sim: string;
  stop(): Promise<void>;
}

function startServer(metrics: boolean, dir: string): Promise<Server> {
  const args = [
    ...cliArgs(),
    'serve',
    '--source',
    'sim',
    '--sim-rate',
    '0',
    '--enrich',
    'false',
    '--db',
    join(dir, `kills-${Date.now()}.db`),
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--workers',
    a.workers,
    '--status-interval-seconds',
    '0',
    '--retention-hours',
    '0',
    '--cutoff-seconds',
    '0',
    '--metrics',
    String(metrics),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.includes('wanderer-kills started')) return;
      const { port, sim } = JSON.parse(line) as { port: number; sim: string };
      resolve({ child, base: `http://127.0.0.1:${port}`, sim, stop: () => (child.kill('SIGTERM'), exited) });
    });
    child.once('exit', (code) => reject(new Error(`wkills serve exited ${code} before starting`)));
  });
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14, 15 of the full line)
}

/** Phoenix V2 clients on the firehose; resolves once all joined. `received` counts kills per client. */
const KILL_EVENT = Buffer.from('"killmail_update"');
const JOINED = Buffer.from('"phx_reply",{"status":"ok"');
const closed = { n: 0 };

async function connectClients(base: string): Promise<{ sockets: WebSocket[]; received: Int32Array; last: { t: number } }> {
  const received = new Int32Array(CLIENTS);
  const last = { t: 0 };
  closed.n = 0;
  const url = base.replace('http', 'ws') + '/socket/websocket?vsn=2.0.0';
  const sockets = await Promise.all(
    Array.from(
      { length: CLIENTS },
      (_, i) =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(url);
          ws.on('open', () => ws.send(JSON.stringify(['1', '1', 'killmails:all', 'phx_join', {}])));
          ws.on('error', reject);
          // A firehose frame carries one kill; the clients only count them (parsing every frame in
          // this one process would make it the slow consumer the server drops).
          ws.on('message', (data: Buffer) => {
            if (data.includes(KILL_EVENT)) {
              received[i] = (received[i] ?? 0) + 1;
              last.t = performance.now();
            } else if (data.includes(JOINED)) resolve(ws);
          });
          // Phoenix heartbeats keep the sockets inside the server's idle timeout during long runs.
          const heartbeat = setInterval(() => ws.send('[null,"hb","phoenix","heartbeat",{}]'), 20_000);
          ws.on('close', () => {
            clearInterval(heartbeat);
            closed.n++;
          });
        }),
    ),
  );
  return { sockets, received, last };
}

async function feedPositioned(base: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const s = (await (await fetch(`${base}/status`)).json()) as { metrics: { feed: { seq?: number } } };
    if ((s.metrics.feed.seq ?? -1) >= 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the feed never positioned');
}

interface RunResult {
  killsPerS: number;
  cpuMsPerKill: number;
  /** Server CPU ms per /metrics?format=prometheus scrape, after the burst (metrics on). */
  scrapeMs: number;
}

/** The server's CPU time per Prometheus scrape, over 20 scrapes of the loaded service. */
async function scrapeCost(server: Server): Promise<number> {
  const pid = server.child.pid as number;
  const before = cpuTicks(pid);
  for (let i = 0; i < 20; i++) await (await fetch(`${server.base}/metrics?format=prometheus`)).text();
  return (((cpuTicks(pid) - before) / TICKS_PER_S) * 1000) / 20;
}

async function runOnce(metrics: boolean, dir: string): Promise<RunResult> {
  const server = await startServer(metrics, dir);
  try {
    await feedPositioned(server.base);
    const { sockets, received, last } = await connectClients(server.base);
    const cpu0 = cpuTicks(server.child.pid as number);
    const t0 = performance.now();
    await fetch(`${server.sim}/_sim/publish?n=${KILLS}`, { method: 'POST' });
    // The feed may skip a sequence (an R2Z2 gap): done when every client has the same count, at
    // least 98 % of the burst, and nothing arrived for 1.5 s; the burst ends at the last receipt.
    const settled = (): boolean => {
      const min = Math.min(...received);
      return min >= KILLS * 0.98 && min === Math.max(...received) && performance.now() - last.t > 1500;
    };
    while (!settled()) {
      if (closed.n > 0) throw new Error(`${closed.n} clients were disconnected (slow consumers?): lower --clients`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const cpuMs = ((cpuTicks(server.child.pid as number) - cpu0) / TICKS_PER_S) * 1000;
    const delivered = received[0] ?? 0;
    const seconds = (last.t - t0) / 1000;
    const scrapeCpuMs = metrics ? await scrapeCost(server) : NaN;
    for (const ws of sockets) ws.close();
    closed.n = -CLIENTS; // our own closes are not disconnects
    return { killsPerS: delivered / seconds, cpuMsPerKill: cpuMs / delivered, scrapeMs: scrapeCpuMs };
  } finally {
    await server.stop();
  }
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? NaN;

/** ns per call of the two hot-path operations, in this process: the floor under the measured cost. */
async function recordingCost(): Promise<{ incNs: number; recordNs: number }> {
  await initHistograms();
  const c = new Counters();
  const h = c.histogram('wkills_ingest_to_broadcast_seconds');
  const n = 2_000_000;
  let t = performance.now();
  for (let i = 0; i < n; i++) c.inc('ws.kills_broadcast');
  const incNs = ((performance.now() - t) * 1e6) / n;
  t = performance.now();
  for (let i = 0; i < n; i++) h.recordUs(100 + (i & 1023));
  const recordNs = ((performance.now() - t) * 1e6) / n;
  c.destroy();
  return { incNs, recordNs };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wk-bench-telemetry-'));
  const runs: Record<'on' | 'off', RunResult[]> = { on: [], off: [] };
  try {
    for (let r = 0; r < Number(a.rounds); r++) {
      // Alternate which mode goes first so a drifting machine does not favour one.
      for (const mode of r % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const))
        runs[mode].push(await runOnce(mode === 'on', dir));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const row = (mode: 'on' | 'off'): Record<string, string | number> => ({
    metrics: mode,
    'kills/s (median)': Math.round(median(runs[mode].map((x) => x.killsPerS))),
    'deliveries/s': Math.round(median(runs[mode].map((x) => x.killsPerS)) * CLIENTS),
    'server CPU ms/kill (median)': median(runs[mode].map((x) => x.cpuMsPerKill)).toFixed(4),
    'server CPU ms/scrape': mode === 'on' ? median(runs.on.map((x) => x.scrapeMs)).toFixed(1) : '',
    'runs (kills/s)': runs[mode].map((x) => Math.round(x.killsPerS)).join(' '),
  });
  const rows = [row('on'), row('off')];
  const throughputCost = 1 - median(runs.on.map((x) => x.killsPerS)) / median(runs.off.map((x) => x.killsPerS));
  const cpuCost = median(runs.on.map((x) => x.cpuMsPerKill)) / median(runs.off.map((x) => x.cpuMsPerKill)) - 1;
  const micro = await recordingCost();
  if (a.json)
    process.stdout.write(
      JSON.stringify({ machine: machineInfo(), kills: KILLS, clients: CLIENTS, runs, throughputCost, cpuCost, micro }, null, 2) + '\n',
    );
  else {
    printTable(`Metrics on vs off: ${KILLS} kills fanned out to ${CLIENTS} firehose clients, ${a.rounds} rounds`, rows);
    process.stdout.write(
      `throughput cost of metrics: ${(throughputCost * 100).toFixed(1)} %; CPU per kill: ${(cpuCost * 100).toFixed(1)} % (limit 3 %)\n`,
    );
    process.stdout.write(
      `recording in this process: counters.inc ${micro.incNs.toFixed(1)} ns, histogram recordUs ${micro.recordNs.toFixed(1)} ns per call\n`,
    );
  }
}

await main();
