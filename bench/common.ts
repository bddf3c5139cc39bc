// Shared by the bench scenarios: machine facts for every report, a plain table printer, and the
// simulator in its own process (so it never shares the measured process's main thread).
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { cliArgs } from './runner.js';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));

export interface MachineInfo {
  nproc: number;
  cpu: string;
  memGb: number;
  node: string;
  commit: string;
  date: string;
}

export function machineInfo(): MachineInfo {
  let commit = 'uncommitted';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    // No HEAD yet (a fresh repository): the report says so instead of failing.
  }
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    commit,
    date: new Date().toISOString(),
  };
}

export function printTable(title: string, rows: readonly Record<string, string | number>[]): void {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(width[i] ?? 0)).join('  ');
  const m = machineInfo();
  process.stdout.write(`\n${title} — ${m.nproc} cores, ${m.cpu}, Node ${m.node}, commit ${m.commit}\n`);
  process.stdout.write(`${line(cols)}\n${line(width.map((w) => '-'.repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(`${line(cols.map((c) => String(r[c] ?? '')))}\n`);
}

export interface SimProcess {
  url: string;
  child: ChildProcess;
  /** Total requests the simulator answered on its ESI routes so far. */
  esiRequests(): Promise<number>;
  stop(): Promise<void>;
}

/** `wkills sim --port 0 --rate 0` in a child process; resolves once it prints its URL. */
export function startSimProcess(extra: readonly string[] = []): Promise<SimProcess> {
  const child = spawn(process.execPath, [...cliArgs(), 'sim', '--port', '0', '--rate', '0', ...extra], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (l) => {
      const m = /listening on (http:\/\/\S+)/.exec(l);
      if (!m?.[1]) return;
      const url = m[1];
      resolve({
        url,
        child,
        async esiRequests() {
          const stats = (await (await fetch(`${url}/_sim/stats`)).json()) as { requests: Record<string, number> };
          return Object.entries(stats.requests)
            .filter(([k]) => k.startsWith('esi.'))
            .reduce((s, [, v]) => s + v, 0);
        },
        stop: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => reject(new Error(`simulator exited ${code} before listening`)));
  });
}

/**
 * Limits for a bench server whose every client comes from 127.0.0.1: the production per-IP caps
 * and event budgets (docs/OPERATIONS.md "Limits and protections") would refuse all but the first
 * few hundred sockets of one address, which is what they are for but not what a bench measures.
 */
export const LOOPBACK_LOAD_LIMITS = {
  wsMaxConnections: 1_000_000,
  wsMaxPerIp: 1_000_000,
  wsIpEventsPerSecond: 1_000_000,
  wsIpEventBurst: 10_000_000,
  sseMaxConnections: 100_000,
  sseMaxPerIp: 100_000,
  // The production reserve (512 descriptors kept for REST, /health and SQLite) would cap a
  // 20,000-descriptor process at 19,488 sockets; bench/fanout/run.ts checks clients + 64 fit.
  fdReserve: 64,
} as const;
