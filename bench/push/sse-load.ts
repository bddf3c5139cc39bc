// Load process of bench/push/run.ts (sse): opens SSE streams (raw HTTP, one socket each) with
// the system filters it is given, and records for every `killmail` frame the latency from the
// driver's ingest stamp (`bench_at_us`, see bench/fanout/driver.ts) to its arrival here.
import http from 'node:http';
import { epochUs } from '../../src/core/clock.js';

const STAMP = /"bench_at_us":(\d+)/;
const latencies: number[] = [];
let received = 0;
let open = 0;
const requests: http.ClientRequest[] = [];

function connect(port: number, systems: number[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/api/v1/kills/stream?system_ids=${systems.join(',')}`, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE status ${res.statusCode}`));
      open++;
      let tail = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const text = tail + chunk;
        const frames = text.split('\n\n');
        tail = frames.pop() ?? '';
        const now = epochUs();
        for (const f of frames) {
          const m = STAMP.exec(f);
          if (!m) continue;
          received++;
          latencies.push(now - Number(m[1]));
        }
      });
      res.on('error', () => undefined);
      resolve();
    });
    req.on('error', reject);
    requests.push(req);
  });
}

process.on('message', (raw) => {
  const m = raw as { type: string; port?: number; clients?: number[][] };
  if (m.type === 'connect') {
    const t0 = performance.now();
    void (async () => {
      const clients = m.clients ?? [];
      for (let i = 0; i < clients.length; i += 50) await Promise.all(clients.slice(i, i + 50).map((s) => connect(m.port ?? 0, s)));
      process.send?.({ type: 'connected', open, ms: performance.now() - t0 });
    })();
  } else if (m.type === 'reset') {
    latencies.length = 0;
    received = 0;
    process.send?.({ type: 'reset' });
  } else if (m.type === 'report') {
    process.send?.({ type: 'report', received, latencies, cpu: process.cpuUsage() });
  } else if (m.type === 'stop') {
    for (const r of requests) r.destroy();
    process.exit(0);
  }
});
