// Soak bench (`wkills bench soak`): memory stays bounded while a million kills flow through the
// real app with retention pruning, WebSocket clients subscribed and REST load beside.
//   server   bench/soak/serve.ts — createApp on a SQLite file, retention on (--retention-hours);
//   feed     bench/soak/feed.ts — makes the entries, kill times spread over --spread-hours (8 days
//            by default) so retention deletes all along, and streams them to the server's feed
//            socket: its generator's memory stays out of the server's RSS;
//   clients  bench/fanout/load.ts — --clients Phoenix V2 sockets, each on 1-20 of the generator's systems;
//   REST     wrk, --rest-connections closed-loop connections on /api/v1/kills/system/{id}?limit=50;
//   sampler  the server's RSS from /proc every --sample-seconds.
// Writes the samples (JSON), the curve as SVG and, with Chromium, PNG (--out, default docs/soak-rss).
//   node --import tsx bench/soak/run.ts [--kills 1000000] [--rate 0] [--clients 1000] [--json]
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SYSTEMS } from '../../src/sim/index.js';
import { rng } from '../fanout/driver.js';
import { hasWrk, runWrk, type LoadResult } from '../rest/load.js';
import { machineInfo } from '../common.js';
import { renderPng, soakSvg, type Sample } from './chart.js';
import { script, TS_EXEC_ARGV } from '../runner.js';

const { values: a } = parseArgs({
  options: {
    kills: { type: 'string', default: '1000000' },
    rate: { type: 'string', default: '0' },
    'spread-hours': { type: 'string', default: '192' },
    'retention-hours': { type: 'string', default: '24' },
    workers: { type: 'string', default: '2' },
    pool: { type: 'string', default: '2000' },
    clients: { type: 'string', default: '1000' },
    loaders: { type: 'string', default: '4' },
    'rest-connections': { type: 'string', default: '8' },
    // Config keys for the server over the product's defaults, as JSON: '{"dbCacheBytes":16777216}'.
    'server-config': { type: 'string', default: '{}' },
    'sample-seconds': { type: 'string', default: '2' },
    'limit-mb': { type: 'string', default: '500' },
    // Stop feeding after this long (0: never): a shorter run on a busy machine, recorded as such.
    'max-seconds': { type: 'string', default: '0' },
    out: { type: 'string', default: 'docs/soak-rss' },
    json: { type: 'boolean', default: false },
  },
});
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function child(entry: string, args: string[] = [], node: string[] = []): ChildProcess {
  const c = fork(script(new URL(entry, import.meta.url)), args, {
    cwd: repoRoot,
    execArgv: [...TS_EXEC_ARGV, ...node],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

function next(c: ChildProcess, type: string): Promise<Record<string, any>> {
  return new Promise((resolve) => {
    const on = (m: unknown): void => {
      if ((m as { type: string }).type !== type) return;
      c.off('message', on);
      resolve(m as Record<string, any>);
    };
    c.on('message', on);
  });
}

/** RSS, and its anonymous part (heaps, buffers) apart from file-backed pages (SQLite's mmap of the database). */
function rss(pid: number): { rssMB: number; anonMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rssMB: Math.round(kb('VmRSS') / 102.4) / 10, anonMB: Math.round(kb('RssAnon') / 102.4) / 10 };
}

const systems = SYSTEMS.map((s) => s.id);
const opts = {
  kills: Number(a.kills),
  rate: Number(a.rate),
  spreadHours: Number(a['spread-hours']),
  retentionHours: Number(a['retention-hours']),
  workers: Number(a.workers),
  pool: Number(a.pool),
};
const server = child('./serve.ts', [
  JSON.stringify({
    retentionHours: opts.retentionHours,
    workers: opts.workers,
    config: JSON.parse(a['server-config']) as Record<string, unknown>,
  }),
]);
const listening = await next(server, 'listening');
const port = listening['port'] as number;
const feed = child('./feed.ts');
feed.send({
  type: 'feed',
  path: listening['feedPath'],
  kills: opts.kills,
  rate: opts.rate,
  spreadHours: opts.spreadHours,
  pool: opts.pool,
});

// Sampled from the moment the app listens: the feed starts then, while the clients connect.
const t0 = Date.now();
const samples: Sample[] = [];
let last = { pushed: 0, storeKills: 0, pruned: 0, ws: {} as Record<string, unknown> };
server.on('message', (m) => {
  if ((m as { type: string }).type === 'progress') last = m as typeof last;
});
const sampler = setInterval(
  () => {
    samples.push({ tS: Math.round((Date.now() - t0) / 100) / 10, ...rss(server.pid!), storeKills: last.storeKills, pushed: last.pushed });
  },
  Number(a['sample-seconds']) * 1000,
);

// Clients: 1-20 systems each from the generator's systems, joined without preload.
const r = rng(13);
const clients = Array.from({ length: Number(a.clients) }, () => [
  ...new Set(Array.from({ length: 1 + Math.floor(r() * 20) }, () => systems[Math.floor(r() * systems.length)]!)),
]);
const loaders = Array.from({ length: Number(a.loaders) }, (_, i) => {
  const l = child('../fanout/load.ts');
  l.send({
    type: 'connect',
    url: `ws://127.0.0.1:${port}/socket`,
    clients: clients.filter((_, j) => j % Number(a.loaders) === i),
    phoenix: 0,
    concurrency: 50,
  });
  return l;
});
const connected = await Promise.all(loaders.map((l) => next(l, 'connected')));

let done = false;
const rest: LoadResult[] = [];
const restLoop = (async () => {
  if (!hasWrk() || Number(a['rest-connections']) === 0) return;
  const scenario = { name: 'soak-system-50', method: 'GET' as const, paths: systems.map((id) => `/api/v1/kills/system/${id}?limit=50`) };
  while (!done) rest.push(await runWrk(scenario, { port, connections: Number(a['rest-connections']), threads: 1, durationS: 10 }));
})();
const maxS = Number(a['max-seconds']);
const halt = maxS > 0 ? setTimeout(() => feed.send({ type: 'halt' }), maxS * 1000) : undefined;
const finished = await next(server, 'done');
clearTimeout(halt);
const pushedTotal = finished['pushed'] as number;
done = true;
const seconds = (Date.now() - t0) / 1000;
await restLoop;
clearInterval(sampler);
samples.push({ tS: Math.round((Date.now() - t0) / 100) / 10, ...rss(server.pid!), storeKills: last.storeKills, pushed: last.pushed });
for (const l of loaders) l.send({ type: 'close' });
server.send({ type: 'stop' });
await new Promise((res) => server.once('exit', res));

const third = Math.floor(samples.length / 3);
const maxOf = (xs: Sample[], k: 'rssMB' | 'anonMB' = 'rssMB'): number => Math.max(0, ...xs.map((s) => s[k]));
const median = (xs: Sample[], k: 'rssMB' | 'anonMB'): number => {
  const v = xs.map((s) => s[k]).sort((x, y) => x - y);
  return v.length === 0 ? 0 : (v[Math.floor((v.length - 1) / 2)] as number);
};
const thirds = [samples.slice(0, third), samples.slice(third, 2 * third), samples.slice(2 * third)] as const;
const summary = {
  machine: machineInfo(),
  options: {
    ...opts,
    clients: Number(a.clients),
    restConnections: Number(a['rest-connections']),
    serverConfig: JSON.parse(a['server-config']) as unknown,
  },
  rssBeforeKillsMB: { appStarted: listening['rssStartedMB'] },
  killsPushed: pushedTotal,
  halted: pushedTotal < opts.kills,
  seconds: Math.round(seconds),
  killsPerSecond: Math.round(pushedTotal / seconds),
  clientsConnected: connected.reduce((n, c) => n + (c['open'] as number), 0),
  rssMB: {
    max: maxOf(samples),
    final: samples.at(-1)?.rssMB,
    maxMiddleThird: maxOf(samples.slice(third, 2 * third)),
    maxLastThird: maxOf(samples.slice(2 * third)),
  },
  // The plateau: the median of each third of the run (first, middle, last).
  rssMedianMB: thirds.map((t) => median(t, 'rssMB')),
  anonMedianMB: thirds.map((t) => median(t, 'anonMB')),
  anonMB: {
    max: maxOf(samples, 'anonMB'),
    final: samples.at(-1)?.anonMB,
    maxMiddleThird: maxOf(samples.slice(third, 2 * third), 'anonMB'),
    maxLastThird: maxOf(samples.slice(2 * third), 'anonMB'),
  },
  storeKillsFinal: last.storeKills,
  prunedKills: last.pruned,
  ws: last.ws,
  rest: {
    requests: rest.reduce((n, x) => n + x.requests, 0),
    meanRps: Math.round(rest.reduce((n, x) => n + x.rps, 0) / Math.max(1, rest.length)),
    worstP99Ms: Math.max(0, ...rest.map((x) => x.p99Ms)),
    errors: rest.reduce((n, x) => n + x.errors + x.non2xx, 0),
  },
};
const title = `soak: ${pushedTotal.toLocaleString('en')} kills${opts.rate > 0 ? ` at ${opts.rate}/s` : ''}, ${summary.clientsConnected} clients, REST beside — ${summary.machine.commit}, ${summary.machine.date.slice(0, 16)}Z`;
writeFileSync(`${a.out}.svg`, soakSvg(samples, title, Number(a['limit-mb'])));
writeFileSync(`${a.out}.json`, JSON.stringify({ summary, samples }, null, 1) + '\n');
const png = renderPng(`${a.out}.svg`, `${a.out}.png`);
process.stdout.write(
  a.json
    ? JSON.stringify(summary) + '\n'
    : `${JSON.stringify(summary, null, 2)}\nchart: ${a.out}.svg${png ? ` and ${a.out}.png` : ' (no Chromium: no PNG)'}\n`,
);
process.exit(0);
