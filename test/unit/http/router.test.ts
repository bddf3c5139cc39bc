// The router's safety nets on a real uWS server (port 0): a handler that returns without
// responding gets a 500 (GET and POST alike), and a streamed response whose producer throws
// mid-body is logged as a handler failure, recorded as 500 and not counted as a client abort.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Writable } from 'node:stream';
import uWS from 'uWebSockets.js';
import { pino } from 'pino';
import { Counters } from '../../../src/telemetry/index.js';
import { createRouter } from '../../../src/http/router.js';
import { HttpMetrics } from '../../../src/http/metrics.js';
import { parseCors } from '../../../src/http/cors.js';
import { streamChunks } from '../../../src/http/stream.js';
import { respondJson, TEXT_TYPE } from '../../../src/http/respond.js';
import type { RouteSpec } from '../../../src/http/route-spec.js';

interface Logged {
  level: number;
  msg: string;
  route?: string;
  err?: { message: string };
}

const logged: Logged[] = [];
const counters = new Counters();
const metrics = new HttpMetrics(counters);
const app = uWS.App();
let listenSocket: uWS.us_listen_socket;
let base = '';
let port = 0;

const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logged.push(JSON.parse(line) as Logged);
    done();
  },
});

const body = { description: 'test body', fields: [{ name: 'n', description: 'n', value: { type: 'integer' as const, min: 0, max: 10 } }] };
const routes: RouteSpec[] = [
  { method: 'GET', path: '/silent', summary: 's', tags: [], operationId: 'silentGet', responses: {}, handler: () => undefined },
  { method: 'POST', path: '/silent', summary: 's', tags: [], operationId: 'silentPost', responses: {}, body, handler: () => undefined },
  {
    method: 'POST',
    path: '/answers',
    summary: 's',
    tags: [],
    operationId: 'answers',
    responses: {},
    body,
    handler: (ctx) => {
      respondJson(ctx, 200, '{"ok":true}');
    },
  },
  {
    method: 'POST',
    path: '/streams',
    summary: 's',
    tags: [],
    operationId: 'streams',
    responses: {},
    body,
    // Synchronous on purpose: the stream keeps the response open after the handler returns.
    handler: (ctx) => {
      let i = 0;
      void streamChunks(ctx, TEXT_TYPE, () => (i++ < 3 ? Buffer.from(`part${i};`) : undefined));
    },
  },
  {
    method: 'GET',
    path: '/breaks',
    summary: 's',
    tags: [],
    operationId: 'breaks',
    responses: {},
    handler: (ctx) => {
      let i = 0;
      return streamChunks(ctx, TEXT_TYPE, () => {
        if (++i === 3) throw new Error('store failed mid-stream');
        return Buffer.from(`part${i};`);
      });
    },
  },
];

before(async () => {
  await metrics.start();
  const router = createRouter({ app, logger: pino({ level: 'error' }, sink), metrics, cors: parseCors('*') });
  for (const r of routes) router.route(r);
  listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (ls) => (ls ? resolve(ls) : reject(new Error('listen failed'))));
  });
  port = uWS.us_socket_local_port(listenSocket);
  base = `http://127.0.0.1:${port}`;
});

after(() => {
  uWS.us_listen_socket_close(listenSocket);
  (app as unknown as { close(): void }).close();
  metrics.destroy();
});

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const until = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

const post = (path: string): Promise<Response> =>
  fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"n":1}',
    signal: AbortSignal.timeout(5000),
  });

describe('handler returned without responding', () => {
  test('GET answers 500 and logs the handler failure', async () => {
    const res = await fetch(`${base}/silent`, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 500);
    assert.equal(((await res.json()) as { code: string }).code, 'internal_server_error');
    assert.ok(logged.some((l) => l.route === 'GET /silent' && l.err?.message === 'handler returned without responding'));
  });

  test('POST with a body answers 500 too instead of hanging', async () => {
    const res = await post('/silent');
    assert.equal(res.status, 500);
    const envelope = (await res.json()) as { code: string; details: { request_id: string } };
    assert.equal(envelope.code, 'internal_server_error');
    assert.equal(envelope.details.request_id, res.headers.get('x-request-id'));
    assert.ok(logged.some((l) => l.route === 'POST /silent' && l.err?.message === 'handler returned without responding'));
  });

  test('POST handlers that answer or stream are left alone', async () => {
    const answered = await post('/answers');
    assert.equal(answered.status, 200);
    assert.deepEqual(await answered.json(), { ok: true });
    const streamed = await post('/streams');
    assert.equal(streamed.status, 200);
    assert.equal(await streamed.text(), 'part1;part2;part3;');
    assert.ok(!logged.some((l) => l.route === 'POST /answers' || l.route === 'POST /streams'));
  });
});

describe('streamed response whose producer throws', () => {
  test('is logged, recorded as 500, not counted as an abort; the connection is closed', async () => {
    const abortedBefore = counters.get('http.aborted');
    const status500 = (): number =>
      counters
        .seriesOfFamily('wkills_http_requests_total')
        .filter((x) => x.labels[1] === '500')
        .reduce((n, x) => n + x.item.value, 0);
    const status500Before = status500();
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('GET /breaks HTTP/1.1\r\nHost: t\r\n\r\n');
    await closed;
    // The chunks corked with the failing one may be dropped by the close; what matters is that
    // no complete response arrives (no terminating chunk).
    assert.ok(!received.endsWith('0\r\n\r\n'), `the client sees a cut response: ${JSON.stringify(received)}`);
    await waitFor(() => logged.some((l) => l.route === 'GET /breaks'), 'the handler failure to be logged');
    const entry = logged.find((l) => l.route === 'GET /breaks');
    assert.equal(entry?.msg, 'http handler failed');
    assert.equal(entry?.err?.message, 'store failed mid-stream');
    assert.equal(counters.get('http.aborted'), abortedBefore);
    assert.equal(status500(), status500Before + 1);
  });
});
