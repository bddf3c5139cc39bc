import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { createRedisQFeed, generateQueueId, isNullPackage, type RedisQOptions } from '../../../src/feeds/index.js';
import {
  feedDeps,
  MemoryCursors,
  RecordingSink,
  sendJson,
  sendReset,
  sendTruncated,
  startServer,
  text,
  until,
  type TestServer,
} from './helpers.js';

const NULL_PACKAGE = '{"package": null}';
const INLINE = JSON.stringify({ package: { killID: 130678514, killmail: { killmail_id: 130678514, victim: {} }, zkb: { hash: 'abc' } } });
const SHORT = JSON.stringify({
  package: { killID: 130678515, zkb: { hash: 'def', href: 'https://esi.example/killmails/130678515/def/' } },
});

/** A fake RedisQ: listen.php → 302 → object.php; `queue` bodies are served in order, then null. */
class FakeRedisQ {
  readonly queue: ((res: ServerResponse) => void)[] = [];
  server!: TestServer;

  async start(t: TestContext): Promise<this> {
    this.server = await startServer((_req, res, url) => {
      if (url.pathname === '/listen.php') {
        res.writeHead(302, { location: `/object.php?objectID=${this.listens()}` });
        return res.end();
      }
      const next = this.queue.shift();
      if (next) return next(res);
      sendJson(res, 200, NULL_PACKAGE);
    });
    t.after(() => this.server.close());
    return this;
  }

  body(s: string): void {
    this.queue.push((res) => sendJson(res, 200, s));
  }

  listens(): number {
    return this.server.requests.filter((r) => r.path === '/listen.php').length;
  }

  objectTimes(): number[] {
    return this.server.requests.filter((r) => r.path === '/object.php').map((r) => r.atMs);
  }
}

function startFeed(
  t: TestContext,
  fake: FakeRedisQ,
  sink: RecordingSink,
  extra: Partial<RedisQOptions> = {},
  cursors = new MemoryCursors(),
) {
  const deps = feedDeps(sink, cursors);
  const feed = createRedisQFeed({
    ...deps,
    url: `${fake.server.url}/listen.php`,
    ttwSeconds: 1,
    userAgent: 'wk-test (test@example.com)',
    cutoffSeconds: 0,
    fastIntervalMs: 10,
    idleIntervalMs: 500,
    initialBackoffMs: 10,
    maxBackoffMs: 40,
    ...extra,
  });
  t.after(() => feed.stop());
  return { feed, ...deps };
}

describe('redisq feed', () => {
  test('follows the 302 to object.php and pushes inline and short packages raw', async (t) => {
    const f = await new FakeRedisQ().start(t);
    f.body(INLINE);
    f.body(SHORT);
    const sink = new RecordingSink();
    const cursors = new MemoryCursors();
    cursors.setCursor('redisq.queue_id', 'stored_queue');
    const { feed, counters } = startFeed(t, f, sink, { queueId: 'my_queue' }, cursors);
    await feed.start();
    await until(() => sink.entries.length === 2, 'two packages');
    assert.equal(text(sink.entries[0]!.body), INLINE);
    assert.equal(text(sink.entries[1]!.body), SHORT);
    assert.deepEqual(
      sink.entries.map((e) => [e.source, e.seq, e.cutoffMs]),
      [
        ['redisq', 1, 0],
        ['redisq', 2, 0],
      ],
    );
    const listen = f.server.requests.find((r) => r.path === '/listen.php')!;
    assert.equal(listen.url.searchParams.get('queueID'), 'my_queue');
    assert.equal(listen.url.searchParams.get('ttw'), '1');
    assert.equal(cursors.writes.length, 1, 'a configured queueID wins and is not persisted');
    assert.equal(counters.get('feed.redisq.received'), 2);
    feed.ack(1);
    assert.equal(counters.get('feed.redisq.acked'), 1);
    assert.equal(feed.pendingCursor(), undefined);
  });

  test('a null package waits the idle interval; a kill polls again after the fast interval', async (t) => {
    const f = await new FakeRedisQ().start(t);
    f.body(INLINE);
    const sink = new RecordingSink();
    const { feed, counters } = startFeed(t, f, sink);
    await feed.start();
    await until(() => f.objectTimes().length >= 3, 'three polls');
    const [a, b, c] = f.objectTimes() as [number, number, number];
    assert.ok(b - a < 400, `after a kill: ${b - a} ms`);
    assert.ok(c - b >= 495, `after a null package: ${c - b} ms`);
    assert.equal(sink.entries.length, 1);
    assert.ok(counters.get('feed.redisq.no_kills') >= 1);
    assert.equal(feed.health().healthy, true);
  });

  test('isNullPackage checks bytes only and rejects real packages', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    assert.equal(isNullPackage(enc('{"package":null}')), true);
    assert.equal(isNullPackage(enc(' { "package" :  null }\n')), true);
    assert.equal(isNullPackage(enc(SHORT)), false);
    assert.equal(isNullPackage(enc('{"package":null,"x":1}')), false);
    assert.equal(isNullPackage(enc(`{"package":null}${' '.repeat(64)}`)), false);
  });

  test('queueID is generated once, persisted, and reused after a restart', async (t) => {
    const f = await new FakeRedisQ().start(t);
    const cursors = new MemoryCursors();
    const sink = new RecordingSink();
    const first = startFeed(t, f, sink, {}, cursors).feed;
    await first.start();
    await until(() => f.listens() === 1, 'first poll');
    await first.stop();
    const id = cursors.getCursor('redisq.queue_id');
    assert.match(id ?? '', /^wanderer_kills_[0-9A-Za-z]{16}$/);
    const second = startFeed(t, f, sink, {}, cursors).feed;
    await second.start();
    await until(() => f.listens() === 2, 'second poll');
    await second.stop();
    const ids = f.server.requests.filter((r) => r.path === '/listen.php').map((r) => r.url.searchParams.get('queueID'));
    assert.deepEqual(ids, [id, id]);
    assert.equal(cursors.writes.length, 1);
    assert.notEqual(generateQueueId(), generateQueueId());
  });

  test('error back-off doubles from initial to max and resets after a success', async (t) => {
    const f = await new FakeRedisQ().start(t);
    for (let i = 0; i < 6; i++) f.queue.push((res) => sendJson(res, 500, '{}'));
    f.body(INLINE);
    f.queue.push((res) => sendJson(res, 500, '{}'));
    f.body(SHORT);
    const sink = new RecordingSink();
    const { feed, counters } = startFeed(t, f, sink, { initialBackoffMs: 20, maxBackoffMs: 320 });
    await feed.start();
    await until(() => sink.entries.length === 2, 'the kills after the errors');
    const times = f.objectTimes();
    const gaps = times.slice(1, 7).map((x, i) => x - times[i]!);
    [20, 40, 80, 160, 320, 320].forEach((min, i) => assert.ok(gaps[i]! >= min - 2, `gap ${i}: ${gaps[i]} ms, want >= ${min}`));
    assert.ok(gaps[5]! < 600, `capped at maxBackoffMs: ${gaps[5]} ms`);
    const afterReset = times[8]! - times[7]!;
    assert.ok(afterReset >= 18 && afterReset < 250, `first error after a success waits initialBackoffMs: ${afterReset} ms`);
    assert.equal(counters.get('feed.redisq.error.http_5xx'), 7);
    assert.equal(counters.get('feed.redisq.backoffs'), 7);
    assert.equal(feed.stats()['consecutiveErrors'], 0);
  });

  test('truncated bodies and resets are counted and never pushed', async (t) => {
    const f = await new FakeRedisQ().start(t);
    f.queue.push((res) => sendTruncated(res, INLINE.slice(0, 30)));
    f.queue.push((res) => sendReset(res));
    f.queue.push((res) => sendJson(res, 200, ''));
    f.body(SHORT);
    const sink = new RecordingSink();
    const { feed, counters } = startFeed(t, f, sink);
    await feed.start();
    await until(() => sink.entries.length === 1, 'the good package');
    assert.equal(text(sink.entries[0]!.body), SHORT);
    assert.equal(counters.get('feed.redisq.error.truncated'), 1);
    assert.equal(counters.get('feed.redisq.error.network'), 1);
    assert.equal(counters.get('feed.redisq.error.empty_body'), 1);
  });

  test('10 consecutive errors open the circuit; it half-opens after the reset time', async (t) => {
    const f = await new FakeRedisQ().start(t);
    for (let i = 0; i < 11; i++) f.queue.push((res) => sendJson(res, 503, '{}'));
    f.body(INLINE);
    const sink = new RecordingSink();
    const { feed, counters } = startFeed(t, f, sink, { initialBackoffMs: 2, maxBackoffMs: 4, circuitResetMs: 300 });
    await feed.start();
    await until(() => feed.stats()['circuit'] === 'open', 'the circuit to open');
    assert.equal(f.objectTimes().length, 10);
    assert.equal(feed.health().healthy, false);
    assert.match(feed.health().message, /circuit open/);
    await until(() => f.objectTimes().length === 11, 'the half-open probe');
    const t1 = f.objectTimes();
    assert.ok(t1[10]! - t1[9]! >= 295, `half-open after ${t1[10]! - t1[9]!} ms`);
    // The probe failed (11th 503): the circuit reopens for another reset period.
    await until(() => feed.stats()['circuit'] === 'open' && counters.get('feed.redisq.circuit_opened') === 2, 'reopen');
    await until(() => sink.entries.length === 1, 'the kill once the circuit closes');
    const t2 = f.objectTimes();
    assert.ok(t2[11]! - t2[10]! >= 295);
    assert.equal(feed.stats()['circuit'], 'closed');
    assert.equal(feed.health().healthy, true);
  });

  test('stop() aborts a long-poll promptly', async (t) => {
    const f = await new FakeRedisQ().start(t);
    f.queue.push(() => undefined);
    const sink = new RecordingSink();
    const { feed } = startFeed(t, f, sink);
    await feed.start();
    await until(() => f.objectTimes().length === 1, 'the hanging poll');
    const t0 = performance.now();
    await feed.stop();
    assert.ok(performance.now() - t0 < 1000);
    assert.equal(feed.stats()['state'], 'stopped');
  });
});
