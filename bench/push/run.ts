// `wkills bench sse|webhooks` (docs/PERFORMANCE.md "SSE and webhooks").
//   sse:      N SSE clients (raw HTTP streams from --loaders processes, each filtering 1-20
//             systems of a 1,000-system pool, as the WebSocket bench's clients) while the driver publishes --rate kills/s for --seconds into
//             the real store + bus + SSE hub; ingest → client latency p50/p99, deliveries against
//             the expected count, server CPU and RSS; the same against the limit row
//             (serve-sse-limit.ts: bare uWS writing the same frames); then the WebSocket fan-out bench
//             (bench/fanout/run.ts) with the same clients, rate and duration, in the same run.
//   webhooks: --subs subscriptions (5 systems each of 100, spread over --hosts receiver ports) on
//             the real outbox + delivery; --kills kills as fast as the store takes them; time
//             until the receiver has every expected kill: kills/s, deliveries/s, store→receiver
//             p99. Baseline in the same run: one fetch per kill per matching subscription
//             (at most 256 in flight), --baseline-kills kills.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { printTable } from '../common.js';
import { rng } from '../fanout/driver.js';
import { runWebhooks } from './webhooks.js';
import { ask, child, pct } from '../ipc.js';
import { script, TS_EXEC_ARGV } from '../runner.js';

const { values: a, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    clients: { type: 'string', default: '1000' },
    loaders: { type: 'string', default: '2' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    subs: { type: 'string', default: '1000' },
    kills: { type: 'string', default: '2000' },
    'baseline-kills': { type: 'string', default: '200' },
    hosts: { type: 'string', default: '8' },
    ws: { type: 'boolean', default: true },
  },
});
const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const POOL = Array.from({ length: 100 }, (_, i) => 30_000_001 + i);

interface SseRun {
  delivered: number;
  expected: number;
  kills: number;
  lat: number[];
  cpuUs: number;
  rssBytes: number;
}

/** One server (ours or the limit) with fresh load processes: the same clients, rate and duration. */
async function measureSse(serverScript: string, clients: number[][], pool: number[]): Promise<SseRun> {
  const server = child(here(serverScript));
  const { port } = await ask<{ port: number }>(server, undefined, 'listening');
  const loaders = Array.from({ length: Number(a.loaders) }, () => child(here('./sse-load.ts')));
  const share = Math.ceil(clients.length / loaders.length);
  await Promise.all(
    loaders.map((l, i) => ask(l, { type: 'connect', port, clients: clients.slice(i * share, (i + 1) * share) }, 'connected')),
  );
  const driven = await ask<{
    systems: number[];
    before: { cpuUserUs: number; cpuSystemUs: number };
    after: { cpuUserUs: number; cpuSystemUs: number; rssBytes: number };
  }>(server, { type: 'drive', rate: Number(a.rate), seconds: Number(a.seconds), pool, firstId: 1 }, 'driven');
  await new Promise((r) => setTimeout(r, 1500));
  const reports = await Promise.all(loaders.map((l) => ask<{ received: number; latencies: number[] }>(l, { type: 'report' }, 'report')));
  for (const c of [...loaders, server]) c.send({ type: 'stop' });
  const bySystem = new Map<number, number>();
  for (const c of clients) for (const s of c) bySystem.set(s, (bySystem.get(s) ?? 0) + 1);
  return {
    delivered: reports.reduce((sum, r) => sum + r.received, 0),
    expected: driven.systems.reduce((sum, s) => sum + (bySystem.get(s) ?? 0), 0),
    kills: driven.systems.length,
    lat: reports.flatMap((r) => r.latencies).sort((x, y) => x - y),
    cpuUs: driven.after.cpuUserUs + driven.after.cpuSystemUs - driven.before.cpuUserUs - driven.before.cpuSystemUs,
    rssBytes: driven.after.rssBytes,
  };
}

async function runSse(): Promise<void> {
  const n = Number(a.clients);
  // The WebSocket bench's clients exactly (bench/fanout/run.ts assignClients): 1-20 systems each
  // of a 1,000-system pool, same seed, so the two figures compare the same deliveries.
  const random = rng(7);
  const pool = Array.from({ length: 1000 }, (_, i) => 30_000_001 + i);
  const clients = Array.from({ length: n }, () => {
    const k = 1 + Math.floor(random() * 20);
    const s = new Set<number>();
    while (s.size < k) s.add(pool[Math.floor(random() * pool.length)]!);
    return [...s];
  });
  // Ours, then the limit (a bare uWS server writing the same frames), one after the other.
  const ours = await measureSse('./serve-sse.ts', clients, pool);
  const limit = await measureSse('./serve-sse-limit.ts', clients, pool);
  const row = (name: string, r: SseRun): Record<string, string | number> => ({
    server: name,
    clients: n,
    kills: r.kills,
    'delivered/expected': `${r.delivered}/${r.expected}`,
    'p50 ms': (pct(r.lat, 50) / 1000).toFixed(2),
    'p99 ms': (pct(r.lat, 99) / 1000).toFixed(2),
    'max ms': ((r.lat[r.lat.length - 1] ?? 0) / 1000).toFixed(2),
    'server CPU %': ((r.cpuUs / (Number(a.seconds) * 1e6)) * 100).toFixed(1),
    'deliveries per server CPU-s': Math.round(r.delivered / (r.cpuUs / 1e6)),
    'server RSS MB': (r.rssBytes / 2 ** 20).toFixed(0),
  });
  const perCpu = (r: SseRun): number => r.delivered / (r.cpuUs / 1e6);
  printTable('SSE fan-out (ingest → client)', [
    row('ours', ours),
    row('limit (bare uWS, same frames)', limit),
    { server: 'ours / limit', 'deliveries per server CPU-s': `${Math.round((perCpu(ours) / perCpu(limit)) * 100)} %` },
  ]);
  if (!a.ws) return;
  process.stdout.write('\nWebSocket fan-out, same clients, rate and duration (bench/fanout/run.ts):\n');
  await new Promise<void>((resolve) => {
    const ws = spawn(
      process.execPath,
      [
        ...TS_EXEC_ARGV,
        script(new URL('../fanout/run.ts', import.meta.url)),
        '--clients',
        String(n),
        '--rate',
        a.rate,
        '--seconds',
        a.seconds,
        '--servers',
        'uws',
        '--burst',
        '200',
        '--loaders',
        a.loaders,
      ],
      { cwd: repoRoot, stdio: 'inherit' },
    );
    ws.once('exit', () => resolve());
  });
}

const scenario = positionals[0];
if (scenario === 'sse') await runSse();
else if (scenario === 'webhooks')
  await runWebhooks({
    subs: Number(a.subs),
    kills: Number(a.kills),
    baselineKills: Number(a['baseline-kills']),
    hosts: Number(a.hosts),
    pool: POOL,
  });
else {
  process.stderr.write(
    'usage: bench/push/run.ts sse|webhooks [--clients N --rate R --seconds S | --subs N --kills K --baseline-kills K]\n',
  );
  process.exitCode = 2;
}
process.exit();
