import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { createR2Z2Feed, type FeedHandle, type R2Z2Options } from '../../../src/feeds/index.js';
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

/** A fake R2Z2: sequence.json → `tip`, {N}.json → the entries map, else 404; `script` overrides. */
class FakeR2Z2 {
  tip = 100;
  readonly entries = new Map<number, string>();
  /** Per-path one-shot responses, consumed in order before the normal answer. */
  readonly script = new Map<string, ((res: ServerResponse) => void)[]>();
  server!: TestServer;

  async start(t: TestContext): Promise<this> {
    this.server = await startServer((_req, res, url) => {
      const once = this.script.get(url.pathname)?.shift();
      if (once) return once(res);
      if (url.pathname === '/ephemeral/sequence.json') return sendJson(res, 200, JSON.stringify({ sequence: this.tip }));
      const m = /^\/ephemeral\/(\d+)\.json$/.exec(url.pathname);
      const body = m ? this.entries.get(Number(m[1])) : undefined;
      if (body === undefined) return sendJson(res, 404, '{"error":"not found"}');
      sendJson(res, 200, body);
    });
    t.after(() => this.server.close());
    return this;
  }

  add(from: number, to: number): void {
    for (let n = from; n <= to; n++) this.entries.set(n, entryBody(n));
  }

  paths(): string[] {
    return this.server.requests.map((r) => r.path);
  }
}

function entryBody(n: number): string {
  return JSON.stringify({ killmail_id: 1000 + n, hash: `h${n}`, esi: { killmail_id: 1000 + n }, zkb: {}, sequence_id: n });
}

function startFeed(t: TestContext, fake: FakeR2Z2, sink: RecordingSink, extra: Partial<R2Z2Options> = {}, cursors = new MemoryCursors()) {
  const deps = feedDeps(sink, cursors);
  const feed = createR2Z2Feed({
    ...deps,
    baseUrl: fake.server.url,
    userAgent: 'wk-test (test@example.com)',
    cutoffSeconds: 3600,
    idleWaitMs: 100,
    ...extra,
  });
  t.after(() => feed.stop());
  return { feed, ...deps };
}

const seqs = (sink: RecordingSink): number[] => sink.entries.map((e) => e.seq);

describe('r2z2 feed', () => {
  test('starts at sequence.json, follows N, N+1 until 404, waits, resumes', async (t) => {
    const f = await new FakeR2Z2().start(t);
    f.add(100, 102);
    const sink = new RecordingSink();
    const { feed, counters } = startFeed(t, f, sink);
    const before = Date.now();
    await feed.start();
    await until(() => sink.entries.length === 3 && f.paths().includes('/ephemeral/103.json'), 'three entries and a 404');
    assert.deepEqual(seqs(sink), [100, 101, 102]);
    assert.equal(f.paths()[0], '/ephemeral/sequence.json');
    assert.equal(text(sink.entries[0]!.body), entryBody(100));
    assert.equal(sink.entries[0]!.source, 'r2z2');
    assert.ok(sink.entries[0]!.cutoffMs >= before - 3_600_000 && sink.entries[0]!.cutoffMs <= Date.now() - 3_600_000);
    assert.ok(sink.entries[0]!.receivedAtUs > before * 1000);
    f.add(103, 103);
    await until(() => sink.entries.length === 4, 'entry 103 after the idle wait');
    const reqs = f.server.requests.filter((r) => r.path === '/ephemeral/103.json');
    assert.ok(reqs.length >= 2);
    assert.ok(reqs[1]!.atMs - reqs[0]!.atMs >= 95, 'waited idleWaitMs after the 404');
    assert.equal(counters.get('feed.r2z2.received'), 4);
    assert.equal(
      counters.get('feed.r2z2.bytes'),
      [100, 101, 102, 103].reduce((a, n) => a + Buffer.byteLength(entryBody(n)), 0),
    );
    assert.ok(counters.get('feed.r2z2.not_found') >= 1);
    assert.equal(feed.health().healthy, true);
  });

  test('user agent header is sent', async (t) => {
    const f = await new FakeR2Z2().start(t);
    let ua: string | undefined;
    f.script.set('/ephemeral/sequence.json', [
      (res) => {
        ua = res.req.headers['user-agent'];
        sendJson(res, 200, '{"sequence":100}');
      },
    ]);
    const sink = new RecordingSink();
    const { feed } = startFeed(t, f, sink);
    await feed.start();
    await until(() => ua !== undefined, 'the first request');
    assert.equal(ua, 'wk-test (test@example.com)');
  });

  test('a 403 or a bad body on sequence.json backs off and the start is retried', async (t) => {
    const f = await new FakeR2Z2().start(t);
    f.add(100, 100);
    f.script.set('/ephemeral/sequence.json', [(res) => sendJson(res, 403, '{}'), (res) => sendJson(res, 200, '{"seq":1}')]);
    const sink = new RecordingSink();
    const { feed, counters } = startFeed(t, f, sink, { blockedBackoffMs: 20, errorBackoffMs: 10 });
    await feed.start();
    await until(() => sink.entries.length === 1, 'entry 100');
    assert.equal(counters.get('feed.r2z2.error.http_403'), 1);
    assert.equal(counters.get('feed.r2z2.blocked_backoffs'), 1);
    assert.equal(counters.get('feed.r2z2.error.bad_sequence'), 1);
    assert.equal(counters.get('feed.r2z2.backoffs'), 1);
  });

  test('resumes after a stored cursor without reading sequence.json', async (t) => {
    const f = await new FakeR2Z2().start(t);
    f.add(100, 105);
    const cursors = new MemoryCursors();
    cursors.setCursor('r2z2', '102');
    const sink = new RecordingSink();
    const { feed } = startFeed(t, f, sink, {}, cursors);
    await feed.start();
    await until(() => sink.entries.length === 3, 'entries 103..105');
    assert.deepEqual(seqs(sink), [103, 104, 105]);
    assert.equal(f.paths()[0], '/ephemeral/103.json');
  });

  test('watermark follows out-of-order acks and is written to the cursor store', async (t) => {
    const f = await new FakeR2Z2().start(t);
    f.add(100, 104);
    const sink = new RecordingSink();
    const { feed, cursors } = startFeed(t, f, sink);
    await feed.start();
    await until(() => sink.entries.length === 5, 'five entries');
    assert.equal(cursors.getCursor('r2z2'), '99', 'start position persisted before any ack');
    feed.ack(102);
    feed.ack(101);
    assert.equal(feed.stats().watermark, 99);
    feed.ack(100);
    assert.equal(feed.stats().watermark, 102);
    assert.equal(cursors.getCursor('r2z2'), '102');
    feed.ack(104);
    assert.equal(cursors.getCursor('r2z2'), '102');
    feed.ack(103);
    assert.equal(cursors.getCursor('r2z2'), '104');
    feed.ack(103);
    assert.equal(feed.stats()['ack_unknown'], 1);
    assert.deepEqual(
      cursors.writes.map(([, v]) => v),
      ['99', '102', '104'],
    );
  });

  test('external cursor mode hands the moved cursor out once', async (t) => {
    const f = await new FakeR2Z2().start(t);
    f.add(100, 101);
    const sink = new RecordingSink();
    const { feed, cursors } = startFeed(t, f, sink, { cursorMode: 'external' });
    await feed.start();
    await until(() => sink.entries.length === 2, 'two entries');
    // The starting cursor was written before the first fetch (a fresh start): nothing to hand out.
    assert.equal(feed.pendingCursor(), undefined);
    feed.ack(100);
    feed.ack(101);
    assert.deepEqual(feed.pendingCursor(), { name: 'r2z2', value: '101' });
    assert.equal(feed.pendingCursor(), undefined);
    await feed.stop();
    assert.deepEqual(
      cursors.writes.map(([, v]) => v),
      ['99'],
      'in external mode the feed writes only the starting cursor',
    );
  });

  test('a restart resumes the cursor with no kill lost or duplicated', async (t) => {
    const f = await new FakeR2Z2().start(t);
    f.add(100, 119);
    const cursors = new MemoryCursors();
    const stored = new Set<number>();
    const dupes: number[] = [];
    const ackAll = (sink: RecordingSink, feed: FeedHandle) => {
      // Stand-in for the pipeline + store: store each seq once (dedupe), then ack it.
      const orig = sink.push.bind(sink);
      sink.push = (e) => {
        const ok = orig(e);
        if (ok) {
          if (stored.has(e.seq)) dupes.push(e.seq);
          stored.add(e.seq);
          queueMicrotask(() => feed.ack(e.seq));
        }
        return ok;
      };
    };
    const sink1 = new RecordingSink();
    const first = startFeed(t, f, sink1, {}, cursors).feed;
    ackAll(sink1, first);
    await first.start();
    await until(() => sink1.entries.length >= 8, 'eight entries in the first run');
    await first.stop();
    const sink2 = new RecordingSink();
    const second = startFeed(t, f, sink2, {}, cursors).feed;
    ackAll(sink2, second);
    await second.start();
    await until(() => stored.size === 20, 'all twenty sequences stored');
    assert.deepEqual(
      [...stored].sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => 100 + i),
    );
    assert.deepEqual(dupes, [], 'acked entries are not fetched again');
    assert.equal(sink2.entries[0]!.seq, sink1.entries.at(-1)!.seq + 1);
  });

  test('HTTP 500, 429 (Retry-After), 403, truncated body and reset: counted, nothing pushed, later entries stored', async (t) => {
    const f = await new FakeR2Z2().start(t);
    f.add(100, 101);
    f.script.set('/ephemeral/100.json', [
      (res) => sendJson(res, 500, '{"error":"boom"}'),
      (res) => sendJson(res, 429, '{"error":"slow down"}', { 'retry-after': '1' }),
      (res) => sendJson(res, 403, '{"error":"forbidden"}'),
      (res) => sendTruncated(res, entryBody(100).slice(0, 20)),
      (res) => sendReset(res),
    ]);
    const sink = new RecordingSink();
    const { feed, counters } = startFeed(t, f, sink, { errorBackoffMs: 10, maxErrorBackoffMs: 40, blockedBackoffMs: 20 });
    await feed.start();
    await until(() => feed.stats()['state'] === 'blocked', 'the Retry-After wait');
    assert.equal(feed.health().healthy, false);
    assert.match(feed.health().message, /blocked by upstream \(http_429/);
    await until(() => sink.entries.length === 2, 'entries 100 and 101 after the failures');
    assert.deepEqual(seqs(sink), [100, 101]);
    assert.equal(text(sink.entries[0]!.body), entryBody(100), 'the truncated body was never pushed');
    for (const reason of ['http_5xx', 'http_429', 'http_403', 'truncated', 'network']) {
      assert.equal(counters.get(`feed.r2z2.error.${reason}`), 1, reason);
    }
    assert.equal(counters.get('feed.r2z2.blocked_backoffs'), 2);
    assert.equal(counters.get('feed.r2z2.backoffs'), 3);
    const hits = f.server.requests.filter((r) => r.path === '/ephemeral/100.json');
    assert.ok(hits[2]!.atMs - hits[1]!.atMs >= 990, 'Retry-After: 1 honoured');
    assert.equal(feed.stats()['consecutiveErrors'], 0);
  });

  test('stays at or under 10 requests in any 1 s window', async (t) => {
    const f = await new FakeR2Z2().start(t);
    f.add(100, 114);
    const sink = new RecordingSink();
    const { feed } = startFeed(t, f, sink);
    await feed.start();
    await until(() => sink.entries.length === 15, 'fifteen entries');
    const times = f.server.requests.map((r) => r.atMs);
    assert.ok(times.length >= 16);
    for (let i = 10; i < times.length; i++) {
      // The limiter spaces request starts exactly; arrival times here also carry connection setup
      // and scheduling jitter on a busy machine, hence 100 ms of slack (a 2x rate shows ~500 ms).
      assert.ok(times[i]! - times[i - 10]! >= 900, `request ${i} came ${times[i]! - times[i - 10]!} ms after request ${i - 10}`);
    }
    assert.ok((feed.stats()['throttled'] as number) > 0);
  });

  test('back-pressure: a full sink makes the feed wait for whenWritable and push the same entry again', async (t) => {
    const f = await new FakeR2Z2().start(t);
    f.add(100, 102);
    const sink = new RecordingSink();
    sink.writable = false;
    const { feed, counters } = startFeed(t, f, sink);
    await feed.start();
    await until(() => sink.waitCalls === 1, 'the feed waiting on the sink');
    assert.equal(sink.pushCalls, 1);
    assert.ok(!f.paths().includes('/ephemeral/101.json'), 'nothing fetched while the sink is full');
    sink.open();
    await until(() => sink.entries.length === 3, 'entries after the sink opened');
    assert.deepEqual(seqs(sink), [100, 101, 102]);
    assert.equal(counters.get('feed.r2z2.backpressure_waits'), 1);
  });

  test('sequences expired behind the tip are counted as a gap; the feed moves to the oldest published', async (t) => {
    const f = await new FakeR2Z2().start(t);
    f.tip = 200;
    f.add(180, 201);
    const cursors = new MemoryCursors();
    cursors.setCursor('r2z2', '149');
    const sink = new RecordingSink();
    const { feed, counters } = startFeed(t, f, sink, { idleWaitMs: 10, gapTries: 2, maxRps: 100 }, cursors);
    await feed.start();
    await until(() => sink.entries.length === 22, 'entries 180..201');
    assert.equal(sink.entries[0]!.seq, 180);
    assert.equal(counters.get('feed.r2z2.gap'), 1);
    assert.equal(counters.get('feed.r2z2.gap_seqs'), 30);
    assert.equal(f.server.requests.filter((r) => r.path === '/ephemeral/150.json').length, 2);
    assert.equal(cursors.getCursor('r2z2'), '179', 'the skipped range is behind the watermark');
  });

  test("a stored cursor far ahead of sequence.json (another feed's) restarts at the tip instead of stalling", async (t) => {
    const f = await new FakeR2Z2().start(t);
    f.add(100, 103);
    f.tip = 100;
    const cursors = new MemoryCursors();
    cursors.setCursor('r2z2', '95000000');
    const sink = new RecordingSink();
    const { feed, counters } = startFeed(t, f, sink, { idleWaitMs: 10, gapTries: 2, cursorMode: 'external' }, cursors);
    await feed.start();
    await until(() => sink.entries.length === 4, 'entries 100..103 after the rewind');
    assert.deepEqual(seqs(sink), [100, 101, 102, 103]);
    assert.equal(counters.get('feed.r2z2.cursor_ahead'), 1);
    for (const e of sink.entries) feed.ack(e.seq);
    assert.deepEqual(feed.pendingCursor(), { name: 'r2z2', value: '103' }, 'the rewound position is persisted like any move');
  });

  test('a single unpublished sequence (the tip of sequence.json never written) skips only that one', async (t) => {
    const f = await new FakeR2Z2().start(t);
    f.tip = 99;
    const sink = new RecordingSink();
    const { feed, counters } = startFeed(t, f, sink, { idleWaitMs: 10, gapTries: 2 });
    await feed.start();
    await until(() => f.paths().filter((p) => p === '/ephemeral/99.json').length >= 2, 'polls of 99');
    f.add(100, 103);
    f.tip = 102;
    await until(() => sink.entries.length === 4, 'entries 100..103');
    assert.deepEqual(seqs(sink), [100, 101, 102, 103]);
    assert.equal(counters.get('feed.r2z2.gap'), 1);
    assert.equal(counters.get('feed.r2z2.gap_seqs'), 1);
  });

  test('an entry over maxEntryBytes is counted and skipped', async (t) => {
    const f = await new FakeR2Z2().start(t);
    f.add(100, 101);
    f.entries.set(100, 'x'.repeat(5000));
    const sink = new RecordingSink();
    const { feed, counters } = startFeed(t, f, sink, { maxEntryBytes: 1024 });
    await feed.start();
    await until(() => sink.entries.length === 1, 'entry 101');
    assert.deepEqual(seqs(sink), [101]);
    assert.equal(counters.get('feed.r2z2.error.too_large'), 1);
  });

  test('stop() aborts an in-flight request promptly', async (t) => {
    const f = await new FakeR2Z2().start(t);
    f.script.set('/ephemeral/sequence.json', [() => undefined]);
    const sink = new RecordingSink();
    const { feed } = startFeed(t, f, sink, { requestTimeoutMs: 60_000 });
    await feed.start();
    await until(() => f.server.requests.length === 1, 'the hanging request');
    const t0 = performance.now();
    await feed.stop();
    assert.ok(performance.now() - t0 < 1000);
    assert.equal(feed.health().healthy, false);
    assert.equal(feed.stats()['state'], 'stopped');
  });
});
