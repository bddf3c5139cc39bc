// The REST benchmark as a function, for bench/rest/run.ts and later `wkills bench rest`: fills a
// store file, then for the real server (src/http on uWS, serve-uws.ts) and the node:http baseline
// (bench/baselines/rest-node-http.ts), each in its own process, drives every scenario from a
// separate load process (wrk, else load-node.ts).
import { spawn, execSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fillStore, type FillResult } from './data.js';
import { hasWrk, runNodeLoad, runWrk, type LoadResult, type Scenario } from './load.js';
import { TS_EXEC_ARGV, script } from '../runner.js';

export interface RestBenchOptions {
  durationS: number;
  warmupS: number;
  connections: number;
  bulkConnections: number;
  systems: number;
  killsPerSystem: number;
  tool: 'auto' | 'wrk' | 'node';
  servers: readonly string[];
  /** Scenario names to run (all when empty). */
  scenarios: readonly string[];
  /** Rounds: every server runs every scenario once per round; rows keep the median round. */
  rounds?: number;
  log: (line: string) => void;
}

export interface RestBenchRow {
  server: string;
  scenario: string;
  connections: number;
  result: LoadResult;
}

export interface RestBenchReport {
  machine: { nproc: number; cpu: string; node: string; commit: string; tool: string };
  store: Omit<FillResult, 'systemIds'>;
  durationS: number;
  rows: RestBenchRow[];
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
// uws: ours as served (answer cache on); uws-cold: ours with the cache off (every answer built
// from the store); baseline: the plain node:http implementation; limit: bare uWS sending the same
// bytes from memory (docs/PERFORMANCE.md "Limit rows").
const SERVERS: Record<string, [string, ...string[]]> = {
  uws: [script(new URL('./serve-uws.ts', import.meta.url))],
  'uws-cold': [script(new URL('./serve-uws.ts', import.meta.url)), '0'],
  baseline: [script(new URL('../baselines/rest-node-http.ts', import.meta.url))],
  limit: [script(new URL('./serve-limit.ts', import.meta.url))],
};

function startServer(server: readonly [string, ...string[]], db: string): Promise<{ child: ChildProcess; port: number }> {
  const [entry, ...rest] = server;
  const child = spawn(process.execPath, [...TS_EXEC_ARGV, entry, db, ...rest], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (l) => resolve({ child, port: (JSON.parse(l) as { port: number }).port }));
    child.once('exit', (code) => reject(new Error(`${entry} exited ${code} before listening`)));
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export function restScenarios(systemIds: readonly number[]): Scenario[] {
  const windows = Array.from({ length: 10 }, (_, i) => systemIds.slice(i * 10, i * 10 + 100)).filter((w) => w.length === 100);
  const bulk = (limit: number): string[] => windows.map((w) => JSON.stringify({ system_ids: w, since_hours: 24, limit }));
  return [
    { name: 'system-50', method: 'GET', paths: systemIds.map((id) => `/api/v1/kills/system/${id}?limit=50`) },
    // Smaller bodies show the per-request cost apart from the bytes (~20 KB and ~100 B).
    { name: 'system-5', method: 'GET', paths: systemIds.map((id) => `/api/v1/kills/system/${id}?limit=5`) },
    { name: 'count', method: 'GET', paths: systemIds.map((id) => `/api/v1/kills/count/${id}`) },
    { name: 'bulk-100x50', method: 'POST', paths: windows.map(() => '/api/v1/kills/systems'), bodies: bulk(50) },
    { name: 'bulk-100x5', method: 'POST', paths: windows.map(() => '/api/v1/kills/systems'), bodies: bulk(5) },
  ];
}

function gitCommit(): string {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'uncommitted'; // a fresh repository has no HEAD yet
  }
}

export async function runRestBench(o: RestBenchOptions): Promise<RestBenchReport> {
  const useWrk = o.tool === 'wrk' || (o.tool === 'auto' && hasWrk());
  const dir = mkdtempSync(join(tmpdir(), 'wk-bench-rest-'));
  const db = join(dir, 'bench.db');
  try {
    const { systemIds, ...store } = fillStore({ path: db, systems: o.systems, killsPerSystem: o.killsPerSystem, seed: 7 });
    const machine = {
      nproc: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      commit: gitCommit(),
      tool: useWrk ? 'wrk' : 'node',
    };
    o.log(
      `store: ${store.kills} kills, JSON ${store.minJsonBytes}..${store.maxJsonBytes} B (mean ${store.meanJsonBytes}); load: ${machine.tool}`,
    );
    const scenarios = restScenarios(systemIds).filter((s) => o.scenarios.length === 0 || o.scenarios.includes(s.name));
    // All servers are up at once (idle ones cost nothing) and take turns per scenario, round
    // after round: on a shared machine the load drifts over minutes, and interleaving puts each
    // server's runs beside the others' instead of minutes apart.
    const started: { name: string; child: ChildProcess; port: number }[] = [];
    const runs = new Map<string, RestBenchRow[]>();
    try {
      for (const name of o.servers) {
        const entry = SERVERS[name];
        if (!entry) throw new Error(`unknown server ${name} (known: ${Object.keys(SERVERS).join(', ')})`);
        started.push({ name, ...(await startServer(entry, db)) });
      }
      for (let round = 0; round < (o.rounds ?? 1); round++) {
        for (const s of scenarios) {
          for (const { name, port } of started) {
            const connections = s.method === 'POST' ? o.bulkConnections : o.connections;
            const load = { port, connections, threads: 1, durationS: o.warmupS };
            const run = (l: typeof load): Promise<LoadResult> => (useWrk ? runWrk(s, l) : runNodeLoad(s, l, repoRoot));
            if (o.warmupS > 0) await run(load);
            const result = await run({ ...load, durationS: o.durationS });
            const key = `${name} ${s.name}`;
            runs.set(key, [...(runs.get(key) ?? []), { server: name, scenario: s.name, connections, result }]);
            o.log(`round ${round + 1} ${key}: ${result.rps} req/s p50 ${result.p50Ms} ms p95 ${result.p95Ms} ms p99 ${result.p99Ms} ms`);
          }
        }
      }
    } finally {
      for (const { child } of started) await stopServer(child);
    }
    const rows: RestBenchRow[] = [];
    for (const name of o.servers) {
      for (const s of scenarios) {
        const list = [...(runs.get(`${name} ${s.name}`) ?? [])].sort((x, y) => x.result.rps - y.result.rps);
        const median = list[Math.floor(list.length / 2)];
        if (median) rows.push(median);
      }
    }
    return { machine, store, durationS: o.durationS, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function markdownTable(rows: readonly RestBenchRow[]): string {
  const out = [
    '| scenario | server | conns | req/s | p50 ms | p95 ms | p99 ms | p99.9 ms | MB/s | errors | vs baseline | ours / limit |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const base = rows.find((b) => b.server === 'baseline' && b.scenario === r.scenario);
    const limit = rows.find((b) => b.server === 'limit' && b.scenario === r.scenario);
    const other = r.server !== 'baseline' && r.server !== 'limit';
    const ratio = base && other && base.result.rps > 0 ? `${(r.result.rps / base.result.rps).toFixed(1)}x` : '';
    const ofLimit = limit && r.server !== 'limit' && limit.result.rps > 0 ? `${Math.round((100 * r.result.rps) / limit.result.rps)} %` : '';
    const x = r.result;
    out.push(
      `| ${r.scenario} | ${r.server} | ${r.connections} | ${x.rps} | ${x.p50Ms} | ${x.p95Ms} | ${x.p99Ms} | ${x.p999Ms} | ${x.mbPerS} | ${x.errors + x.non2xx} | ${ratio} | ${ofLimit} |`,
    );
  }
  return out.join('\n');
}

/** The targets; returns what was missed (empty: all met). */
export function checkTargets(rows: readonly RestBenchRow[]): string[] {
  const get = (server: string, scenario: string): LoadResult | undefined =>
    rows.find((r) => r.server === server && r.scenario === scenario)?.result;
  const sys = get('uws', 'system-50');
  const bulk = get('uws', 'bulk-100x50');
  const base = get('baseline', 'system-50');
  const limit = get('limit', 'system-50');
  return [
    sys && !(sys.p99Ms < 5) ? `system-50 p99 ${sys.p99Ms} ms (target < 5 ms)` : '',
    sys && limit && sys.rps < 0.6 * limit.rps ? `system-50 ${Math.round((100 * sys.rps) / limit.rps)} % of the limit (target >= 60 %)` : '',
    bulk && !(bulk.p95Ms < 25) ? `bulk-100x50 p95 ${bulk.p95Ms} ms (target < 25 ms)` : '',
    sys && base && sys.rps < 2 * base.rps ? `system-50 ${(sys.rps / base.rps).toFixed(2)}x the baseline (target >= 2x)` : '',
    ...rows
      .filter((r) => r.result.errors + r.result.non2xx > 0)
      .map((r) => `${r.server} ${r.scenario}: ${r.result.errors + r.result.non2xx} errors`),
  ].filter((f) => f !== '');
}
