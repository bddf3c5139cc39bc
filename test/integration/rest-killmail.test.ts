// GET /api/v1/killmail/{id}: store first, then the fetcher (zKB API + ESI in production), 404
// when unknown, 503 when the fetcher fails; an aborted request never writes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { EventEmitter, once } from 'node:events';
import { canonicalKill, getJson, HOUR_MS, startRest, type RestFixture } from './rest-support.js';

const stored = canonicalKill(5001, 30_000_142, Date.now() - HOUR_MS);
const remote = canonicalKill(6001, 30_000_144, Date.now() - 400 * HOUR_MS);
const SLOW_ID = 7777;
const GATED_ID = 8888;
const FAIL_ID = 6666;

const fetchCalls = new Map<number, number>();
const slowFetch = new EventEmitter();
let releaseSlow: ((text: string | undefined) => void) | undefined;
let releaseGated: ((text: string | undefined) => void) | undefined;

async function fetchKill(id: number): Promise<string | undefined> {
  fetchCalls.set(id, (fetchCalls.get(id) ?? 0) + 1);
  if (id === FAIL_ID) throw new Error('zkb answered 502');
  if (id === SLOW_ID) {
    const p = new Promise<string | undefined>((resolve) => (releaseSlow = resolve));
    slowFetch.emit('called');
    return p;
  }
  if (id === GATED_ID) return new Promise<string | undefined>((resolve) => (releaseGated = resolve));
  await new Promise((r) => setImmediate(r)); // a real fetch resolves on a later turn
  return id === remote.killmail_id ? JSON.stringify(remote) : undefined;
}

let fx: RestFixture;
before(async () => {
  fx = await startRest({ kills: [stored], fetchKill });
});
after(async () => fx.close());

async function waitFor(cond: () => boolean, what: string, deadlineMs = 3000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('GET /api/v1/killmail/{id}', () => {
  test('from the store, exactly as stored, without calling the fetcher', async () => {
    const res = await getJson(`${fx.base}/api/v1/killmail/${stored.killmail_id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data, stored);
    assert.ok(!fetchCalls.has(stored.killmail_id));
  });

  test('not stored: fetched and returned (not stored afterwards)', async () => {
    const res = await getJson(`${fx.base}/api/v1/killmail/${remote.killmail_id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data, remote);
    assert.equal(fx.store.reader.killById(remote.killmail_id), undefined);
  });

  test('unknown everywhere → 404 not_found', async () => {
    const res = await getJson(`${fx.base}/api/v1/killmail/123456`);
    assert.equal(res.status, 404);
    assert.equal(res.body.code, 'not_found');
    assert.equal(res.body.details.killmail_id, 123456);
  });

  test('fetcher failure → 503 unavailable with the reason', async () => {
    const res = await getJson(`${fx.base}/api/v1/killmail/${FAIL_ID}`);
    assert.equal(res.status, 503);
    assert.equal(res.body.code, 'unavailable');
    assert.match(res.body.details.reason, /502/);
  });

  for (const id of ['abc', '-1', '0', '1.5', '12abc', '9007199254740992', '18446744073709551616']) {
    test(`id ${id} → 400 naming killmail_id`, async () => {
      const res = await getJson(`${fx.base}/api/v1/killmail/${id}`);
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'validation_error');
      assert.equal(res.body.details.field, 'killmail_id');
      assert.equal(res.body.details.value, id);
      assert.equal(res.body.error, 'Invalid killmail ID format');
    });
  }

  test('2^53 - 1 is a valid id (404 when unknown)', async () => {
    const res = await getJson(`${fx.base}/api/v1/killmail/9007199254740991`);
    assert.equal(res.status, 404);
  });

  test('concurrent requests for one missing id share a single fetch', async () => {
    const joinedBefore = fx.counters.get('http.killmail.fetch_joined');
    const all = Promise.all([1, 2, 3].map(() => getJson(`${fx.base}/api/v1/killmail/${GATED_ID}`)));
    await waitFor(() => fx.counters.get('http.killmail.fetch_joined') - joinedBefore === 2, 'three requests in flight');
    const gated = canonicalKill(GATED_ID, 30_000_142, Date.now());
    releaseGated!(JSON.stringify(gated));
    for (const r of await all) assert.deepEqual(r.body.data, gated);
    assert.equal(fetchCalls.get(GATED_ID), 1);
  });

  test('a client that disconnects while the fetch is pending gets no write', async () => {
    const called = once(slowFetch, 'called');
    const socket = net.connect(fx.port, '127.0.0.1');
    socket.on('error', () => socket.destroy());
    socket.write(`GET /api/v1/killmail/${SLOW_ID} HTTP/1.1\r\nHost: t\r\n\r\n`);
    await called;
    socket.destroy();
    await waitFor(() => fx.counters.get('http.aborted') >= 1, 'the abort to reach the server');
    releaseSlow!(JSON.stringify(canonicalKill(SLOW_ID, 30_000_142, Date.now())));
    await waitFor(() => fx.counters.get('http.write_skipped.after_abort') >= 1, 'the skipped write');
    const ping = await fetch(`${fx.base}/ping`);
    assert.equal(await ping.text(), 'pong', 'the server is still serving');
  });
});
