import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorLimiter, TokenBucket, tokenCost } from '../../../src/sim/esi-limits.js';
import { FaultInjector, validateFaults } from '../../../src/sim/faults.js';
import { NameBook, allianceId, characterId, corporationId, nameFor } from '../../../src/sim/names.js';
import { restampOffsets } from '../../../src/sim/replay.js';

describe('names', () => {
  test('pool ids resolve to stable names in every category; off-stride ids do not', () => {
    assert.equal(nameFor(characterId(0)), nameFor(characterId(0)));
    assert.match(nameFor(characterId(1)) ?? '', /^\S+ \S+$/);
    assert.notEqual(nameFor(characterId(0)), nameFor(characterId(1)));
    assert.match(nameFor(corporationId(3)) ?? '', /\S+ \S+ \S+/);
    assert.ok(nameFor(allianceId(2)));
    assert.equal(nameFor(30000142), 'Jita');
    assert.equal(nameFor(670), 'Capsule');
    assert.equal(nameFor(10000002), 'The Forge');
    assert.equal(nameFor(characterId(0) + 1), undefined);
    assert.equal(nameFor(1), undefined);
  });

  test('all 4096 pool characters have distinct names', () => {
    const names = new Set<string>();
    for (let i = 0; i < 4096; i++) names.add(nameFor(characterId(i)) ?? '');
    assert.equal(names.size, 4096);
  });

  test('a name book refuses unresolvable ids and learns replayed ones', () => {
    const book = new NameBook([characterId(5)]);
    assert.equal(book.resolve(characterId(5)), undefined);
    assert.equal(book.resolve(123_456_789), undefined);
    book.registerParty({ character_id: 123_456_789, corporation_id: 555_555, alliance_id: 777_777 });
    assert.equal(book.resolve(123_456_789)?.category, 'character');
    assert.equal(book.resolve(555_555)?.category, 'corporation');
    assert.deepEqual(book.membership(123_456_789), { corporationId: 555_555, allianceId: 777_777 });
    assert.match(book.corporation(corporationId(1))?.ticker ?? '', /^[A-Z0-9]{4,5}$/);
  });
});

describe('ESI limits', () => {
  test('the error limiter counts 4xx/5xx only and resets with the window', () => {
    const e = new ErrorLimiter(2, 60_000);
    e.record(200, 1000);
    e.record(304, 1000);
    e.record(404, 1000);
    assert.equal(e.exhausted(1000), false);
    e.record(500, 2000);
    assert.equal(e.exhausted(2000), true);
    assert.equal(e.headers(2000)['x-esi-error-limit-remain'], '0');
    assert.equal(e.exhausted(61_001), false);
  });

  test('token costs per status class', () => {
    assert.deepEqual([200, 304, 404, 500, 429].map(tokenCost), [2, 1, 5, 0, 0]);
  });

  test('the floating-window bucket runs out and frees tokens as seconds expire', () => {
    const b = new TokenBucket('killmail', 10, 60);
    const t0 = 1_000_000_000;
    b.spend(4, t0);
    b.spend(4, t0 + 10_000);
    b.spend(2, t0 + 20_000);
    assert.equal(b.remaining(t0 + 20_000), 0);
    assert.equal(b.retryAfterSeconds(t0 + 20_000), 40); // the t0 spend expires 60 s after t0
    assert.equal(b.remaining(t0 + 60_000), 4);
    assert.equal(b.headers(t0 + 60_000)['x-ratelimit-limit'], '10/1m');
    assert.equal(b.remaining(t0 + 200_000), 10);
  });
});

describe('faults', () => {
  test('validateFaults lists every problem', () => {
    assert.deepEqual(validateFaults([{ route: 'r2z2', kind: 'status', status: 503 }]), []);
    assert.equal(validateFaults({}).length, 1);
    assert.equal(validateFaults([{ route: 'nope', kind: 'boom', count: -1, probability: 2 }]).length, 4);
  });

  test('one-shot counts, route matching and stacked latency', () => {
    const f = new FaultInjector(1, [
      { route: 'esi', kind: 'latency', latencyMs: 5 },
      { route: 'any', kind: 'latency', latencyMs: 7 },
      { route: 'r2z2', kind: 'status', status: 500, count: 2 },
    ]);
    assert.deepEqual(f.plan('esi'), { latencyMs: 12 });
    assert.equal(f.plan('r2z2').fault?.status, 500);
    assert.equal(f.plan('r2z2').fault?.status, 500);
    assert.equal(f.plan('r2z2').fault, undefined);
    assert.equal(f.applied.status, 2);
  });

  test('probability is seeded and reproducible', () => {
    const run = (): number => {
      const f = new FaultInjector(7, [{ route: 'any', kind: 'reset', probability: 0.3 }]);
      let n = 0;
      for (let i = 0; i < 1000; i++) if (f.plan('zkb').fault) n++;
      return n;
    };
    const n = run();
    assert.equal(run(), n);
    assert.ok(n > 200 && n < 400, `${n}`);
  });
});

describe('restampOffsets', () => {
  test('the newest kill gets 0, gaps are capped so all fit within 50 minutes', () => {
    const day = 86_400_000;
    const times = [0, 10 * day, 10 * day + 60_000, 3000 * day];
    const off = restampOffsets(times);
    assert.equal(off[3], 0);
    const cap = Math.floor((50 * 60_000) / 3);
    assert.equal(off[2], cap);
    assert.equal(off[1], cap + 60_000);
    assert.equal(off[0], 2 * cap + 60_000);
    assert.ok(Math.max(...off) <= 50 * 60_000);
    assert.deepEqual(restampOffsets([5]), [0]);
  });
});
