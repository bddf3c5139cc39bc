// Webhook receiver process of bench/push/run.ts (webhooks): answers 200 on several loopback
// ports (one receiver "host" per port) and records, per kill in each POST, the latency from the
// driver's ingest stamp (`bench_at_us`) to its arrival here.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { epochUs } from '../../src/core/clock.js';

const STAMP = /"bench_at_us":(\d+)/g;
let kills = 0;
let posts = 0;
const latencies: number[] = [];
const ports: number[] = [];
const count = Number(process.argv[2] ?? '8');

for (let i = 0; i < count; i++) {
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = epochUs();
      posts++;
      for (const m of Buffer.concat(chunks).toString('utf8').matchAll(STAMP)) {
        kills++;
        latencies.push(now - Number(m[1]));
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  ports.push((server.address() as AddressInfo).port);
}
process.send?.({ type: 'listening', ports });
process.on('message', (raw) => {
  const m = raw as { type: string };
  if (m.type === 'reset') {
    kills = 0;
    posts = 0;
    latencies.length = 0;
    process.send?.({ type: 'reset' });
  } else if (m.type === 'report') process.send?.({ type: 'report', kills, posts, latencies });
  else if (m.type === 'stop') process.exit(0);
});
