// Shared by the abuse-*.test.ts files: a /ping prober in its own process (a stalled server event
// loop cannot hide its own stall from it), and small helpers.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

export interface ProbeResult {
  count: number;
  failures: number;
  maxMs: number;
  p50Ms: number;
}

// Polls /ping every intervalMs with a 5 s client timeout; on stdin end prints its figures.
const PROBE = `
const url = process.argv[1], every = Number(process.argv[2]);
const lat = []; let failures = 0; let stop = false;
process.stdin.on('end', () => { stop = true; }); process.stdin.resume();
(async () => {
  // One warm-up request (undici and JIT start-up in this process are not the server's latency).
  try { await (await fetch(url)).text(); } catch {}
  process.stdout.write('ready\\n');
  while (!stop) {
    const t0 = performance.now();
    try { const r = await fetch(url, { signal: AbortSignal.timeout(5000) }); await r.text(); if (r.status !== 200) failures++; }
    catch { failures++; }
    lat.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, every));
  }
  lat.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({ count: lat.length, failures, maxMs: Math.round(lat[lat.length - 1] ?? 0), p50Ms: Math.round(lat[lat.length >> 1] ?? 0) }));
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
