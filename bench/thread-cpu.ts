// CPU time by thread role over a measured phase, from the kernel's per-thread accounting
// (src/core/threads.ts): the main thread, the pipeline workers (named wk-pipeline), the store's
// writer thread (wk-writer), the WAL checkpointer (wk-checkpoint), and every other thread together: V8's platform threads (parallel
// and concurrent GC, compilation) and libuv's pool. Also the main thread's time runnable but
// waiting for a core, which its event-loop utilisation counts as busy. Linux only: elsewhere the
// split is undefined and the benches print none.
import { THREAD_ROLES, type ThreadCpuTotals, type ThreadRole } from '../src/telemetry/index.js';

export interface CpuSplit {
  /** CPU seconds per role over the phase (telemetry/thread-cpu.ts names the roles). */
  cpuS: Record<ThreadRole, number>;
  totalS: number;
  /** Seconds the main thread was runnable but not on a core. */
  mainWaitS: number;
}

/**
 * What a process's threads used between two reads of one ThreadCpu (src/telemetry/thread-cpu.ts,
 * the accounting /metrics exports); from the threads' start when `before` is undefined.
 */
export function cpuSplit(before: ThreadCpuTotals | undefined, after: ThreadCpuTotals | undefined): CpuSplit | undefined {
  if (after === undefined) return undefined;
  const cpuS = { main: 0, pipeline: 0, writer: 0, checkpoint: 0, other: 0 };
  let totalS = 0;
  for (const r of THREAD_ROLES) {
    cpuS[r] = after.cpuSeconds[r] - (before?.cpuSeconds[r] ?? 0);
    totalS += cpuS[r];
  }
  return { cpuS, totalS, mainWaitS: after.waitSeconds.main - (before?.waitSeconds.main ?? 0) };
}

/** `a` minus `b`, role by role: a run's split without what a tiny run of the same command cost (its start). */
export function subtractSplit(a: CpuSplit, b: CpuSplit): CpuSplit {
  const cpuS = { ...a.cpuS };
  for (const r of THREAD_ROLES) cpuS[r] = Math.max(0, cpuS[r] - b.cpuS[r]);
  return { cpuS, totalS: Math.max(0, a.totalS - b.totalS), mainWaitS: Math.max(0, a.mainWaitS - b.mainWaitS) };
}

/** µs per unit (kill), one decimal. */
function perUnit(seconds: number, units: number): number {
  return Math.round((seconds * 1e7) / units) / 10;
}

/** The split per kill in µs, for a bench's JSON report. */
export function splitPerKillUs(s: CpuSplit, kills: number): Record<ThreadRole | 'total' | 'main_waiting', number> {
  const out = { total: perUnit(s.totalS, kills), main_waiting: perUnit(s.mainWaitS, kills) } as Record<
    ThreadRole | 'total' | 'main_waiting',
    number
  >;
  for (const r of THREAD_ROLES) out[r] = perUnit(s.cpuS[r], kills);
  return out;
}

/**
 * One line: CPU per kill by role, and the rate those CPU costs allow on `cores` fully used
 * (the ceiling any scheduling of the same work can reach on this machine).
 */
export function describeSplit(s: CpuSplit, kills: number, cores: number): string {
  const u = splitPerKillUs(s, kills);
  const ceiling = u.total > 0 ? Math.round((cores * 1e6) / u.total) : 0;
  return (
    `CPU per kill (µs): main ${u.main} (+ ${u.main_waiting} runnable, waiting for a core), pipeline workers ${u.pipeline}, ` +
    `writer thread ${u.writer}, checkpointer ${u.checkpoint}, other threads ${u.other}; total ${u.total}: ${cores} cores fully used would allow ${ceiling.toLocaleString('en-US')} kills/s`
  );
}
