// A marker file beside a served database (`<db>.serving`, holding the server's pid), so that
// `wkills db vacuum` can refuse to run against a live server: VACUUM holds the write lock for as
// long as it rewrites the file, and the server's writes would wait (then retry) all that time.
// A marker left by a crash (kill -9) names a dead pid and is ignored.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { MEMORY_PATH } from './open.js';

export function markerPath(dbPath: string): string {
  return `${dbPath}.serving`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of a live process serving this database, or undefined. */
export function servingPid(dbPath: string): number | undefined {
  if (dbPath === MEMORY_PATH) return undefined;
  let text: string;
  try {
    text = readFileSync(markerPath(dbPath), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text, 10);
  return Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
}

/** Write the marker; returns its removal. Failing to write it only loses the vacuum guard. */
export function claimServe(dbPath: string): () => void {
  if (dbPath === MEMORY_PATH) return () => {};
  const file = markerPath(dbPath);
  try {
    writeFileSync(file, `${process.pid}\n`);
  } catch {
    return () => {};
  }
  return () => rmSync(file, { force: true });
}
