// Request economy of the resolver against a local fake ESI: one request per organisation, one
// esi_unresolvable row per id the names route refuses.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Counters } from '../../../src/telemetry/counters.js';
import { createWorkerEnricher, type EnricherWithWrites } from '../../../src/enrich/index.js';
import type { CanonicalKillmail } from '../../../src/core/killmail.js';
import { assertOrgNames, makeKill, startFakeEsi, type FakeEsi, type SeenRequest } from './helpers.js';

type T = { after: (fn: () => Promise<void> | void) => void };

async function setup(t: T): Promise<{ esi: FakeEsi; enricher: EnricherWithWrites }> {
  const esi = await startFakeEsi();
  const enricher = createWorkerEnricher({
    esiUrl: esi.url,
    userAgent: 'wk-test/1.0 (ops@example.com)',
    compatibilityDate: '2026-07-21',
    dbPath: ':memory:',
    timeoutMs: 2000,
    counters: new Counters(),
    backoffBaseMs: 10,
  });
  t.after(async () => {
    await enricher.close();
    await esi.close();
  });
  return { esi, enricher };
}

/** Requests that asked about `id`: its own route, or a names batch containing it. */
function requestsFor(seen: readonly SeenRequest[], id: number): SeenRequest[] {
  return seen.filter((s) => s.path.includes(`/${id}/`) || (s.path === '/universe/names/' && (JSON.parse(s.body) as number[]).includes(id)));
}

describe('resolver', () => {
  test('an unknown corporation or alliance costs one ESI request, which fills name and ticker', async (t) => {
    const { esi, enricher } = await setup(t);
    const kill = makeKill(10, 4);
    assert.equal(await enricher.enrich(kill, 2000), true);
    const orgs = new Set<number>();
    for (const p of [kill.victim, ...kill.attackers]) {
      if (p.corporation_id !== undefined) orgs.add(p.corporation_id);
      if (p.alliance_id !== undefined) orgs.add(p.alliance_id);
      assertOrgNames(p);
    }
    assert.ok(orgs.size >= 4);
    for (const id of orgs) {
      const asked = requestsFor(esi.seen, id);
      assert.deepEqual(
        asked.map((s) => s.path),
        [`/${id >= 99_000_000 ? 'alliances' : 'corporations'}/${id}/`],
        `org ${id}`,
      );
    }
    // Characters still go in one names batch.
    const names = esi.seen.filter((s) => s.path === '/universe/names/');
    assert.equal(names.length, 1);
    assert.ok((JSON.parse(names[0]!.body) as number[]).includes(kill.victim.character_id!));
  });

  test('an id the names route refuses is queued as one esi_unresolvable row', async (t) => {
    const { esi, enricher } = await setup(t);
    const bad = 90_000_777;
    esi.unknownIds.add(bad);
    const kill: CanonicalKillmail = {
      ...makeKill(11, 0),
      victim: { character_id: bad, ship_type_id: 587, damage_taken: 1 },
      attackers: [{ character_id: 90_000_778, damage_done: 1, final_blow: true, security_status: 0 }],
      attacker_count: 1,
    };
    assert.equal(await enricher.enrich(kill, 2000), true);
    assert.equal(kill.victim.character_name, undefined);
    const rows = enricher.takePendingWrites().filter((w) => w.table === 'esi_unresolvable');
    assert.deepEqual(
      rows.map((w) => w.row.id),
      [bad],
    );
    // Still remembered for every entity reader: asking again makes no request.
    const before = esi.seen.length;
    const again: CanonicalKillmail = {
      ...makeKill(12, 0),
      victim: { character_id: bad, corporation_id: bad, ship_type_id: 587, damage_taken: 1 },
      attackers: [],
      attacker_count: 0,
    };
    await enricher.enrich(again, 1000);
    assert.equal(requestsFor(esi.seen.slice(before), bad).length, 0);
  });
});
