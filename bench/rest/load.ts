// Load generation from a separate process: wrk when installed (C, epoll, its own latency
// histogram), else load-node.ts (raw keep-alive sockets, HDR histogram). Both are closed-loop:
// each connection sends its next request when the previous response is complete.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TS_EXEC_ARGV, script } from '../runner.js';

export interface Scenario {
  name: string;
  method: 'GET' | 'POST';
  /** Paths (rotated per request) and an optional JSON body per path. */
  paths: readonly string[];
  bodies?: readonly string[];
}

export interface LoadResult {
  tool: 'wrk' | 'node';
  requests: number;
  durationS: number;
  rps: number;
  errors: number;
  non2xx: number;
  mbPerS: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export interface LoadOptions {
  port: number;
  connections: number;
  durationS: number;
  threads: number;
}

export function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

function luaList(items: readonly string[]): string {
  return '{' + items.map((s) => JSON.stringify(s)).join(',') + '}';
}

function wrkScript(s: Scenario): string {
  return `
local paths = ${luaList(s.paths)}
local bodies = ${luaList(s.bodies ?? [])}
local i = 0
request = function()
  i = i + 1
  local k = (i % #paths) + 1
  if #bodies > 0 then
    return wrk.format("${s.method}", paths[k], {["Content-Type"] = "application/json"}, bodies[k])
  end
  return wrk.format("${s.method}", paths[k])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests":%d,"durationUs":%d,"bytes":%d,"errors":%d,"non2xx":%d,"p50":%d,"p95":%d,"p99":%d,"p999":%d,"max":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency:percentile(99.9), latency.max))
end
`;
}

function collect(cmd: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${out}`))));
  });
}

const US_PER_MS = 1000;

function toResult(
  tool: 'wrk' | 'node',
  r: {
    requests: number;
    durationUs: number;
    bytes: number;
    errors: number;
    non2xx: number;
    p50: number;
    p95: number;
    p99: number;
    p999: number;
    max: number;
  },
): LoadResult {
  const durationS = r.durationUs / 1e6;
  return {
    tool,
    requests: r.requests,
    durationS,
    rps: Math.round(r.requests / durationS),
    errors: r.errors,
    non2xx: r.non2xx,
    mbPerS: Math.round(r.bytes / durationS / 1e5) / 10,
    p50Ms: r.p50 / US_PER_MS,
    p95Ms: r.p95 / US_PER_MS,
    p99Ms: r.p99 / US_PER_MS,
    p999Ms: r.p999 / US_PER_MS,
    maxMs: r.max / US_PER_MS,
  };
}

export async function runWrk(s: Scenario, o: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'wk-wrk-'));
  try {
    const script = join(dir, 'scenario.lua');
    writeFileSync(script, wrkScript(s));
    const out = await collect('wrk', [
      '-t',
      String(o.threads),
      '-c',
      String(o.connections),
      '-d',
      `${o.durationS}s`,
      '--timeout',
      '10s',
      '-s',
      script,
      `http://127.0.0.1:${o.port}`,
    ]);
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`wrk printed no RESULT line:\n${out}`);
    return toResult('wrk', JSON.parse(line.slice('RESULT '.length)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runNodeLoad(s: Scenario, o: LoadOptions, repoRoot: string): Promise<LoadResult> {
  const entry = script(new URL('./load-node.ts', import.meta.url));
  const spec = JSON.stringify({ port: o.port, connections: o.connections, durationMs: o.durationS * 1000, scenario: s });
  const out = await collect(process.execPath, [...TS_EXEC_ARGV, entry, spec], repoRoot);
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`load-node printed no RESULT line:\n${out}`);
  return toResult('node', JSON.parse(line.slice('RESULT '.length)));
}
