// Two ESI clients (two gates) sharing one createSharedLimits() buffer in one thread, against the
// node:http fake ESI that records arrival times: what one client learns from a response holds
// back the other, and nothing is sent before the announced instant.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createEsiClient, type EsiClient } from '../../../src/enrich/esi-client.js';
import { createSharedLimits, SharedLimits } from '../../../src/enrich/esi-shared-limits.js';
import { Counters } from '../../../src/telemetry/counters.js';
import { respondJson, startFakeEsi, type FakeEsi } from './helpers.js';

const anyBody = (): boolean => true;
const HEADERS_OK = { 'x-esi-error-limit-remain': '100', 'x-esi-error-limit-reset': '60' };

interface Pair {
  esi: FakeEsi;
  a: EsiClient;
  b: EsiClient;
  countersB: Counters;
  shared: SharedLimits;
}

async function setup(t: TestContext): Promise<Pair> {
  const esi = await startFakeEsi();
  const buffer = createSharedLimits();
  const make = (counters: Counters): EsiClient =>
    createEsiClient({
      baseUrl: esi.url,
      userAgent: 'test',
      compatibilityDate: '2025-08-26',
      timeoutMs: 5000,
      maxConcurrencyPerRoute: 4,
      counters,
      backoffBaseMs: 10,
      sharedLimits: buffer,
    });
  const countersB = new Counters();
  const pair = { esi, a: make(new Counters()), b: make(countersB), countersB, shared: new SharedLimits(buffer) };
  t.after(async () => {
    pair.a.close();
    pair.b.close();
    await esi.close();
  });
  return pair;
}

/** Polls the shared state (not a fixed sleep) until `ready` holds; fails after 5 s. */
async function until(ready: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!ready()) {
    assert.ok(Date.now() < deadline, 'shared state never updated');
    await new Promise((r) => setImmediate(r));
  }
}

describe('esi shared limits: two clients, one buffer', () => {
  test('a 420 seen by A (reset 2 s) makes B wait: B sends nothing before the reset', async (t) => {
    const { esi, a, b, countersB, shared } = await setup(t);
    let resetAtMs = 0;
    let served420 = 0;
    // Like ESI: once the limit is spent, every request before the reset gets a 420.
    esi.override = (_req, res) => {
      if (resetAtMs === 0 || Date.now() < resetAtMs) {
        if (resetAtMs === 0) resetAtMs = Date.now() + 2000;
        served420++;
        return respondJson(res, 420, { error: 'error limited' }, { 'x-esi-error-limit-remain': '0', 'x-esi-error-limit-reset': '2' });
      }
      return respondJson(res, 200, { name: 'x' }, HEADERS_OK);
    };
    const ra = a.get('characters', '/characters/1/', anyBody);
    await until(() => shared.globalPauseUntil() > 0);
    const rb = await b.get('types', '/universe/types/2/', anyBody);
    assert.equal((await ra).ok, true);
    assert.equal(rb.ok, true);
    assert.equal(served420, 1, 'only A collected a 420');
    assert.equal(countersB.get('esi.status.420'), 0);
    const fromB = esi.seen.filter((s) => s.path === '/universe/types/2/');
    assert.equal(fromB.length, 1);
    for (const s of fromB) assert.ok(s.atMs >= resetAtMs, `B sent ${resetAtMs - s.atMs} ms before the reset`);
  });

  test('a 429 on group X seen by A delays B on X but not on other groups', async (t) => {
    const { esi, a, b, shared } = await setup(t);
    let limitedAt = 0;
    esi.override = (req, res) => {
      if (limitedAt === 0 && req.path.startsWith('/universe/types/')) {
        limitedAt = Date.now();
        return respondJson(res, 429, { error: 'slow down' }, { 'retry-after': '2' });
      }
      return respondJson(res, 200, { name: 'x' });
    };
    const ra = a.get('types', '/universe/types/1/', anyBody);
    await until(() => shared.groupPauseUntil('types') > 0);
    const [bx, bother] = await Promise.all([
      b.get('types', '/universe/types/2/', anyBody),
      b.get('systems', '/universe/systems/3/', anyBody),
    ]);
    assert.equal((await ra).ok && bx.ok && bother.ok, true);
    const at = (path: string): number => esi.seen.find((s) => s.path === path)?.atMs ?? -1;
    assert.ok(at('/universe/types/2/') >= limitedAt + 2000, `B's types request ${at('/universe/types/2/') - limitedAt} ms after the 429`);
    assert.ok(at('/universe/systems/3/') < limitedAt + 1000, `B's systems request was held ${at('/universe/systems/3/') - limitedAt} ms`);
    assert.equal(esi.seen.filter((s) => s.path === '/universe/types/2/').length, 1, 'B got no 429 of its own');
  });

  test('a low X-ESI-Error-Limit-Remain seen by A holds B until the reset', async (t) => {
    const { esi, a, b, shared } = await setup(t);
    let lowAt = 0;
    esi.override = (_req, res) => {
      if (lowAt === 0) {
        lowAt = Date.now();
        return respondJson(res, 200, { name: 'x' }, { 'x-esi-error-limit-remain': '5', 'x-esi-error-limit-reset': '1' });
      }
      return respondJson(res, 200, { name: 'x' }, HEADERS_OK);
    };
    await a.get('types', '/universe/types/1/', anyBody);
    assert.equal(shared.errorLimit()?.remain, 5);
    await b.get('corporations', '/corporations/2/', anyBody);
    const bAt = esi.seen[1]?.atMs ?? 0;
    assert.ok(bAt >= lowAt + 1000, `B sent ${bAt - lowAt} ms after A saw remain 5 (reset 1 s)`);
  });

  test('few bucket tokens left: pacing is shared, both clients together keep one slot per interval', async (t) => {
    const { esi, a, b } = await setup(t);
    // 100 tokens / 10 s, 5 left: 2 tokens a request → one request per 200 ms process-wide.
    esi.override = (_req, res) => respondJson(res, 200, { name: 'k' }, { 'x-ratelimit-limit': '100/10s', 'x-ratelimit-remaining': '5' });
    await a.get('killmails', '/killmails/0/h/', anyBody);
    const paced = [1, 2, 3].flatMap((i) => [
      a.get('killmails', `/killmails/${i}/a/`, anyBody),
      b.get('killmails', `/killmails/${i}/b/`, anyBody),
    ]);
    await Promise.all(paced);
    const times = esi.seen
      .slice(1)
      .map((s) => s.atMs)
      .sort((x, y) => x - y);
    assert.equal(times.length, 6);
    // Slots are handed out from the first paced claim, which happens after the warm-up request
    // arrived: request k may not arrive before anchor + k * 200 ms. Measured against that fixed
    // anchor (not pairwise) so one late timer under CPU load cannot make the next gap look short;
    // two clients pacing separately would still put two requests in the first slot and fail here.
    const anchor = esi.seen[0]?.atMs ?? 0;
    for (let k = 0; k < times.length; k++) {
      const early = anchor + k * 200 - 5 - (times[k] as number);
      assert.ok(early <= 0, `request ${k} arrived ${early} ms before its slot (${times.map((x) => x - anchor).join(',')})`);
    }
  });
});

describe('SharedLimits slots', () => {
  test('pauses only move forward; the error limit keeps the lower remain within a window', () => {
    const s = new SharedLimits(createSharedLimits());
    const t0 = 1_800_000_000_000;
    s.pauseAllUntil(t0 + 5000);
    s.pauseAllUntil(t0 + 1000);
    assert.equal(s.globalPauseUntil(), t0 + 5000);
    s.pauseGroupUntil('names', t0 + 2000);
    assert.equal(s.groupPauseUntil('names'), t0 + 2000);
    assert.equal(s.groupPauseUntil('types'), 0, 'groups are independent');
    assert.equal(s.errorLimit(), undefined);
    s.noteErrorLimit(8, t0 + 40_000);
    s.noteErrorLimit(12, t0 + 40_500); // an in-flight answer of the same window
    assert.deepEqual(s.errorLimit(), { remain: 8, resetAtMs: t0 + 40_500 });
    s.noteErrorLimit(30, t0 + 10_000); // an older window: ignored
    assert.equal(s.errorLimit()?.remain, 8);
    s.noteErrorLimit(100, t0 + 100_000); // the next window
    assert.deepEqual(s.errorLimit(), { remain: 100, resetAtMs: t0 + 100_000 });
  });

  test('bucket numbers round-trip and expire after their window; pace slots are handed out in order', () => {
    const s = new SharedLimits(createSharedLimits());
    const t0 = 1_800_000_000_000;
    s.noteBucket('killmails', 150, 3600, 900_000, t0);
    assert.deepEqual(s.bucket('killmails', t0 + 1), { remaining: 150, tokens: 3600, windowMs: 900_000, updatedAtMs: t0 });
    assert.equal(s.bucket('killmails', t0 + 900_000), undefined);
    assert.equal(s.claimPaceSlot('names', t0, 200), t0);
    assert.equal(s.claimPaceSlot('names', t0, 200), t0 + 200);
    assert.equal(s.claimPaceSlot('names', t0 + 1000, 200), t0 + 1000, 'an idle group starts at once');
  });

  test('a buffer not made by createSharedLimits is refused', () => {
    assert.throws(() => new SharedLimits(new SharedArrayBuffer(16)), RangeError);
    assert.throws(() => new SharedLimits(new SharedArrayBuffer(createSharedLimits().byteLength)), /layout/);
  });
});

test('absurd header values (Infinity, NaN, past 2^43 ms) are clamped, never thrown', () => {
  const l = new SharedLimits(createSharedLimits());
  l.noteErrorLimit(5, Infinity);
  assert.equal(l.errorLimit()?.resetAtMs, 2 ** 43 - 1);
  l.noteErrorLimit(5, Number.NaN);
  l.pauseAllUntil(1e300);
  assert.equal(l.globalPauseUntil(), 2 ** 43 - 1);
  l.pauseGroupUntil('types', Infinity);
  assert.equal(l.groupPauseUntil('types'), 2 ** 43 - 1);
});
