// Pipelined HTTP without reading (issue "pipelined HTTP eats memory"): one connection sends
// 3,000 requests for a 1,000-kill list and never reads. Before: +441 MB RSS held until timeout.
// Now a response the client does not read waits in onWritable, and uWS closes a connection that
// pipelines behind it: RSS growth stays bounded and /ping (another process) answers within 1 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startApp } from '../fixtures/ingest-harness.js';
import { canonicalKill, recordOf, HOUR_MS } from './rest-support.js';
import { PingProbe, rssMb, sleep } from './abuse-support.js';

const PATH = '/api/v1/kills/system/30000142?limit=1000&since_hours=168';

function pipeline(port: number, n: number): net.Socket {
  const s = net.connect(port, '127.0.0.1');
  s.pause(); // never read
  s.on('error', () => {});
  s.write(`GET ${PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`.repeat(n));
  return s;
}

test('3,000 pipelined kill lists on connections that never read: bounded RSS, /ping < 1 s', async (t) => {
  const app = await startApp(t, { source: 'none', db: ':memory:' }, { http: true });
  const now = Date.now();
  const records = [];
  for (let i = 0; i < 1000; i++) records.push(recordOf(canonicalKill(1_000_000 + i, 30000142, now - (i % 160) * HOUR_MS)));
  app.store.writer.writeBatch(records);
  const base = `http://127.0.0.1:${app.port()}`;
  const one = await fetch(base + PATH);
  const bodyBytes = (await one.arrayBuffer()).byteLength;
  assert.equal(one.status, 200);
  const probe = new PingProbe(base);
  await probe.ready();
  const rss0 = rssMb();
  const attackers = [pipeline(app.port(), 3000), pipeline(app.port(), 3000), pipeline(app.port(), 3000), pipeline(app.port(), 3000)];
  let peak = rss0;
  for (let i = 0; i < 30; i++) {
    await sleep(100);
    peak = Math.max(peak, rssMb());
  }
  const ping = await probe.stop();
  for (const s of attackers) s.destroy();
  const growth = peak - rss0;
  t.diagnostic(
    `response ${bodyBytes} bytes; RSS ${rss0} → peak ${peak} MB (+${growth}) for 4 connections; /ping max ${ping.maxMs} ms; backpressured ${app.counters.get('http.stream.backpressure')}, aborted ${app.counters.get('http.aborted')}`,
  );
  // Each connection may hold the socket buffers plus one response; 3,000 of them would be ~GBs.
  assert.ok(growth < 80, `RSS grew ${growth} MB`);
  assert.equal(ping.failures, 0);
  assert.ok(ping.maxMs < 1000, `/ping max ${ping.maxMs} ms`);
  // The server still serves the same route in full to a client that reads.
  const again = await fetch(base + PATH);
  assert.equal((await again.arrayBuffer()).byteLength, bodyBytes);
});
