// The outbound client asks for gzip/br and decodes while reading, against a local node:http
// server that compresses when asked: bodies come back decoded, the cap applies to the decoded
// size (a compression bomb is cut and reported too_large; through the ESI client it is a counted
// ERR_ESI_BODY), and a compressed body cut short is `truncated`.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { createHttpClient } from '../../../src/net/index.js';
import { createEsiClient } from '../../../src/enrich/esi-client.js';
import { Counters } from '../../../src/telemetry/counters.js';

const JSON_BODY = JSON.stringify({ name: 'Rifter', padding: 'x'.repeat(10_000) });
// 32 MiB of zeros gzip to ~32 KB: a bomb against a 1 MiB cap.
const BOMB = gzipSync(Buffer.alloc(32 * 1024 * 1024), { level: 9 });

async function server(t: TestContext): Promise<{ url: string; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  const s = createServer((req, res) => {
    seen.push(req);
    const accepts = req.headers['accept-encoding'] ?? '';
    if (req.url === '/bomb') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': BOMB.length });
      return void res.end(BOMB);
    }
    if (req.url === '/cut') {
      const gz = gzipSync(JSON_BODY);
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.write(gz.subarray(0, gz.length >> 1));
      return void setTimeout(() => res.destroy(), 20);
    }
    const br = req.url === '/br' && accepts.includes('br');
    if (!br && !accepts.includes('gzip')) return void res.end(JSON_BODY);
    const body = br ? brotliCompressSync(JSON_BODY) : gzipSync(JSON_BODY);
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': br ? 'br' : 'gzip', 'content-length': body.length });
    res.end(body);
  });
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  t.after(() => {
    s.closeAllConnections();
    s.close();
  });
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen };
}

test('gzip and br bodies are asked for and decoded; the caller sees decoded headers', async (t) => {
  const { url, seen } = await server(t);
  const client = createHttpClient({ userAgent: 'wk-test', timeoutMs: 10_000 });
  t.after(() => client.close());
  for (const path of ['/gz', '/br']) {
    const r = await client.request(url + path);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(Buffer.from(r.body).toString(), JSON_BODY, path);
    assert.equal(r.headers['content-encoding'], undefined);
    assert.equal(r.headers['content-length'], undefined, 'the encoded length does not describe the decoded body');
  }
  assert.match(String(seen[0]?.headers['accept-encoding']), /gzip/);
  assert.match(String(seen[1]?.headers['accept-encoding']), /br/);
});

test('a compression bomb is cut at the decoded cap (too_large); a cut gzip stream is truncated', async (t) => {
  const { url } = await server(t);
  const client = createHttpClient({ userAgent: 'wk-test', timeoutMs: 10_000, maxBytes: 1024 * 1024 });
  t.after(() => client.close());
  const bomb = await client.request(`${url}/bomb`);
  assert.equal(!bomb.ok && bomb.reason, 'too_large');
  assert.match(!bomb.ok ? bomb.message : '', /decoded body over 1048576 bytes/);
  const cut = await client.request(`${url}/cut`);
  assert.equal(!cut.ok && cut.reason, 'truncated');
  const still = await client.request(`${url}/gz`);
  assert.ok(still.ok, 'the client still serves after both');
});

test('through the ESI client a bomb is a counted ERR_ESI_BODY, not a crash', async (t) => {
  const { url } = await server(t);
  const counters = new Counters();
  const esi = createEsiClient({
    baseUrl: url,
    userAgent: 'wk-test',
    compatibilityDate: '2025-08-26',
    timeoutMs: 10_000,
    maxConcurrencyPerRoute: 2,
    counters,
    maxBodyBytes: 1024 * 1024,
    maxAttempts: 1,
  });
  t.after(() => esi.close());
  const r = await esi.get('types', '/bomb', () => true);
  assert.equal(!r.ok && r.code, 'ERR_ESI_BODY');
  assert.equal(counters.get('esi.failed.malformed'), 1);
});
