// Shared by the abuse-*.test.ts files: a /ping prober in its own process (a stalled server event
// loop cannot hide its own stall from it), and small helpers.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

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

  async stop(): Promise<ProbeResult> {
    this.child.stdin!.end();
    await once(this.child, 'exit');
    return JSON.parse(this.out) as ProbeResult;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function rssMb(): number {
  return Math.round(process.memoryUsage().rss / 1048576);
}
