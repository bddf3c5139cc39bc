// /health's "database writable", for real: the writer's last result alone said "writable" on a
// read-only disk while no kill came in to fail. Every PROBE_INTERVAL_MS at most (health checks
// may be polled by anyone), write one page to `<db>.probe` beside the database and remove it:
// EROFS, EACCES, ENOSPC and EIO surface here before the next batch meets them.
import { rmSync, writeFileSync } from 'node:fs';
import { MEMORY_PATH } from './open.js';

const PROBE_INTERVAL_MS = 5000;
const PAGE = Buffer.alloc(4096);

/** Returns a check: null while the folder takes writes, else why not. */
export function createWriteProbe(dbPath: string, intervalMs = PROBE_INTERVAL_MS): () => string | null {
  if (dbPath === MEMORY_PATH) return () => null;
  const file = `${dbPath}.probe`;
  let at = -Infinity;
  let last: string | null = null;
  return () => {
    const now = performance.now();
    if (now - at < intervalMs) return last;
    at = now;
    try {
      writeFileSync(file, PAGE);
      rmSync(file, { force: true });
      last = null;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      last = `not writable: ${e.code ?? 'error'} writing beside ${dbPath}`;
    }
    return last;
  };
}
