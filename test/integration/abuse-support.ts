// Shared by the abuse-*.test.ts files: a /ping prober in its own process (a stalled server event
// loop cannot hide its own stall from it), and small helpers.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

export interface ProbeResult {
  count: number;
  failures: number;
  /** Largest latency with the prober's own measured stalls taken out. */
  maxMs: number;
  /** Largest latency as measured, prober stalls included (diagnostics). */
  rawMaxMs: number;
  p50Ms: number;
}

// Polls /ping every intervalMs with a 5 s client timeout; on stdin end prints its figures.
// The prober must not be the slow part on a loaded 2-core machine: it uses node:http with one
// kept-alive connection (no fetch/undici start-up per request), and a 10 ms ticker measures its
// own event-loop stalls; a stall seen during a probe (the prober descheduled or collecting
// garbage, not waiting on the server) is subtracted from that probe. Every probe still counts:
// maxMs is the largest server-attributable latency, rawMaxMs the uncorrected one.
const PROBE = `
const http = require('node:http');
const url = process.argv[1], every = Number(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const lat = []; let rawMax = 0; let failures = 0; let stop = false;
let lastTick = performance.now(); let stall = 0;
setInterval(() => { const now = performance.now(); stall = Math.max(stall, now - lastTick - 10); lastTick = now; }, 10).unref();
process.stdin.on('end', () => { stop = true; }); process.stdin.resume();
const get = () => new Promise((resolve) => {
  const req = http.get(url, { agent, timeout: 5000 }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode === 200)); res.on('error', () => resolve(false)); });
  req.on('timeout', () => req.destroy()); req.on('error', () => resolve(false));
});
(async () => {
  // Warm-up requests (connection, JIT start-up in this process are not the server's latency).
  for (let i = 0; i < 3; i++) await get();
  process.stdout.write('ready\\n');
  while (!stop) {
    const t0 = performance.now(); stall = 0; lastTick = t0;
    if (!(await get())) failures++;
    const now = performance.now();
    const own = Math.max(stall, now - lastTick - 10, 0);
    rawMax = Math.max(rawMax, now - t0);
    lat.push(Math.max(0, now - t0 - own));
    await new Promise((r) => setTimeout(r, every));
  }
  lat.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({ count: lat.length, failures, maxMs: Math.round(lat[lat.length - 1] ?? 0), rawMaxMs: Math.round(rawMax), p50Ms: Math.round(lat[lat.length >> 1] ?? 0) }));
})();
`;

export class PingProbe {
  private readonly child: ChildProcess;
  private out = '';

  constructor(baseUrl: string, everyMs = 100) {
    this.child = spawn(process.execPath, ['-e', PROBE, `${baseUrl}/ping`, String(everyMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
  }

  /** Resolves once the prober has made its warm-up request and measures. */
  async ready(): Promise<void> {
    while (!this.out.includes('ready\n')) await sleep(20);
  }

  async stop(): Promise<ProbeResult> {
    this.child.stdin!.end();
    await once(this.child, 'exit');
    return JSON.parse(this.out.slice(this.out.indexOf('ready\n') + 6)) as ProbeResult;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function rssMb(): number {
  return Math.round(process.memoryUsage().rss / 1048576);
}

/** Send raw bytes; resolve with everything received and whether the server closed within timeoutMs. */
export function rawExchange(port: number, data: string, timeoutMs = 3000): Promise<{ text: string; closed: boolean; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const socket = net.connect(port, '127.0.0.1', () => socket.write(data));
    let text = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed, ms: Math.round(performance.now() - t0) });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
  });
}
