// Kill routes over real HTTP against a real uWS server and a real SQLite store: every
// validation edge from the acceptance list, and kills equal to the canonical shape exactly.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalKill, getJson, HOUR_MS, startRest, type RestFixture } from './rest-support.js';
import type { CanonicalKillmail } from '../../src/core/killmail.js';

const SYS = 30_000_142;
const BIG_SYS = 30_002_187; // 1,100 kills: limit 1000/1001 edges
const OTHER = 31_000_005;
const now = Date.now();
// Ten kills in SYS at 0.5 h, 1.5 h, ... 9.5 h ago, one at 100 h and one at 200 h (outside 168).
const sysKills = [
  ...Array.from({ length: 10 }, (_, i) => canonicalKill(1000 + i, SYS, now - (i + 0.5) * HOUR_MS, 1 + (i % 4))),
  canonicalKill(2000, SYS, now - 100 * HOUR_MS),
  canonicalKill(2001, SYS, now - 200 * HOUR_MS),
];
const bigKills = Array.from({ length: 1100 }, (_, i) => canonicalKill(100_000 + i, BIG_SYS, now - 60_000 - i * 1000, 1));
const otherKills = [canonicalKill(3000, OTHER, now - HOUR_MS / 4)];

function newestFirst(list: readonly CanonicalKillmail[]): CanonicalKillmail[] {
  return [...list].sort((a, b) => Date.parse(b.kill_time) - Date.parse(a.kill_time) || b.killmail_id - a.killmail_id);
}

let fx: RestFixture;
before(async () => {
  fx = await startRest({ kills: [...sysKills, ...bigKills, ...otherKills] });
});
after(async () => fx.close());

function assertFieldError(res: { status: number; body: any }, field: string, value?: unknown): void {
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.code, 'validation_error');
  assert.equal(res.body.details.field, field);
  if (value !== undefined) assert.deepEqual(res.body.details.value, value);
  assert.equal(typeof res.body.error, 'string');
  assert.ok(!Number.isNaN(Date.parse(res.body.timestamp)));
}

describe('GET /api/v1/kills/system/{id}', () => {
  test('default window (24 h) and limit: exact canonical kills, newest first, envelope', async () => {
    const res = await getJson(`${fx.base}/api/v1/kills/system/${SYS}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^application\/json/);
    assert.deepEqual(Object.keys(res.body), ['data', 'timestamp']);
    assert.deepEqual(Object.keys(res.body.data), ['kills', 'timestamp', 'cached']);
    assert.equal(res.body.data.cached, false);
    assert.deepEqual(res.body.data.kills, newestFirst(sysKills.slice(0, 10)));
    const first = res.body.data.kills[0];
    assert.deepEqual(Object.keys(first.zkb), [
      'locationID',
      'hash',
      'fittedValue',
      'droppedValue',
      'destroyedValue',
      'totalValue',
      'points',
      'npc',
      'solo',
      'awox',
      'labels',
    ]);
    assert.ok(!JSON.stringify(res.body).includes('null'), 'no null values anywhere');
    assert.ok(!('moon_id' in first) && !('war_id' in first), 'absent optional keys stay absent');
  });

  for (const [limit, expected] of [
    ['1', 1],
    ['1000', 1000],
  ] as const) {
    test(`limit=${limit} is accepted`, async () => {
      const res = await getJson(`${fx.base}/api/v1/kills/system/${BIG_SYS}?limit=${limit}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.data.kills.length, expected);
      assert.equal(res.body.data.kills[0].killmail_id, 100_000);
    });
  }

  for (const limit of ['0', '1001', '-1', 'abc', '1.5', '', '9007199254740993']) {
    test(`limit=${JSON.stringify(limit)} is 400 naming limit`, async () => {
      assertFieldError(await getJson(`${fx.base}/api/v1/kills/system/${SYS}?limit=${limit}`), 'limit', limit);
    });
  }

  test('since_hours 1, 168 accepted and applied', async () => {
    const one = await getJson(`${fx.base}/api/v1/kills/system/${SYS}?since_hours=1`);
    assert.deepEqual(
      one.body.data.kills.map((k: CanonicalKillmail) => k.killmail_id),
      [1000],
    );
    const week = await getJson(`${fx.base}/api/v1/kills/system/${SYS}?since_hours=168&limit=1000`);
    assert.equal(week.body.data.kills.length, 11, 'the 100 h kill is in, the 200 h kill is out');
  });

  for (const hours of ['0', '169', '-5', 'x']) {
    test(`since_hours=${hours} is 400 naming since_hours`, async () => {
      assertFieldError(await getJson(`${fx.base}/api/v1/kills/system/${SYS}?since_hours=${hours}`), 'since_hours', hours);
    });
  }

  for (const id of ['abc', '-1', '0', '12abc', '1.5', '50000001', '9007199254740993', '99999999999999999999']) {
    test(`system id ${id} is 400 naming system_id`, async () => {
      const res = await getJson(`${fx.base}/api/v1/kills/system/${id}`);
      assertFieldError(res, 'system_id', id);
      assert.equal(res.body.error, 'Invalid system ID format');
    });
  }

  test('an unknown system answers an empty list', async () => {
    const res = await getJson(`${fx.base}/api/v1/kills/system/30000001`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data.kills, []);
  });
});

describe('GET /api/v1/kills/cached/{id}', () => {
  test('same kills with cached: true, limits applied', async () => {
    const res = await getJson(`${fx.base}/api/v1/kills/cached/${SYS}?limit=3`);
    assert.equal(res.status, 200);
    assert.equal(res.body.data.cached, true);
    assert.deepEqual(res.body.data.kills, newestFirst(sysKills.slice(0, 10)).slice(0, 3));
  });
  test('bad id and bad limit', async () => {
    assertFieldError(await getJson(`${fx.base}/api/v1/kills/cached/x1`), 'system_id', 'x1');
    assertFieldError(await getJson(`${fx.base}/api/v1/kills/cached/${SYS}?limit=1001`), 'limit', '1001');
  });
});

describe('GET /api/v1/kills/count/{id}', () => {
  test('real count in the window', async () => {
    const day = await getJson(`${fx.base}/api/v1/kills/count/${SYS}`);
    assert.equal(day.status, 200);
    assert.deepEqual(Object.keys(day.body.data), ['system_id', 'count', 'since_hours', 'timestamp']);
    assert.equal(day.body.data.system_id, SYS);
    assert.equal(day.body.data.count, 10);
    assert.equal(day.body.data.since_hours, 24);
    const week = await getJson(`${fx.base}/api/v1/kills/count/${SYS}?since_hours=168`);
    assert.equal(week.body.data.count, 11);
    const hour = await getJson(`${fx.base}/api/v1/kills/count/${SYS}?since_hours=1`);
    assert.equal(hour.body.data.count, 1);
  });
  test('bad id and since_hours', async () => {
    assertFieldError(await getJson(`${fx.base}/api/v1/kills/count/-3`), 'system_id', '-3');
    assertFieldError(await getJson(`${fx.base}/api/v1/kills/count/${SYS}?since_hours=169`), 'since_hours', '169');
  });
});

describe('POST /api/v1/kills/systems', () => {
  const post = (body: unknown, contentType = 'application/json') =>
    getJson(`${fx.base}/api/v1/kills/systems`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  test('kills per system, keyed by id, each newest first', async () => {
    const res = await post({ system_ids: [SYS, OTHER, 30_000_001], since_hours: 24, limit: 5 });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body.data), ['systems_kills', 'timestamp']);
    const sk = res.body.data.systems_kills;
    assert.deepEqual(sk[String(SYS)], newestFirst(sysKills.slice(0, 10)).slice(0, 5));
    assert.deepEqual(sk[String(OTHER)], otherKills);
    assert.deepEqual(sk['30000001'], []);
  });

  test('defaults, duplicates and numeric-string window', async () => {
    const res = await post({ system_ids: [SYS, SYS], since_hours: '168' });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body.data.systems_kills), [String(SYS)]);
    assert.equal(res.body.data.systems_kills[String(SYS)].length, 11);
  });

  test('100 systems accepted, 101 rejected', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => 30_000_001 + i);
    const ok = await post({ system_ids: ids });
    assert.equal(ok.status, 200);
    assert.equal(Object.keys(ok.body.data.systems_kills).length, 100);
    assertFieldError(await post({ system_ids: [...ids, 30_000_999] }), 'system_ids');
  });

  const badBodies: [string, unknown, string][] = [
    ['empty array', { system_ids: [] }, 'system_ids'],
    ['missing system_ids', { limit: 5 }, 'system_ids'],
    ['string ids', { system_ids: ['30000142'] }, 'system_ids'],
    ['negative id', { system_ids: [-1] }, 'system_ids'],
    ['fractional id', { system_ids: [1.5] }, 'system_ids'],
    ['id past 2^53', '{"system_ids":[9007199254740993]}', 'system_ids'],
    ['not an array', { system_ids: 30_000_142 }, 'system_ids'],
    ['limit 0', { system_ids: [SYS], limit: 0 }, 'limit'],
    ['limit 1001', { system_ids: [SYS], limit: 1001 }, 'limit'],
    ['since_hours 0', { system_ids: [SYS], since_hours: 0 }, 'since_hours'],
    ['since_hours 169', { system_ids: [SYS], since_hours: 169 }, 'since_hours'],
    ['since_hours garbage', { system_ids: [SYS], since_hours: '24h' }, 'since_hours'],
    ['body is an array', [SYS], 'body'],
  ];
  for (const [name, body, field] of badBodies) {
    test(`${name} → 400 naming ${field}`, async () => assertFieldError(await post(body), field));
  }

  test('malformed JSON → 400 bad_request', async () => {
    const res = await post('{"system_ids": [1,');
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'bad_request');
    assert.equal(res.body.details.field, 'body');
  });

  test('empty body → 400 bad_request', async () => {
    const res = await post('');
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'bad_request');
  });

  test('wrong content type → 415 bad_request naming content-type', async () => {
    const res = await post({ system_ids: [SYS] }, 'text/plain');
    assert.equal(res.status, 415);
    assert.equal(res.body.code, 'bad_request');
    assert.equal(res.body.details.field, 'content-type');
    assert.equal(res.body.details.value, 'text/plain');
    const vendor = await post({ system_ids: [SYS] }, 'application/vnd.api+json; charset=utf-8');
    assert.equal(vendor.status, 200, 'a +json media type is JSON');
  });
});
