// Per-thread settings on Linux, where a thread is a task of its own under /proc/thread-self.
// Best effort: on other systems, or where /proc is not mounted, every call does nothing.
//
// Why a lower priority for the pipeline workers: under full ingest the main thread (which stores,
// serves and broadcasts) and the workers all want a core, and on two cores the kernel shares
// them fairly. The main thread then waits on the run queue ~35 % of the time it has work, yet it
// is the serial stage; the workers have rings to absorb a delay. A nice of 5 gives main three
// times a worker's share when both are runnable and changes nothing when a core is free
// (docs/PERFORMANCE.md, "Who waits for a core"). Not more: nice ranks the workers against every
// process on the machine, and at 12 they starved beside other busy processes.
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The kernel's id of the calling thread (its /proc/PID/task entry), or undefined off Linux. */
export function kernelThreadId(): number | undefined {
  try {
    const id = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isSafeInteger(id) && id > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Names the calling thread as `top -H` and `ps -L` show it (the kernel keeps 15 bytes). */
export function nameThisThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // Not Linux: the name is cosmetic.
  }
}

/**
 * Raises the calling thread's nice value by `by` (a lower CPU share), relative to what it
 * inherited, so a process started under `nice` keeps its own offset. Linux applies setpriority
 * to the one thread whose id it is given; raising needs no privilege. False when nothing was set.
 */
export function niceThisThread(by: number): boolean {
  const tid = kernelThreadId();
  if (tid === undefined || by <= 0) return false;
  try {
    setPriority(tid, Math.min(19, getPriority(tid) + by));
    return true;
  } catch {
    return false;
  }
}

export interface ThreadTimes {
  /** Thread name (comm). */
  name: string;
  /** Nanoseconds on a CPU, and waiting runnable on a run queue (from /proc/.../schedstat). */
  runNs: number;
  waitNs: number;
  nice: number;
}

/** Every thread of a process by kernel id (default: this one); empty off Linux. */
export function readThreadTimes(pid: number | 'self' = 'self'): Map<number, ThreadTimes> {
  const out = new Map<number, ThreadTimes>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const base = `/proc/${pid}/task/${tid}`;
      const [run, wait] = readFileSync(`${base}/schedstat`, 'latin1').split(' ');
      const stat = readFileSync(`${base}/stat`, 'latin1');
      // Fields after the parenthesised name: state is the 3rd, nice the 19th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), {
        name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        runNs: Number(run),
        waitNs: Number(wait),
        nice: Number(fields[16]),
      });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}
