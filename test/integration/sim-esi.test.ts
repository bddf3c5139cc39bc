// Simulated ESI over real HTTP: names batches, caching headers, error limit, killmail bucket.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allianceId, characterId, corporationId, createSimulator, nameFor, type SimOptions } from '../../src/sim/index.js';

async function startSim(t: { after(fn: () => Promise<void>): void }, opts: SimOptions = {}) {
  const sim = createSimulator({ seed: 31, ...opts });
  const { url } = await sim.start();
  t.after(() => sim.stop());
  return { sim, url };
}

const names = (url: string, ids: unknown): Promise<Response> =>
  fetch(`${url}/universe/names/`, { method: 'POST', body: JSON.stringify(ids), headers: { 'content-type': 'application/json' } });

test('names: a batch resolves; one unknown id fails the whole batch with 404; >1000 ids is 400', async (t) => {
  const { url } = await startSim(t, { unresolvableIds: [characterId(9)] });
  const ok = await names(url, [characterId(1), corporationId(2), 30000142, 670, 10000002, 500001, characterId(1)]);
  assert.equal(ok.status, 200);
  const body = (await ok.json()) as { id: number; name: string; category: string }[];
  assert.deepEqual(
    body.map((n) => n.category),
    ['character', 'corporation', 'solar_system', 'inventory_type', 'region', 'faction'],
  );
  assert.equal(body[0]!.name, nameFor(characterId(1)));
  assert.equal(ok.headers.get('etag'), null, 'POST routes carry no cache headers');

  for (const bad of [
    [characterId(1), characterId(9)],
    [characterId(1), 42],
  ]) {
    const r = await names(url, bad);
    assert.equal(r.status, 404);
    assert.deepEqual(await r.json(), { error: 'Ensure all IDs are valid before resolving.' });
  }
  assert.equal(
    (
      await names(
        url,
        Array.from({ length: 1001 }, (_, i) => characterId(i)),
      )
    ).status,
    400,
  );
  assert.equal((await names(url, ['x'])).status, 400);
  assert.equal((await fetch(`${url}/characters/${characterId(9)}/`)).status, 404);
});

test('entity routes: Expires, ETag and 304 on If-None-Match; legacy version prefixes', async (t) => {
  const { url } = await startSim(t);
  const r = await fetch(`${url}/universe/systems/30000142/`);
  assert.equal(r.status, 200);
  const sys = (await r.json()) as Record<string, unknown>;
  assert.equal(sys.name, 'Jita');
  assert.equal(sys.constellation_id, 20000020);
  const etag = r.headers.get('etag');
  assert.ok(etag);
  const expires = Date.parse(r.headers.get('expires') ?? '');
  assert.ok(expires > Date.now() + 50 * 60_000, 'universe data expires in about an hour');
  const again = await fetch(`${url}/universe/systems/30000142/`, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  assert.equal(await again.text(), '');
  assert.ok(Number(again.headers.get('x-esi-error-limit-remain')) > 0);

  const ch = await fetch(`${url}/latest/characters/${characterId(3)}/`);
  assert.equal(ch.status, 200);
  assert.ok(Date.parse(ch.headers.get('expires') ?? '') < Date.now() + 6 * 60_000, 'characters expire in 5 minutes');
  const c = (await ch.json()) as { name: string; corporation_id: number };
  const corp = (await (await fetch(`${url}/v5/corporations/${c.corporation_id}/`)).json()) as { ticker: string; name: string };
  assert.match(corp.ticker, /^[A-Z0-9]{4,5}$/);
  const alliance = (await (await fetch(`${url}/alliances/${allianceId(4)}/`)).json()) as { name: string; executor_corporation_id: number };
  assert.equal(alliance.name, nameFor(allianceId(4)));
  assert.equal((await fetch(`${url}/corporations/${alliance.executor_corporation_id}/`)).status, 200);
  for (const p of [
    '/universe/types/35834/',
    '/universe/groups/1657/',
    '/universe/constellations/20000020/',
    '/universe/regions/10000060/',
  ]) {
    assert.equal((await fetch(url + p)).status, 200, p);
  }
  assert.equal((await fetch(`${url}/universe/types/999999999/`)).status, 404);
});

test('the error limit counts 4xx and answers 420 everywhere once exhausted', async (t) => {
  const { url } = await startSim(t, { esiErrorLimit: 3 });
  const remains: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await fetch(`${url}/universe/types/999999999/`);
    assert.equal(r.status, 404);
    remains.push(r.headers.get('x-esi-error-limit-remain') ?? '');
  }
  assert.deepEqual(remains, ['2', '1', '0']);
  const limited = await fetch(`${url}/universe/systems/30000142/`);
  assert.equal(limited.status, 420);
  assert.ok(Number(limited.headers.get('x-esi-error-limit-reset')) > 0);
  assert.match(((await limited.json()) as { error: string }).error, /error limit/);
});

test('killmail route: rate-limit headers, 404 for a bad hash, 429 with Retry-After when the bucket is empty', async (t) => {
  const { sim, url } = await startSim(t, { killmailBucketTokens: 7, killmailBucketWindowSeconds: 60 });
  sim.publish(1);
  const e = (await (await fetch(`${url}/ephemeral/90000000.json`)).json()) as { killmail_id: number; hash: string; esi: unknown };
  const ok = await fetch(`${url}/killmails/${e.killmail_id}/${e.hash}/`);
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), e.esi);
  const legacy = await fetch(`${url}/v1/killmails/${e.killmail_id}/${e.hash}/`, {
    headers: { 'if-none-match': ok.headers.get('etag') ?? '' },
  });
  assert.equal(legacy.status, 304, 'the /v1/ href form and conditional requests work');
  assert.equal(ok.headers.get('x-ratelimit-group'), 'killmail');
  assert.equal(ok.headers.get('x-ratelimit-limit'), '7/1m');
  assert.equal(ok.headers.get('x-ratelimit-remaining'), '5');
  assert.equal(ok.headers.get('x-ratelimit-used'), '2');
  assert.equal(legacy.headers.get('x-ratelimit-remaining'), '4', 'a 304 costs one token');
  assert.equal(ok.headers.get('x-esi-error-limit-remain'), null, 'the two schemes are exclusive per route');
  const wrong = await fetch(`${url}/killmails/${e.killmail_id}/${'0'.repeat(40)}/`);
  assert.equal(wrong.status, 404); // costs 5: bucket now empty (7 - 2 - 1 - 5 < 0)
  const limited = await fetch(`${url}/killmails/${e.killmail_id}/${e.hash}/`);
  assert.equal(limited.status, 429);
  const retry = Number(limited.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
});
