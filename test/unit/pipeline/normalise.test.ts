import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { CanonicalKillmail } from '../../../src/core/killmail.js';
import { normalise, toKillRecord, isOlder, type Normalised } from '../../../src/pipeline/normalise.js';
import { isoZ, parseIsoMs } from '../../../src/pipeline/validate.js';
import { bytes, esiKillmail, r2z2Entry, zkbMeta } from '../../fixtures/pipeline-samples.js';

const MAX = 4 * 1024 * 1024;

function sync(body: Uint8Array): Normalised {
  const n = normalise(body, { maxEntryBytes: MAX });
  assert.ok(!(n instanceof Promise), 'inline entries normalise synchronously');
  return n;
}

describe('normalise: accepted shapes', () => {
  test('R2Z2 entry -> canonical killmail', () => {
    const { killmail: km, replace } = sync(bytes(r2z2Entry()));
    assert.equal(replace, false);
    assert.deepEqual(km, {
      killmail_id: 1001,
      kill_time: '2026-01-01T00:00:00Z',
      system_id: 30000142,
      victim: {
        character_id: 90000001,
        corporation_id: 98000001,
        alliance_id: 99000001,
        ship_type_id: 587,
        damage_taken: 2847,
        position: { x: 1.5, y: -2, z: 3 },
      },
      attackers: [
        {
          character_id: 90000002,
          corporation_id: 98000002,
          ship_type_id: 621,
          weapon_type_id: 2185,
          damage_done: 2000,
          final_blow: true,
          security_status: -1.5,
        },
        { character_id: 90000002, corporation_id: 98000002, ship_type_id: 621, damage_done: 847, final_blow: false, security_status: -1.5 },
        { corporation_id: 1000125, faction_id: 500004, ship_type_id: 3740, damage_done: 0, final_blow: false, security_status: 0 },
      ],
      attacker_count: 3,
      zkb: {
        locationID: 40009082,
        hash: 'abc123',
        fittedValue: 10_000_000,
        droppedValue: 1_000,
        destroyedValue: 9_000_000,
        totalValue: 10_001_000,
        points: 1,
        npc: false,
        solo: true,
        awox: false,
        labels: ['pvp', 'solo'],
      },
    } satisfies CanonicalKillmail);
  });

  test('R2Z2 sequence_updated marks a replacement', () => {
    assert.equal(sync(bytes(r2z2Entry(1001, { sequence_updated: 4000 }))).replace, true);
  });

  test('RedisQ inline package, wrapped and bare', () => {
    const pkg = { killID: 1001, killmail: esiKillmail(), zkb: zkbMeta() };
    const a = sync(bytes({ package: pkg })).killmail;
    const b = sync(bytes(pkg)).killmail;
    assert.deepEqual(a, b);
    assert.equal(a.zkb?.hash, 'abc123');
    assert.equal('href' in (a.zkb ?? {}), false, 'href dropped');
    assert.equal('attackerCount' in (a.zkb ?? {}), false, 'attackerCount dropped');
  });

  test('bare ESI killmail with killmail_hash and no zkb: zkb omitted', () => {
    const km = sync(bytes({ ...esiKillmail(), killmail_hash: 'h1' })).killmail;
    assert.equal(km.zkb, undefined);
    assert.equal(JSON.stringify(km).includes('"zkb"'), false);
  });

  test('zKB API list of one element (GET /api/killID/{id}/) normalises like the element', () => {
    const element = { ...esiKillmail(), zkb: zkbMeta() };
    assert.deepEqual(sync(bytes([element])).killmail, sync(bytes(element)).killmail);
    for (const list of [[], [element, element]]) {
      assert.throws(
        () => normalise(bytes(list), { maxEntryBytes: MAX }),
        (err: { reason?: string }) => err.reason === 'shape',
      );
    }
  });

  test('zKB API element (ESI fields + zkb)', () => {
    const km = sync(bytes({ ...esiKillmail(), zkb: zkbMeta({ npc: true, labels: undefined }) })).killmail;
    assert.equal(km.zkb?.npc, true);
    assert.deepEqual(km.zkb?.labels, []);
  });

  test('defaults: damage 0, final_blow false, security 0, zkb flags false, labels []', () => {
    const km = sync(
      bytes({
        ...esiKillmail(7, { victim: { ship_type_id: 670 }, attackers: [{}], war_id: 55, moon_id: null }),
        zkb: { hash: 'x' },
      }),
    ).killmail;
    assert.deepEqual(km.victim, { ship_type_id: 670, damage_taken: 0 });
    assert.deepEqual(km.attackers, [{ damage_done: 0, final_blow: false, security_status: 0 }]);
    assert.equal(km.war_id, 55);
    assert.equal('moon_id' in km, false, 'null keys are omitted');
    assert.deepEqual(km.zkb, {
      hash: 'x',
      fittedValue: 0,
      droppedValue: 0,
      destroyedValue: 0,
      totalValue: 0,
      points: 0,
      npc: false,
      solo: false,
      awox: false,
      labels: [],
    });
  });

  test('empty attackers array is accepted (attacker_count 0)', () => {
    const km = sync(bytes(esiKillmail(8, { attackers: [] }))).killmail;
    assert.equal(km.attacker_count, 0);
  });

  test('zkb without a hash falls back to the R2Z2 top-level hash', () => {
    const km = sync(bytes(r2z2Entry(1001, { zkb: zkbMeta({ hash: undefined }) }))).killmail;
    assert.equal(km.zkb?.hash, 'abc123');
  });

  test('short RedisQ package fetches the killmail through the injected fetch', async () => {
    const calls: string[] = [];
    const n = await normalise(bytes({ package: { killID: 1001, zkb: zkbMeta() } }), {
      maxEntryBytes: MAX,
      fetchKillmail: async (id, hash) => {
        calls.push(`${id}/${hash}`);
        return esiKillmail(id);
      },
    });
    assert.deepEqual(calls, ['1001/abc123']);
    assert.equal(n.killmail.killmail_id, 1001);
    assert.equal(n.killmail.zkb?.totalValue, 10_001_000);
  });

  test('zKB reference {killmail_id, zkb} is fetched like a short package', async () => {
    const n = await normalise(bytes({ killmail_id: 1001, zkb: zkbMeta() }), {
      maxEntryBytes: MAX,
      fetchKillmail: async (id) => esiKillmail(id),
    });
    assert.equal(n.killmail.attacker_count, 3);
  });
});

describe('kill time', () => {
  test('ISO forms normalise to UTC with Z', () => {
    assert.equal(isoZ(parseIsoMs('2026-01-01T00:00:00Z')), '2026-01-01T00:00:00Z');
    assert.equal(isoZ(parseIsoMs('2026-01-01T02:00:00+02:00')), '2026-01-01T00:00:00Z');
    assert.equal(isoZ(parseIsoMs('2026-01-01T00:00:00')), '2026-01-01T00:00:00Z', 'no zone means UTC');
    assert.equal(isoZ(parseIsoMs('2026-01-01 00:00:00.250Z')), '2026-01-01T00:00:00.250Z');
    assert.ok(Number.isNaN(parseIsoMs('yesterday')));
  });
});

describe('KillRecord', () => {
  test('json once, unique character ids, value, npc, older, replace', () => {
    const { killmail } = sync(bytes(r2z2Entry()));
    const rec = toKillRecord(killmail, { replace: true, enriched: false, receivedAtUs: 123 });
    assert.equal(rec.json, JSON.stringify(killmail));
    assert.deepEqual(rec.characterIds, [90000001, 90000002]);
    assert.equal(rec.victimCharacterId, 90000001);
    assert.equal(rec.totalValue, 10_001_000);
    assert.equal(rec.npc, false);
    assert.equal(rec.killTimeMs, Date.UTC(2026, 0, 1));
    assert.equal(rec.replace, true);
    assert.equal(rec.receivedAtUs, 123);
    assert.equal(isOlder(rec.killTimeMs, Date.UTC(2026, 0, 2)), true);
    assert.equal(isOlder(rec.killTimeMs, Date.UTC(2025, 0, 1)), false);
    assert.equal(isOlder(rec.killTimeMs, 0), false, 'cutoff 0 disables');
  });
});

describe('rejected fields name their path', () => {
  // The paths are built only when a field is rejected (validate.ts): each must still read as before.
  const rejected = (mutate: (e: { esi: Record<string, any>; zkb: Record<string, any> }) => void): string => {
    const e = r2z2Entry() as { esi: Record<string, any>; zkb: Record<string, any> };
    mutate(e);
    try {
      sync(bytes(e));
    } catch (err) {
      return `${(err as { reason: string }).reason} ${(err as Error).message}`;
    }
    return 'accepted';
  };
  test('top level, victim, position, attackers by index, zkb', () => {
    assert.equal(
      rejected((e) => delete e.esi['solar_system_id']),
      'missing_field solar_system_id: required',
    );
    assert.equal(
      rejected((e) => (e.esi['solar_system_id'] = 0)),
      'wrong_type solar_system_id: expected positive integer, got number',
    );
    assert.equal(
      rejected((e) => (e.esi['moon_id'] = 1.5)),
      'wrong_type killmail.moon_id: expected integer, got number',
    );
    assert.equal(
      rejected((e) => (e.esi['victim'].ship_type_id = -1)),
      'wrong_type victim.ship_type_id: expected integer, got number',
    );
    assert.equal(
      rejected((e) => (e.esi['victim'].position.y = 'up')),
      'wrong_type victim.position.y: expected number, got string',
    );
    const second = (e: { esi: Record<string, any> }): Record<string, unknown> => {
      e.esi['attackers'].push({ ...e.esi['attackers'][0] });
      return e.esi['attackers'][1];
    };
    assert.equal(
      rejected((e) => (second(e)['damage_done'] = '5')),
      'wrong_type attackers[1].damage_done: expected number, got string',
    );
    assert.equal(
      rejected((e) => (second(e)['final_blow'] = 1)),
      'wrong_type attackers[1].final_blow: expected boolean, got number',
    );
    assert.equal(
      rejected((e) => (second(e)['alliance_id'] = null)),
      'accepted',
      'null is absent',
    );
    assert.equal(
      rejected((e) => (e.esi['attackers'][0] = 7)),
      'wrong_type attackers[0]: expected object, got number',
    );
    assert.equal(
      rejected((e) => (e.zkb['totalValue'] = [])),
      'wrong_type zkb.totalValue: expected number, got array',
    );
    assert.equal(
      rejected((e) => (e.zkb['npc'] = 'no')),
      'wrong_type zkb.npc: expected boolean, got string',
    );
  });
});
