// CPU time of the service's threads by role, for /metrics: which stage uses the cores, and how
// long each role waited runnable for one. Main-thread wait is the first sign of a server short
// of CPU: its event loop counts that time as busy, yet nothing ran. Read from the kernel's
// per-thread accounting at each scrape (core/threads.ts, Linux only: elsewhere nothing is
// reported). Totals stay monotonic when a thread is replaced: its time so far is kept.
import { readThreadTimes } from '../core/threads.js';

export const THREAD_ROLES = ['main', 'pipeline', 'writer', 'checkpoint', 'other'] as const;
export type ThreadRole = (typeof THREAD_ROLES)[number];

export interface ThreadCpuTotals {
  /** CPU seconds since start, by role. */
  cpuSeconds: Record<ThreadRole, number>;
  /** Seconds runnable but waiting for a core, by role. */
  waitSeconds: Record<ThreadRole, number>;
}

/** The role of a thread from its kernel id and name (the names core/threads.ts gives). */
export function threadRole(tid: number, name: string, mainTid: number): ThreadRole {
  if (tid === mainTid) return 'main';
  if (name === 'wk-pipeline') return 'pipeline';
  if (name === 'wk-writer') return 'writer';
  if (name === 'wk-checkpoint') return 'checkpoint';
  return 'other';
}

export class ThreadCpu {
  private readonly seen = new Map<number, { runNs: number; waitNs: number }>();
  private readonly totals: ThreadCpuTotals = { cpuSeconds: zeros(), waitSeconds: zeros() };

  private readonly mainTid: number;

  /** This process's threads by default; the benches also watch a child process by its pid. */
  constructor(private readonly pid: number | 'self' = 'self') {
    this.mainTid = pid === 'self' ? process.pid : pid;
  }

  /** Totals up to now; undefined where the kernel offers no per-thread times (or the process is gone). */
  read(): ThreadCpuTotals | undefined {
    const now = readThreadTimes(this.pid);
    if (now.size === 0) return undefined;
    for (const [tid, t] of now) {
      // A smaller time than last read: the kernel gave an ended thread's id to a new one.
      const seen = this.seen.get(tid);
      const before = seen !== undefined && t.runNs >= seen.runNs ? seen : undefined;
      const role = threadRole(tid, t.name, this.mainTid);
      this.totals.cpuSeconds[role] += (t.runNs - (before?.runNs ?? 0)) / 1e9;
      this.totals.waitSeconds[role] += (t.waitNs - (before?.waitNs ?? 0)) / 1e9;
    }
    this.seen.clear();
    for (const [tid, t] of now) this.seen.set(tid, { runNs: t.runNs, waitNs: t.waitNs });
    return { cpuSeconds: { ...this.totals.cpuSeconds }, waitSeconds: { ...this.totals.waitSeconds } };
  }
}

function zeros(): Record<ThreadRole, number> {
  return { main: 0, pipeline: 0, writer: 0, checkpoint: 0, other: 0 };
}
