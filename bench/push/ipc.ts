// Child processes and IPC shared by the push benches (bench/push/run.ts, webhooks.ts).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { COMPILED, TS_EXEC_ARGV } from '../runner.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export function child(entry: string, args: string[] = []): ChildProcess {
  const file = COMPILED ? entry.replace(/\.ts$/, '.js') : entry;
  const c = fork(file, args, { cwd: repoRoot, execArgv: [...TS_EXEC_ARGV], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
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
