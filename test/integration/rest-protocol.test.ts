// HTTP-level behaviour shared by every route: x-request-id, CORS, HEAD, OPTIONS, 404/405 in the
// error envelope, 413 (announced and streamed), disconnects mid-response.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { canonicalKill, getJson, rawRequest, startRest, type RestFixture } from './rest-support.js';

const BIG_SYS = 30_002_187;
const now = Date.now();
// 1,000 kills of ~2.5 KB: a ~2.5 MB response, larger than the loopback socket buffers.
const bigKills = Array.from({ length: 1000 }, (_, i) => canonicalKill(200_000 + i, BIG_SYS, now - 1000 - i * 1000, 8));

/** Raw bytes from one connection until `marker` arrives (deadline-bounded). */
function readUntil(port: number, request: string, marker: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no ${marker} within 5 s: ${JSON.stringify(text)}`));
    }, 5000);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (!text.endsWith(marker)) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(text);
    });
    socket.on('error', reject);
    socket.write(request);
  });
}

let fx: RestFixture;
before(async () => {
  fx = await startRest({ kills: bigKills });
});
after(async () => fx.close());

describe('x-request-id', () => {
  test('generated on success, validation error, 404 and preflight; unique', async () => {
    const urls = ['/ping', '/api/v1/kills/system/abc', '/api/v1/nope', `/api/v1/kills/count/${BIG_SYS}`];
    const ids = new Set<string>();
    for (const u of urls) {
      const res = await fetch(fx.base + u);
      await res.arrayBuffer();
      const id = res.headers.get('x-request-id');
      assert.ok(id && /^[A-Za-z0-9\-_.]+$/.test(id), `${u}: ${id}`);
      ids.add(id);
    }
    const pre = await fetch(`${fx.base}/api/v1/kills/systems`, { method: 'OPTIONS' });
    assert.ok(pre.headers.get('x-request-id'));
    ids.add(pre.headers.get('x-request-id')!);
    assert.equal(ids.size, urls.length + 1);
  });

  test('a sane incoming id is echoed; an unsafe or overlong one is replaced', async () => {
    const echo = await fetch(`${fx.base}/ping`, { headers: { 'x-request-id': 'abc-123_x.y' } });
    assert.equal(echo.headers.get('x-request-id'), 'abc-123_x.y');
    for (const bad of ['has space', 'x'.repeat(129), 'semi;colon']) {
      const res = await fetch(`${fx.base}/ping`, { headers: { 'x-request-id': bad } });
      assert.notEqual(res.headers.get('x-request-id'), bad);
      assert.ok(res.headers.get('x-request-id'));
    }
  });
});

describe('unknown routes and methods', () => {
  for (const path of ['/api/v1/nope', '/api/v1/kills/system', '/api/v1/kills/system/1/2', '/api/v1/kills/systemx/1', '/nothing-here']) {
    test(`GET ${path} → 404 error envelope`, async () => {
      const res = await getJson(fx.base + path);
      assert.equal(res.status, 404);
      assert.deepEqual(Object.keys(res.body), ['error', 'code', 'details', 'timestamp']);
      assert.equal(res.body.code, 'not_found');
      assert.equal(res.body.details.path, path);
    });
  }

  test('an empty trailing id is 400 naming the parameter, not 404', async () => {
    for (const [path, field] of [
      ['/api/v1/kills/system/', 'system_id'],
      ['/api/v1/killmail/', 'killmail_id'],
      ['/api/v1/kills/count/', 'system_id'],
    ]) {
      const res = await getJson(fx.base + path!);
      assert.equal(res.status, 400, path);
      assert.equal(res.body.code, 'validation_error');
      assert.deepEqual(res.body.details, { field, value: '', reason: 'required' });
    }
  });

  test('DELETE /api/v1/anything → 404; POST to a GET route → 405 with Allow', async () => {
    assert.equal((await getJson(`${fx.base}/api/v1/whatever`, { method: 'DELETE' })).status, 404);
    const res = await getJson(`${fx.base}/api/v1/kills/system/${BIG_SYS}`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 405);
    assert.equal(res.body.code, 'bad_request');
    assert.match(res.headers.get('allow')!, /GET, HEAD, OPTIONS/);
  });
});

describe('HEAD and OPTIONS', () => {
  test('HEAD answers the GET headers and Content-Length without a body', async () => {
    const get = await fetch(`${fx.base}/api/v1/kills/system/${BIG_SYS}?limit=3`);
    const getBody = Buffer.from(await get.arrayBuffer());
    const res = await rawRequest(fx.port, `HEAD /api/v1/kills/system/${BIG_SYS}?limit=3 HTTP/1.1\r\nHost: t\r\n\r\n`, { head: true });
    assert.equal(res.status, 200);
    assert.equal(Number(res.headers.get('content-length')), getBody.length);
    assert.match(res.headers.get('content-type')!, /application\/json/);
    assert.ok(res.headers.get('x-request-id'));
    assert.equal(res.body.length, 0);
  });

  for (const [path, status] of [
    ['/api/v1/kills/systems', 405],
    ['/api/v1/nope', 404],
    ['/api/v1/kills/system/x', 400],
    ['/health', 200],
  ] as const) {
    test(`HEAD ${path} → ${status} with no body bytes on the wire`, async () => {
      // Pipeline a GET after the HEAD: any body bytes would show up before the second status line.
      const wire = await readUntil(fx.port, `HEAD ${path} HTTP/1.1\r\nHost: t\r\n\r\nGET /ping HTTP/1.1\r\nHost: t\r\n\r\n`, 'pong');
      const second = wire.indexOf('HTTP/1.1', 1);
      assert.match(wire, new RegExp(`^HTTP/1\\.1 ${status} `));
      assert.ok(wire.slice(0, second).endsWith('\r\n\r\n'), JSON.stringify(wire.slice(0, second)));
      assert.ok(wire.endsWith('pong'));
    });
  }

  test('HEAD on a bad id answers 400 without a body', async () => {
    const res = await rawRequest(fx.port, 'HEAD /api/v1/kills/system/abc HTTP/1.1\r\nHost: t\r\n\r\n', { head: true });
    assert.equal(res.status, 400);
    assert.ok(Number(res.headers.get('content-length')) > 0);
  });

  test('OPTIONS preflight → 204 with CORS headers and the allowed methods', async () => {
    const res = await fetch(`${fx.base}/api/v1/kills/systems`, {
      method: 'OPTIONS',
      headers: { origin: 'https://map.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('access-control-allow-methods')!, /POST/);
    assert.equal(res.headers.get('access-control-allow-headers'), 'content-type');
    assert.equal(await res.text(), '');
  });
});

describe('CORS allow-list', () => {
  let listFx: RestFixture;
  before(async () => {
    listFx = await startRest({ corsOrigins: 'https://a.example, https://b.example' });
  });
  after(async () => listFx.close());

  test('default "*" on GET responses', async () => {
    const res = await fetch(`${fx.base}/ping`, { headers: { origin: 'https://x.example' } });
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
  });

  test('an allowed origin is echoed with vary: origin; others get no allow-origin', async () => {
    const ok = await fetch(`${listFx.base}/ping`, { headers: { origin: 'https://b.example' } });
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://b.example');
    assert.match(ok.headers.get('vary')!, /origin/i);
    const no = await fetch(`${listFx.base}/ping`, { headers: { origin: 'https://evil.example' } });
    assert.equal(no.headers.get('access-control-allow-origin'), null);
    const pre = await fetch(`${listFx.base}/api/v1/kills/systems`, { method: 'OPTIONS', headers: { origin: 'https://a.example' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://a.example');
  });
});

describe('body limits', () => {
  const MIB = 1024 * 1024;

  test('Content-Length over 1 MiB → 413 payload_too_large before the body is read', async () => {
    const res = await rawRequest(fx.port, [
      `POST /api/v1/kills/systems HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${MIB + 1}\r\n\r\n`,
      '{"system_ids":[',
    ]);
    assert.equal(res.status, 413);
    const body = JSON.parse(res.body.toString());
    assert.equal(body.code, 'payload_too_large');
    assert.equal(body.details.max_bytes, MIB);
    assert.ok(res.headers.get('x-request-id'));
  });

  test('a chunked body without Content-Length is cut off at 1 MiB → 413', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const frame = Buffer.concat([Buffer.from(chunk.length.toString(16) + '\r\n'), chunk, Buffer.from('\r\n')]);
    const parts: (string | Buffer)[] = [
      'POST /api/v1/kills/systems HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    ];
    for (let i = 0; i < 20; i++) parts.push(frame); // 1.25 MiB, never terminated
    const res = await rawRequest(fx.port, parts);
    assert.equal(res.status, 413);
    assert.ok(JSON.parse(res.body.toString()).details.received_bytes > MIB);
  });

  test('a body of exactly 1 MiB is read (then judged on content)', async () => {
    const head = '{"system_ids":[30000142],"pad":"';
    const body = head + 'x'.repeat(MIB - head.length - 2) + '"}';
    assert.equal(Buffer.byteLength(body), MIB);
    const res = await getJson(`${fx.base}/api/v1/kills/systems`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(res.status, 200);
  });
});

describe('disconnects', () => {
  test('a client that disconnects mid-response does not disturb the server', async () => {
    const socket = net.connect(fx.port, '127.0.0.1');
    socket.on('error', () => socket.destroy());
    socket.write(`GET /api/v1/kills/system/${BIG_SYS}?limit=1000&since_hours=168 HTTP/1.1\r\nHost: t\r\n\r\n`);
    const [first] = await new Promise<[Buffer]>((resolve) => socket.once('data', (d: Buffer) => resolve([d])));
    assert.match(first.toString('latin1', 0, 12), /^HTTP\/1\.1 200/);
    socket.destroy();
    // The server keeps answering, on fresh and on kept-alive connections.
    for (let i = 0; i < 3; i++) {
      const res = await getJson(`${fx.base}/api/v1/kills/system/${BIG_SYS}?limit=2`);
      assert.equal(res.status, 200);
      assert.equal(res.body.data.kills.length, 2);
    }
  });

  test('a client that sends half a body and leaves is counted as aborted', async () => {
    const before = fx.counters.get('http.aborted');
    const socket = net.connect(fx.port, '127.0.0.1');
    socket.on('error', () => socket.destroy());
    const head = 'POST /api/v1/kills/systems HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';
    await new Promise((r) => socket.write(head + '{"system_ids":', r)); // flushed to the kernel
    socket.destroy();
    const until = Date.now() + 3000;
    while (fx.counters.get('http.aborted') === before) {
      assert.ok(Date.now() < until, 'abort not observed');
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal((await fetch(`${fx.base}/ping`)).status, 200);
  });
});
