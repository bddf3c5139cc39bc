// CPU time by thread role over a measured phase, from the kernel's per-thread accounting
// (src/core/threads.ts): the main thread, the pipeline workers (named wk-pipeline), the WAL
// checkpointer (wk-checkpoint), and every other thread together: V8's platform threads (parallel
// and concurrent GC, compilation) and libuv's pool. Also the main thread's time runnable but
// waiting for a core, which its event-loop utilisation counts as busy. Linux only: elsewhere the
// split is undefined and the benches print none.
import { readThreadTimes, type ThreadTimes } from '../src/core/threads.js';

export type ThreadSnapshot = Map<number, ThreadTimes>;

export interface CpuSplit {
  /** CPU seconds per role over the phase. */
  mainS: number;
  pipelineS: number;
  checkpointS: number;
  otherS: number;
  totalS: number;
  /** Seconds the main thread was runnable but not on a core. */
  mainWaitS: number;
}

export function threadSnapshot(pid: number | 'self' = 'self'): ThreadSnapshot {
  return readThreadTimes(pid);
}

/** Differences between two snapshots of one process; threads born in between count from zero. */
export function cpuSplit(before: ThreadSnapshot, after: ThreadSnapshot, mainTid: number = process.pid): CpuSplit | undefined {
  if (after.size === 0) return undefined;
  const s: CpuSplit = { mainS: 0, pipelineS: 0, checkpointS: 0, otherS: 0, totalS: 0, mainWaitS: 0 };
  for (const [tid, t] of after) {
    const b = before.get(tid);
    const run = (t.runNs - (b?.runNs ?? 0)) / 1e9;
    s.totalS += run;
    if (tid === mainTid) {
      s.mainS += run;
      s.mainWaitS += (t.waitNs - (b?.waitNs ?? 0)) / 1e9;
    } else if (t.name === 'wk-pipeline') s.pipelineS += run;
    else if (t.name === 'wk-checkpoint') s.checkpointS += run;
    else s.otherS += run;
  }
  return s;
}

/** µs per unit (kill) for each role, one decimal. */
export function perUnitUs(s: CpuSplit, units: number): Record<keyof CpuSplit, number> {
  const us = (x: number): number => Math.round((x * 1e7) / units) / 10;
  return {
    mainS: us(s.mainS),
    pipelineS: us(s.pipelineS),
    checkpointS: us(s.checkpointS),
    otherS: us(s.otherS),
    totalS: us(s.totalS),
    mainWaitS: us(s.mainWaitS),
  };
}

/**
 * One line: CPU per kill by role, and the rate those CPU costs allow on `cores` fully used
 * (the ceiling any scheduling of the same work can reach on this machine).
 */
export function describeSplit(s: CpuSplit, kills: number, cores: number): string {
  const u = perUnitUs(s, kills);
  const ceiling = u.totalS > 0 ? Math.round((cores * 1e6) / u.totalS) : 0;
  return (
    `CPU per kill (µs): main ${u.mainS} (+ ${u.mainWaitS} runnable, waiting for a core), pipeline workers ${u.pipelineS}, ` +
    `checkpointer ${u.checkpointS}, other threads ${u.otherS}; total ${u.totalS}: ${cores} cores fully used would allow ${ceiling.toLocaleString('en-US')} kills/s`
  );
}
