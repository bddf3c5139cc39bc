import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { Counters } from '../../../src/telemetry/counters.js';
import { createEsiClient, type EsiClient, type EsiClientOptions } from '../../../src/enrich/esi-client.js';
import { parseBucketLimit } from '../../../src/enrich/esi-gate.js';
import { respondJson, startFakeEsi, type FakeEsi } from './helpers.js';

const anyBody = (): boolean => true;
const isNamed = (b: unknown): boolean => typeof b === 'object' && b !== null && typeof (b as { name?: unknown }).name === 'string';

async function setup(
  t: { after: (fn: () => Promise<void> | void) => void },
  extra: Partial<EsiClientOptions> = {},
): Promise<{ esi: FakeEsi; client: EsiClient; counters: Counters }> {
  const esi = await startFakeEsi();
  const counters = new Counters();
  const client = createEsiClient({
    baseUrl: esi.url,
    userAgent: 'wk-test/1.0 (ops@example.com)',
    compatibilityDate: '2026-07-21',
    timeoutMs: 2000,
    maxConcurrencyPerRoute: 4,
    counters,
    backoffBaseMs: 20,
    ...extra,
  });
  t.after(async () => {
    client.close();
    await esi.close();
  });
  return { esi, client, counters };
}

describe('esi client', () => {
  test('sends User-Agent, X-Compatibility-Date and Accept', async (t) => {
    const { esi, client } = await setup(t);
    const r = await client.get('types', '/universe/types/587/', isNamed);
    assert.equal(r.ok, true);
    const h = esi.seen[0]?.headers;
    assert.equal(h?.['user-agent'], 'wk-test/1.0 (ops@example.com)');
    assert.equal(h?.['x-compatibility-date'], '2026-07-21');
    assert.equal(h?.['accept'], 'application/json');
  });

  test('no request before Expires; after it If-None-Match and a 304 reuses the body', async (t) => {
    let fakeNow = Date.now();
    const { esi, client, counters } = await setup(t, { now: () => fakeNow });
    esi.override = (req, res) => {
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, { etag: '"v1"', date: new Date().toUTCString(), expires: new Date(Date.now() + 60_000).toUTCString() });
        res.end();
        return true;
      }
      return respondJson(
        res,
        200,
        { name: 'Corp A', ticker: 'CA' },
        { etag: '"v1"', date: new Date().toUTCString(), expires: new Date(Date.now() + 60_000).toUTCString() },
      );
    };
    const first = await client.get('corporations', '/corporations/98000001/', isNamed);
    const second = await client.get('corporations', '/corporations/98000001/', isNamed);
    assert.equal(esi.seen.length, 1, 'second call answered from cache before Expires');
    assert.deepEqual(second.ok && second.body, first.ok && first.body);
    fakeNow += 61_000;
    const third = await client.get('corporations', '/corporations/98000001/', isNamed);
    assert.equal(esi.seen.length, 2);
    assert.equal(esi.seen[1]?.headers['if-none-match'], '"v1"');
    assert.equal(third.ok && third.status, 304);
    assert.deepEqual(third.ok && third.body, { name: 'Corp A', ticker: 'CA' });
    assert.equal(counters.get('esi.http_cache.not_modified'), 1);
    assert.equal(counters.get('esi.http_cache.fresh'), 1);
  });

  test('420 pauses every request until the error-limit reset; none is sent early', async (t) => {
    const { esi, client, counters } = await setup(t);
    let sentAt420 = 0;
    esi.override = (_req, res) => {
      if (sentAt420 === 0) {
        sentAt420 = Date.now();
        return respondJson(res, 420, { error: 'error limited' }, { 'x-esi-error-limit-remain': '0', 'x-esi-error-limit-reset': '1' });
      }
      return respondJson(res, 200, { name: 'x', ticker: 'y' }, { 'x-esi-error-limit-remain': '100', 'x-esi-error-limit-reset': '60' });
    };
    const [a, b] = await Promise.all([
      client.get('corporations', '/corporations/1/', isNamed),
      (async () => {
        // A second route asked while the pause is on must wait as well (the limit is global).
        while (sentAt420 === 0) await new Promise((r) => setImmediate(r));
        await new Promise((r) => setTimeout(r, 20));
        return client.get('types', '/universe/types/2/', isNamed);
      })(),
    ]);
    assert.equal(a.ok, true);
    assert.equal(b.ok, true);
    for (const s of esi.seen.slice(1)) assert.ok(s.atMs >= sentAt420 + 1000, `request ${s.path} ${s.atMs - sentAt420} ms after the 420`);
    assert.equal(counters.get('esi.retry.error_limited'), 1);
  });

  test('a low X-ESI-Error-Limit-Remain holds new requests until the reset', async (t) => {
    const { esi, client } = await setup(t);
    esi.override = (_req, res) => respondJson(res, 200, { name: 'x' }, { 'x-esi-error-limit-remain': '5', 'x-esi-error-limit-reset': '1' });
    await client.get('types', '/universe/types/1/', isNamed);
    const firstAt = esi.seen[0]?.atMs ?? 0;
    await client.get('types', '/universe/types/2/', isNamed);
    assert.ok((esi.seen[1]?.atMs ?? 0) >= firstAt + 950, 'second request waited for the reset');
  });

  test('429 honours Retry-After for the group, then succeeds', async (t) => {
    const { esi, client, counters } = await setup(t);
    let limitedAt = 0;
    esi.override = (_req, res) => {
      if (limitedAt === 0) {
        limitedAt = Date.now();
        return respondJson(res, 429, { error: 'slow down' }, { 'retry-after': '1', 'x-ratelimit-group': 'killmail' });
      }
      return respondJson(res, 200, { killmail_id: 1 });
    };
    const r = await client.get('killmails', '/killmails/1/abc/', anyBody);
    assert.equal(r.ok, true);
    assert.ok((esi.seen[1]?.atMs ?? 0) >= limitedAt + 1000);
    assert.equal(counters.get('esi.retry.rate_limited'), 1);
  });

  test('limits that never lift end as ERR_ESI_RATE_LIMITED after bounded retries', async (t) => {
    const { esi, client, counters } = await setup(t, { maxRateLimitRetries: 1 });
    esi.override = (_req, res) => respondJson(res, 429, { error: 'slow down' }, { 'retry-after': '0' });
    const r = await client.get('killmails', '/killmails/1/abc/', anyBody);
    assert.equal(!r.ok && r.code, 'ERR_ESI_RATE_LIMITED');
    assert.equal(!r.ok && r.reason, 'rate_limited');
    assert.equal(esi.seen.length, 2);
    assert.equal(counters.get('esi.failed.rate_limited'), 1);
  });

  test('few bucket tokens left: requests are paced over the window, not burst', async (t) => {
    const { esi, client } = await setup(t);
    esi.override = (_req, res) => respondJson(res, 200, { name: 'k' }, { 'x-ratelimit-limit': '10/1s', 'x-ratelimit-remaining': '1' });
    for (let i = 0; i < 4; i++) await client.get('killmails', `/killmails/${i}/h/`, anyBody);
    const at = esi.seen.map((s) => s.atMs);
    // 2 tokens per request over a 10-token, 1 s bucket: one request per 200 ms.
    for (let i = 2; i < at.length; i++)
      assert.ok((at[i] ?? 0) - (at[i - 1] ?? 0) >= 190, `gap ${i}: ${(at[i] ?? 0) - (at[i - 1] ?? 0)} ms`);
    assert.deepEqual(parseBucketLimit('3600/15m'), { tokens: 3600, windowMs: 900_000 });
    assert.equal(parseBucketLimit('garbage'), undefined);
  });

  test('5xx is retried with back-off, then succeeds', async (t) => {
    const { esi, client, counters } = await setup(t);
    let n = 0;
    esi.override = (_req, res) => (++n <= 2 ? respondJson(res, 503, { error: 'down' }) : false);
    const r = await client.get('types', '/universe/types/587/', isNamed);
    assert.equal(r.ok, true);
    assert.equal(esi.seen.length, 3);
    assert.equal(counters.get('esi.retry.http_5xx'), 2);
    assert.equal(counters.get('esi.failed.http_5xx'), 0);
  });

  test('5xx on every attempt is a counted failure after bounded attempts', async (t) => {
    const { esi, client, counters } = await setup(t, { maxAttempts: 2 });
    esi.override = (_req, res) => respondJson(res, 502, { error: 'bad gateway' });
    const r = await client.get('types', '/universe/types/587/', isNamed);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.reason, 'http_5xx');
    assert.equal(!r.ok && r.code, 'ERR_ESI_HTTP_STATUS');
    assert.equal(esi.seen.length, 2);
    assert.equal(counters.get('esi.failed.http_5xx'), 1);
  });

  test('a hanging server becomes ERR_ESI_TIMEOUT', async (t) => {
    const { esi, client, counters } = await setup(t, { timeoutMs: 100, maxAttempts: 1 });
    esi.override = () => true; // never answers
    const started = Date.now();
    const r = await client.get('types', '/universe/types/587/', isNamed);
    assert.equal(!r.ok && r.reason, 'timeout');
    assert.equal(!r.ok && r.code, 'ERR_ESI_TIMEOUT');
    // The server never answers: any finite bound proves the 100 ms timeout cut it; 3 s holds on a
    // loaded machine.
    const tookMs = Date.now() - started;
    assert.ok(tookMs < 3000, `gave up after ${tookMs} ms`);
    assert.equal(counters.get('esi.failed.timeout'), 1);
  });

  test('malformed, truncated and wrong-shape bodies are ERR_ESI_BODY with a reason', async (t) => {
    const { esi, client, counters } = await setup(t, { maxAttempts: 1 });
    esi.override = (req, res) => {
      if (req.path.includes('/1/')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"name": nope}');
      } else if (req.path.includes('/2/')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"name": "cut sh');
      } else if (req.path.includes('/3/')) {
        // Declares more bytes than it sends, then drops the connection.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
        res.write('{"name": "par');
        setTimeout(() => res.socket?.destroy(), 10);
      } else {
        return respondJson(res, 200, { unexpected: true });
      }
      return true;
    };
    const reasons = [];
    for (const id of [1, 2, 3, 4]) {
      const r = await client.get('types', `/universe/types/${id}/`, isNamed);
      assert.equal(!r.ok && r.code, 'ERR_ESI_BODY');
      reasons.push(!r.ok && r.reason);
    }
    assert.deepEqual(reasons, ['malformed', 'truncated', 'truncated', 'wrong_shape']);
    assert.equal(counters.get('esi.failed.malformed'), 1);
    assert.equal(counters.get('esi.failed.truncated'), 2);
    assert.equal(counters.get('esi.failed.wrong_shape'), 1);
  });

  test('per-route concurrency cap', async (t) => {
    const { esi, client } = await setup(t, { maxConcurrencyPerRoute: 2 });
    let active = 0;
    let peak = 0;
    esi.override = (_req, res) => {
      active++;
      peak = Math.max(peak, active);
      setTimeout(() => {
        active--;
        respondJson(res, 200, { name: 'x' });
      }, 30);
      return true;
    };
    await Promise.all(Array.from({ length: 6 }, (_, i) => client.get('types', `/universe/types/${i}/`, isNamed)));
    assert.equal(peak, 2);
  });

  test('a complete-length 200 whose JSON is cut short is retried, within maxAttempts', async (t) => {
    const { esi, client, counters } = await setup(t, { maxAttempts: 3 });
    let cutLeft = 1;
    esi.override = (req, res) => {
      if (req.path.includes('/always/') || cutLeft-- > 0) {
        const cut = '{"name": "cut sh';
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(cut) });
        res.end(cut);
        return true;
      }
      return respondJson(res, 200, { name: 'whole' });
    };
    const r = await client.get('types', '/universe/types/7/', isNamed);
    assert.equal(r.ok && (r.body as { name: string }).name, 'whole');
    assert.equal(esi.seen.length, 2);
    assert.equal(counters.get('esi.retry.truncated'), 1);
    const never = await client.get('types', '/universe/types/always/', isNamed);
    assert.equal(!never.ok && never.reason, 'truncated');
    assert.equal(!never.ok && never.code, 'ERR_ESI_BODY');
    assert.equal(esi.seen.length, 2 + 3, 'bounded: three attempts in all');
    assert.equal(counters.get('esi.failed.truncated'), 1);
  });

  test('requests leave nothing attached to the client-lifetime stop signal', async (t) => {
    const { client } = await setup(t);
    for (let i = 0; i < 20; i++) assert.equal((await client.get('types', `/universe/types/${i}/`, isNamed)).ok, true);
    const stop = (client as unknown as { stop: AbortController }).stop.signal;
    assert.equal(getEventListeners(stop, 'abort').length, 0);
    // Node 20 keeps AbortSignal.any() dependants in this internal set and never prunes it.
    const dependants = Object.getOwnPropertySymbols(stop).find((k) => String(k) === 'Symbol(kDependantSignals)');
    const set = dependants === undefined ? undefined : (stop as unknown as Record<symbol, Set<unknown> | undefined>)[dependants];
    assert.equal(set?.size ?? 0, 0);
  });

  test('close() during a request ends it as aborted, not timeout', async (t) => {
    const { esi, client } = await setup(t, { timeoutMs: 5000 });
    let arrived!: () => void;
    const sent = new Promise<void>((resolve) => (arrived = resolve));
    esi.override = () => {
      arrived();
      return true; // never answers
    };
    const pending = client.get('types', '/universe/types/9/', isNamed);
    await sent;
    client.close();
    const r = await pending;
    assert.equal(!r.ok && r.reason, 'aborted');
  });

  test('404 is a not_found result, not retried, not counted as a failure', async (t) => {
    const { esi, client, counters } = await setup(t);
    esi.override = (_req, res) => respondJson(res, 404, { error: 'gone' });
    const r = await client.get('types', '/universe/types/1/', isNamed);
    assert.equal(!r.ok && r.reason, 'not_found');
    assert.equal(esi.seen.length, 1);
    assert.equal(counters.get('esi.not_found'), 1);
  });
});
