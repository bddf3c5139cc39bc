import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fetchBytes, parseRetryAfter, statusReason, type FetchResult } from '../../../src/feeds/http.js';
import { sendJson, sendReset, sendTruncated, startServer, text } from './helpers.js';

const opts = (signal = new AbortController().signal, timeoutMs = 2000, maxBytes = 1 << 20) => ({
  userAgent: 'wk-test (test@example.com)',
  timeoutMs,
  signal,
  maxBytes,
});

function reasonOf(r: FetchResult): string {
  return r.ok ? 'ok' : r.reason;
}

describe('feeds http', () => {
  test('status mapping', () => {
    assert.equal(statusReason(500), 'http_5xx');
    assert.equal(statusReason(503), 'http_5xx');
    assert.equal(statusReason(429), 'http_429');
    assert.equal(statusReason(420), 'http_429');
    assert.equal(statusReason(403), 'http_403');
    assert.equal(statusReason(404), 'http_404');
    assert.equal(statusReason(400), 'http_other');
    assert.equal(statusReason(304), 'http_other');
  });

  test('Retry-After as seconds or HTTP date', () => {
    const now = Date.parse('2026-11-26T12:00:00Z');
    assert.equal(parseRetryAfter('30', now), 30_000);
    assert.equal(parseRetryAfter('Thu, 26 Nov 2026 12:01:00 GMT', now), 60_000);
    assert.equal(parseRetryAfter('Thu, 26 Nov 2026 11:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  test('bodies, redirects, statuses, truncation, resets, size caps and timeouts', async (t) => {
    let userAgent: string | undefined;
    const server = await startServer((req, res, url) => {
      userAgent = req.headers['user-agent'];
      switch (url.pathname) {
        case '/ok':
          return sendJson(res, 200, '{"a":1}');
        case '/redirect':
          res.writeHead(302, { location: '/ok' });
          return res.end();
        case '/429':
          return sendJson(res, 429, '{}', { 'retry-after': '7' });
        case '/truncated':
          return sendTruncated(res, '{"a":');
        case '/reset':
          return sendReset(res);
        case '/big':
          return sendJson(res, 200, 'x'.repeat(2048));
        case '/chunked-big':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('x'.repeat(1500));
          return res.end('x'.repeat(1500));
        case '/hang':
          return undefined;
        default:
          return sendJson(res, 404, '{}');
      }
    });
    t.after(() => server.close());
    const get = (path: string, o = opts()) => fetchBytes(server.url + path, o);

    const ok = await get('/ok');
    assert.ok(ok.ok);
    assert.equal(text(ok.body), '{"a":1}');
    assert.ok(ok.body instanceof Uint8Array);
    assert.equal(userAgent, 'wk-test (test@example.com)');

    const redirected = await get('/redirect');
    assert.ok(redirected.ok);
    assert.equal(redirected.url, `${server.url}/ok`);

    const limited = await get('/429');
    assert.ok(!limited.ok);
    assert.equal(limited.reason, 'http_429');
    assert.equal(limited.retryAfterMs, 7000);
    assert.equal(limited.status, 429);

    assert.equal(reasonOf(await get('/missing')), 'http_404');
    assert.equal(reasonOf(await get('/truncated')), 'truncated');
    assert.equal(reasonOf(await get('/reset')), 'network');
    assert.equal(reasonOf(await get('/big', opts(undefined, 2000, 1024))), 'too_large');
    assert.equal(reasonOf(await get('/chunked-big', opts(undefined, 2000, 2048))), 'too_large');
    assert.equal(reasonOf(await get('/hang', opts(undefined, 50))), 'timeout');

    const stop = new AbortController();
    const pending = get('/hang', opts(stop.signal, 10_000));
    stop.abort();
    assert.equal(reasonOf(await pending), 'aborted');
  });

  test('connection refused is a network error', async () => {
    const server = await startServer((_req, res) => sendJson(res, 200, '{}'));
    const url = server.url;
    await server.close();
    assert.equal(reasonOf(await fetchBytes(`${url}/x`, opts())), 'network');
  });
});
