// Child processes and IPC shared by the benches that run several processes (push, cluster): every
// child is killed when the runner exits, even on a failed run.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { COMPILED, TS_EXEC_ARGV } from './runner.js';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Kill `c` when the runner exits (spawned servers such as nats-server or a `wkills serve`). */
export function track<C extends ChildProcess>(c: C): C {
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

/** A bench script forked with IPC: through tsx from the sources, plain node when compiled. */
export function child(entry: string, args: string[] = []): ChildProcess {
  const file = COMPILED ? entry.replace(/\.ts$/, '.js') : entry;
  return track(fork(file, args, { cwd: repoRoot, execArgv: [...TS_EXEC_ARGV], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
}

export function ask<T>(c: ChildProcess, msg: Record<string, unknown> | undefined, type: string, timeoutMs = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${type} within ${timeoutMs} ms`)), timeoutMs);
    const on = (m: unknown): void => {
      if ((m as { type: string }).type !== type) return;
      clearTimeout(t);
      c.off('message', on);
      resolve(m as T);
    };
    c.on('message', on);
    if (msg) c.send(msg);
  });
}

export function pct(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
}
