// Bulk answers above BULK_STREAM_ABOVE_KILLS are streamed one system per chunk with
// back-pressure: same JSON as the built path, a slow reader gets everything, and a reader that
// leaves mid-stream stops the writes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { canonicalKill, getJson, startRest, type RestFixture } from './rest-support.js';

const BIG = [30_002_187, 30_002_188, 30_002_189];
const now = Date.now();
// 3 x 1,000 kills of ~2.5 KB: ~7.5 MB, more than the loopback socket buffers hold.
const kills = BIG.flatMap((sys, s) =>
  Array.from({ length: 1000 }, (_, i) => canonicalKill(300_000 + s * 1000 + i, sys, now - 1000 - i * 1000, 8)),
);
const IDS = [...BIG, 30_000_001, 30_000_002, 30_000_003]; // 6 x limit 1000 > 5,000: streamed
const BODY = JSON.stringify({ system_ids: IDS, since_hours: 168, limit: 1000 });
const REQUEST = `POST /api/v1/kills/systems HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`;

let fx: RestFixture;
before(async () => {
  fx = await startRest({ kills });
});
after(async () => fx.close());

function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    const size = parseInt(raw.toString('latin1', at, eol), 16);
    if (size === 0) return Buffer.concat(parts);
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const until = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('streamed bulk answers', () => {
  test('same kills as the per-system route, chunked', async () => {
    const res = await fetch(`${fx.base}/api/v1/kills/systems`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODY,
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('transfer-encoding'), 'chunked');
    assert.ok(res.headers.get('x-request-id'));
    const text = await res.text();
    const body = JSON.parse(text);
    // JSON.parse orders integer-like keys numerically; on the wire they follow the request.
    const wireOrder = IDS.map((id) => text.indexOf(`"${id}":[`));
    assert.deepEqual(
      wireOrder,
      [...wireOrder].sort((a, b) => a - b),
    );
    assert.ok(wireOrder.every((i) => i > 0));
    assert.deepEqual(Object.keys(body.data.systems_kills).sort(), IDS.map(String).sort());
    for (const sys of BIG) {
      const one = await getJson(`${fx.base}/api/v1/kills/system/${sys}?limit=1000&since_hours=168`);
      assert.equal(body.data.systems_kills[String(sys)].length, 1000);
      assert.deepEqual(body.data.systems_kills[String(sys)], one.body.data.kills);
    }
    assert.deepEqual(body.data.systems_kills['30000001'], []);
    assert.ok(!Number.isNaN(Date.parse(body.timestamp)));
  });

  test('a slow reader gets the whole body after back-pressure', async () => {
    const before = fx.counters.get('http.stream.backpressure');
    const socket = net.connect(fx.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.pause();
    socket.write(REQUEST);
    await waitFor(() => fx.counters.get('http.stream.backpressure') > before, 'the server to hit back-pressure');
    const done = new Promise<void>((resolve) =>
      socket.on('data', () => {
        if (Buffer.concat(chunks).subarray(-5).toString() === '0\r\n\r\n') resolve();
      }),
    );
    socket.resume();
    await done;
    socket.destroy();
    const raw = Buffer.concat(chunks);
    const head = raw.indexOf('\r\n\r\n');
    const body = JSON.parse(dechunk(raw.subarray(head + 4)).toString());
    assert.equal(body.data.systems_kills[String(BIG[2])].length, 1000);
  });

  test('a reader that leaves mid-stream stops the writes and the server keeps serving', async () => {
    const abortedBefore = fx.counters.get('http.aborted');
    const pressureBefore = fx.counters.get('http.stream.backpressure');
    const socket = net.connect(fx.port, '127.0.0.1');
    socket.on('error', () => socket.destroy());
    socket.pause();
    socket.write(REQUEST);
    await waitFor(() => fx.counters.get('http.stream.backpressure') > pressureBefore, 'back-pressure');
    socket.destroy();
    await waitFor(() => fx.counters.get('http.aborted') > abortedBefore, 'the abort');
    const res = await getJson(`${fx.base}/api/v1/kills/count/${BIG[0]}?since_hours=168`);
    assert.equal(res.body.data.count, 1000);
  });
});
