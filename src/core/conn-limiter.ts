// Connection caps shared by the long-lived connection kinds (WebSocket in src/fanout, SSE):
// a total cap and a per-client-IP cap, checked when a connection asks to open and released when
// it closes. The total cap is also held below the process's descriptor limit minus a reserve,
// so that at the cap REST, /health and the database still get descriptors.
import { readFileSync } from 'node:fs';

export type Admission = 'ok' | 'total' | 'per_ip';

export class ConnectionLimiter {
  private readonly perIp = new Map<string, number>();
  private open = 0;
  /** The effective total cap (configured cap, lowered to fit the descriptor limit). */
  readonly maxTotal: number;

  constructor(
    maxTotal: number,
    readonly maxPerIp: number,
    /** Descriptors kept free for everything else; 0 ignores the process limit. */
    fdReserve = 0,
    fdLimit: number = openFileLimit(),
  ) {
    this.maxTotal = fdReserve > 0 && Number.isFinite(fdLimit) ? Math.max(1, Math.min(maxTotal, fdLimit - fdReserve)) : maxTotal;
  }

  /** Whether a new connection from `ip` may open now (nothing is counted until acquire()). */
  admit(ip: string): Admission {
    if (this.open >= this.maxTotal) return 'total';
    if ((this.perIp.get(ip) ?? 0) >= this.maxPerIp) return 'per_ip';
    return 'ok';
  }

  acquire(ip: string): void {
    this.open++;
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
  }

  release(ip: string): void {
    const n = this.perIp.get(ip);
    if (n === undefined) return;
    this.open--;
    if (n <= 1) this.perIp.delete(ip);
    else this.perIp.set(ip, n - 1);
  }

  get size(): number {
    return this.open;
  }
}

/** The soft RLIMIT_NOFILE of this process (Linux /proc), Infinity when unknown. */
export function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
