// The REST server fed by the simulator: R2Z2 entries from a real simulator over HTTP, through the
// pipeline's pure normalise → KillRecord code, into the real store; REST must serve exactly the
// canonical JSON the pipeline produced. /killmail/{id} for kills the store lacks goes through a
// fetcher that calls the simulator's zKB API (/api/killID/{id}/) and ESI killmail route.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSimulator, type Simulator } from '../../src/sim/index.js';
import { normalise, toKillRecord } from '../../src/pipeline/normalise.js';
import { createKillmailFetcher } from '../../src/pipeline/esi-killmail.js';
import type { CanonicalKillmail } from '../../src/core/killmail.js';
import { getJson, startRest, type RestFixture } from './rest-support.js';

const PUBLISHED = 40;
const STORED = 30; // the last 10 are only known to the simulator's zKB API

let sim: Simulator;
let simUrl = '';
let fx: RestFixture;
const stored: CanonicalKillmail[] = [];
const unstored: CanonicalKillmail[] = [];
let fetchKillmail: ReturnType<typeof createKillmailFetcher>;

async function canonicalOf(body: Uint8Array): Promise<CanonicalKillmail> {
  return (await normalise(body, { maxEntryBytes: 4 * 1024 * 1024, fetchKillmail })).killmail;
}

/** What app.ts wires as KillFetcher: zKB API + ESI, normalised, not stored. */
async function fetchKill(id: number): Promise<string | undefined> {
  const res = await fetch(`${simUrl}/api/killID/${id}/`);
  if (res.status !== 200) throw new Error(`zKB API answered ${res.status}`);
  const list = (await res.json()) as unknown[];
  if (list.length === 0) return undefined;
  return JSON.stringify(await canonicalOf(Buffer.from(JSON.stringify(list[0]))));
}

before(async () => {
  sim = createSimulator({ seed: 11, rate: 0 });
  simUrl = (await sim.start()).url;
  fetchKillmail = createKillmailFetcher({ esiUrl: simUrl, userAgent: 'wk-test', compatibilityDate: '2026-07-21', timeoutMs: 5000 });
  sim.publish(PUBLISHED);
  const last = sim.lastSequence;
  for (let seq = last - PUBLISHED + 1; seq <= last; seq++) {
    const res = await fetch(`${simUrl}/ephemeral/${seq}.json`);
    assert.equal(res.status, 200, `entry ${seq}`);
    const km = await canonicalOf(new Uint8Array(await res.arrayBuffer()));
    (stored.length < STORED ? stored : unstored).push(km);
  }
  fx = await startRest({ fetchKill });
  const outcomes = fx.store.writer.writeBatch(stored.map((km) => toKillRecord(km, { replace: false, enriched: false, receivedAtUs: 0 })));
  assert.ok(
    outcomes.every((o) => o === 'stored'),
    outcomes.join(','),
  );
});
after(async () => {
  await fx?.close();
  await sim?.stop();
});

function newestFirst(list: readonly CanonicalKillmail[]): CanonicalKillmail[] {
  return [...list].sort((a, b) => Date.parse(b.kill_time) - Date.parse(a.kill_time) || b.killmail_id - a.killmail_id);
}

describe('REST over simulator-fed kills', () => {
  test('every system lists exactly its pipeline-produced kills, newest first', async () => {
    const bySystem = new Map<number, CanonicalKillmail[]>();
    for (const k of stored) bySystem.set(k.system_id, [...(bySystem.get(k.system_id) ?? []), k]);
    for (const [systemId, kills] of bySystem) {
      const res = await getJson(`${fx.base}/api/v1/kills/system/${systemId}?limit=1000&since_hours=168`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.data.kills, newestFirst(kills));
    }
    const bulk = await getJson(`${fx.base}/api/v1/kills/systems`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ system_ids: [...bySystem.keys()], since_hours: 168, limit: 1000 }),
    });
    for (const [systemId, kills] of bySystem) assert.deepEqual(bulk.body.data.systems_kills[String(systemId)], newestFirst(kills));
  });

  test('kills keep the canonical shape: no nulls, camelCase zkb, required keys present', async () => {
    for (const k of stored.slice(0, 10)) {
      const res = await fetch(`${fx.base}/api/v1/killmail/${k.killmail_id}`);
      const text = await res.text();
      assert.ok(!/:null[,}\]]/.test(text), `no null values in ${k.killmail_id}`);
      const body = JSON.parse(text);
      assert.deepEqual(body.data, k);
      for (const key of ['killmail_id', 'kill_time', 'system_id', 'victim', 'attackers', 'attacker_count'])
        assert.ok(key in body.data, key);
      assert.match(body.data.kill_time, /Z$/);
      if (body.data.zkb) assert.ok('totalValue' in body.data.zkb && !('total_value' in body.data.zkb));
    }
  });

  test('a kill only the zKB API knows is fetched, returned, and not stored', async () => {
    for (const k of unstored.slice(0, 3)) {
      const res = await getJson(`${fx.base}/api/v1/killmail/${k.killmail_id}`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.data, k);
      assert.equal(fx.store.reader.killById(k.killmail_id), undefined);
    }
    const missing = await getJson(`${fx.base}/api/v1/killmail/5`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'not_found');
  });

  test('counts match the stored kills', async () => {
    const k = stored[0]!;
    const expected = stored.filter((s) => s.system_id === k.system_id).length;
    const res = await getJson(`${fx.base}/api/v1/kills/count/${k.system_id}?since_hours=168`);
    assert.equal(res.body.data.count, expected);
  });
});
