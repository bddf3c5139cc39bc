// R2Z2, history, zKB API and control routes of the simulator over real HTTP.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSimulator, type EsiKillmail, type SimOptions, type SimStats, type ZkbMeta } from '../../src/sim/index.js';

/** An R2Z2 entry as served; `esi` is loose because bad entries break its types on purpose. */
interface Entry {
  killmail_id: number;
  hash: string;
  esi: EsiKillmail & Record<string, unknown>;
  zkb: ZkbMeta;
  uploaded_at: number;
  sequence_id: number;
  sequence_updated?: number;
}

async function startSim(t: { after(fn: () => Promise<void>): void }, opts: SimOptions = {}) {
  const sim = createSimulator({ seed: 11, ...opts });
  const { url } = await sim.start();
  t.after(() => sim.stop());
  return { sim, url };
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const r = await fetch(url);
  const text = await r.text();
  return { status: r.status, body: text === '' ? undefined : JSON.parse(text) };
}

test('sequence.json, 404 before publish, 200 after, entry shape', async (t) => {
  const { sim, url } = await startSim(t, { startSequence: 500 });
  // Nothing published yet: the tip is the first sequence to come, never one that will not exist.
  assert.deepEqual((await getJson(`${url}/ephemeral/sequence.json`)).body, { sequence: 500 });
  assert.equal((await getJson(`${url}/ephemeral/500.json`)).status, 404);
  assert.equal(sim.publish(3), 3);
  assert.deepEqual((await getJson(`${url}/ephemeral/sequence.json`)).body, { sequence: 502 });
  const { status, body } = await getJson(`${url}/ephemeral/500.json`);
  assert.equal(status, 200);
  const e = body as Entry;
  assert.deepEqual(Object.keys(e).sort(), ['esi', 'hash', 'killmail_id', 'sequence_id', 'uploaded_at', 'zkb']);
  assert.equal(e.sequence_id, 500);
  assert.equal(e.esi.killmail_id, e.killmail_id);
  assert.equal(e.zkb.href, `${url}/killmails/${e.killmail_id}/${e.hash}/`);
  assert.ok(Math.abs(Date.parse(e.esi.killmail_time) - Date.now()) < 5000, 'kill time is the publish time');
  // The same entry is served byte-identical on every request.
  const a = await (await fetch(`${url}/ephemeral/501.json`)).text();
  assert.equal(await (await fetch(`${url}/ephemeral/501.json`)).text(), a);
  assert.equal((await getJson(`${url}/ephemeral/503.json`)).status, 404);
});

test('sequenceLag makes sequence.json trail the tip', async (t) => {
  const { sim, url } = await startSim(t, { startSequence: 100, sequenceLag: 5 });
  sim.publish(10);
  assert.deepEqual((await getJson(`${url}/ephemeral/sequence.json`)).body, { sequence: 104 });
  const few = await startSim(t, { startSequence: 100, sequenceLag: 5 });
  few.sim.publish(2);
  assert.deepEqual(
    (await getJson(`${few.url}/ephemeral/sequence.json`)).body,
    { sequence: 100 },
    'a lag longer than the log names the first entry',
  );
});

test('a consumer polling from sequence.json sees each entry once while the timer publishes', async (t) => {
  const { sim, url } = await startSim(t, { rate: 400, startSequence: 1000 });
  let next = ((await getJson(`${url}/ephemeral/sequence.json`)).body as { sequence: number }).sequence + 1;
  const seen: number[] = [];
  const deadline = Date.now() + 10_000;
  while (seen.length < 60 && Date.now() < deadline) {
    const r = await fetch(`${url}/ephemeral/${next}.json`);
    if (r.status === 404) {
      await r.arrayBuffer();
      await new Promise<void>((resolve) => {
        const off = sim.onPublish(() => {
          off();
          resolve();
        });
      });
      continue;
    }
    seen.push(((await r.json()) as { sequence_id: number }).sequence_id);
    next++;
  }
  assert.equal(seen.length, 60);
  assert.deepEqual(
    seen,
    Array.from({ length: 60 }, (_, i) => seen[0]! + i),
  );
  assert.equal(new Set(seen).size, 60);
});

test('republish carries sequence_updated and new labels; history, raw history and totals', async (t) => {
  const { sim, url } = await startSim(t, { startSequence: 1, historyDays: 2, historyKillsPerDay: 4 });
  sim.publish(3);
  const seq = sim.republish(2, ['ganked']);
  assert.equal(seq, 4);
  const orig = (await getJson(`${url}/ephemeral/2.json`)).body as Entry;
  const upd = (await getJson(`${url}/ephemeral/4.json`)).body as Entry;
  assert.equal(upd.sequence_updated, 2);
  assert.equal(upd.killmail_id, orig.killmail_id);
  assert.deepEqual(upd.esi, orig.esi);
  assert.ok(upd.zkb.labels.includes('ganked') && !orig.zkb.labels.includes('ganked'));

  const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const h = (await getJson(`${url}/history/${today}.json`)).body as Record<string, string>;
  assert.equal(Object.keys(h).length, 3, 'the republished copy is not a second history entry');
  assert.equal(h[String(orig.killmail_id)], orig.hash);
  const old = (await getJson(`${url}/history/${yesterday}.json`)).body as Record<string, string>;
  assert.equal(Object.keys(old).length, 4);
  const raw = (await getJson(`${url}/history/raw/${yesterday}.json`)).body as Record<string, EsiKillmail>;
  for (const [id, hash] of Object.entries(old)) {
    assert.equal(raw[id]?.killmail_id, Number(id));
    assert.equal((await fetch(`${url}/killmails/${id}/${hash}/`)).status, 200, 'archived kills are on ESI');
  }
  assert.equal((await getJson(`${url}/history/20261340.json`)).status, 404);
  const totals = (await getJson(`${url}/history/totals.json`)).body as Record<string, number>;
  assert.equal(totals[today], 3);
  assert.equal((await getJson(`${url}/api/history/${yesterday}.json`)).status, 200);
});

test('zKB API killID: [ESI + zkb], [] when unknown, 403 with a query string', async (t) => {
  const { sim, url } = await startSim(t);
  sim.publish(1);
  const e = (await getJson(`${url}/ephemeral/90000000.json`)).body as Entry;
  const one = (await getJson(`${url}/api/killID/${e.killmail_id}/`)).body as (EsiKillmail & { zkb: ZkbMeta })[];
  assert.equal(one.length, 1);
  assert.deepEqual({ ...one[0], zkb: undefined }, { ...e.esi, zkb: undefined });
  assert.deepEqual(one[0]!.zkb, e.zkb);
  assert.deepEqual((await getJson(`${url}/api/killID/1/`)).body, []);
  assert.equal((await getJson(`${url}/api/killID/${e.killmail_id}/?x=1`)).status, 403);
});

test('badEvery publishes bad entries in rotation and counts each kind', async (t) => {
  const { sim, url } = await startSim(t, { startSequence: 1, badEvery: 3, hugeEvery: 0 });
  sim.publish(24);
  assert.deepEqual(sim.stats().bad, { malformed_json: 2, missing_killmail_time: 2, wrong_type: 2, oversized: 2 });
  const text = async (seq: number): Promise<string> => (await fetch(`${url}/ephemeral/${seq}.json`)).text();
  await assert.rejects(async () => JSON.parse(await text(3)));
  assert.equal((JSON.parse(await text(6)) as Entry).esi.killmail_time, undefined);
  assert.equal((JSON.parse(await text(9)) as Entry).esi.solar_system_id, 'abc');
  const big = await text(12);
  assert.ok(big.length > 900_000, `oversized entry is ${big.length} bytes`);
  assert.equal((JSON.parse(big) as Entry).esi.attackers.length, 6000);
  assert.equal((JSON.parse(await text(13)) as Entry).sequence_id, 13);
});

test('control routes: stats, publish, republish, faults', async (t) => {
  const { url } = await startSim(t, { startSequence: 10 });
  const p = await fetch(`${url}/_sim/publish?n=4`, { method: 'POST' });
  assert.deepEqual(await p.json(), { published: 4, lastSequence: 13 });
  const r = await fetch(`${url}/_sim/republish?seq=10`, { method: 'POST' });
  assert.deepEqual(await r.json(), { sequence: 14 });
  const bad = await fetch(`${url}/_sim/faults`, { method: 'POST', body: '[{"route":"x","kind":"status"}]' });
  assert.equal(bad.status, 400);
  const ok = await fetch(`${url}/_sim/faults`, { method: 'POST', body: '[{"route":"r2z2","kind":"status","status":502,"count":1}]' });
  assert.equal(ok.status, 200);
  assert.equal((await fetch(`${url}/ephemeral/10.json`)).status, 502);
  assert.equal((await fetch(`${url}/ephemeral/10.json`)).status, 200);
  const stats = (await getJson(`${url}/_sim/stats`)).body as SimStats;
  assert.equal(stats.published, 4);
  assert.equal(stats.republished, 1);
  assert.equal(stats.lastSequence, 14);
  assert.deepEqual(stats.routeStatuses['r2z2.entry'], { '200': 1, '502': 1 });
  assert.equal(stats.faultsApplied.status, 1);
});
