// Fallback load generator when wrk is not installed: one process, N keep-alive raw sockets,
// closed loop, latency per request into an HDR histogram (µs). A raw socket with a
// Content-Length parser costs far less per request than http.Agent, so the generator is less
// likely to be the bottleneck. Prints one `RESULT {...}` line.
import net from 'node:net';
import { LatencyHistogram, initHistograms } from '../../src/telemetry/index.js';
import { monoUs } from '../../src/core/clock.js';
import type { Scenario } from './load.js';

interface Spec {
  port: number;
  connections: number;
  durationMs: number;
  scenario: Scenario;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
await initHistograms();
const hist = new LatencyHistogram(60_000_000);
const s = spec.scenario;
const requests = s.paths.map((p, i) => {
  const body = s.bodies?.[i];
  const head = `${s.method} ${p} HTTP/1.1\r\nHost: bench\r\n`;
  return Buffer.from(
    body === undefined
      ? head + '\r\n'
      : `${head}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
});

let sent = 0;
let done = 0;
let errors = 0;
let non2xx = 0;
let bytes = 0;
let stopping = false;
const start = monoUs();

function connection(): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(spec.port, '127.0.0.1');
    socket.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    let sentAt = 0;
    const next = (): void => {
      if (stopping) {
        socket.destroy();
        resolve();
        return;
      }
      sentAt = monoUs();
      socket.write(requests[sent++ % requests.length]!);
    };
    socket.on('connect', next);
    socket.on('data', (d: Buffer) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.toString('latin1', 0, end);
      const m = /content-length: *(\d+)/i.exec(head);
      const total = end + 4 + (m ? Number(m[1]) : 0);
      if (buf.length < total) return;
      hist.recordUs(monoUs() - sentAt);
      bytes += total;
      done++;
      if (head.charCodeAt(9) !== 50 /* '2' */) non2xx++;
      buf = buf.subarray(total);
      next();
    });
    socket.on('error', () => {
      errors++;
      resolve();
    });
  });
}

setTimeout(() => (stopping = true), spec.durationMs);
await Promise.all(Array.from({ length: spec.connections }, connection));
const durationUs = monoUs() - start;
const h = hist.summary();
process.stdout.write(
  `RESULT ${JSON.stringify({ requests: done, durationUs, bytes, errors, non2xx, p50: h.p50, p95: h.p95, p99: h.p99, p999: h.p999, max: h.max })}\n`,
);
hist.destroy();
