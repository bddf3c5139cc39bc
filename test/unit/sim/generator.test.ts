import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ALL_TYPES, SYSTEMS_BY_ID } from '../../../src/sim/data.js';
import { generateKill } from '../../../src/sim/generator.js';
import { CHARACTER_POOL, characterId, nameFor } from '../../../src/sim/names.js';

const T = Date.UTC(2026, 10, 26, 12, 0, 0);

describe('generateKill', () => {
  test('same seed, index and time give the same bytes; another seed differs', () => {
    for (const i of [0, 1, 17, 999, 123_456]) {
      assert.equal(JSON.stringify(generateKill(i, { seed: 42 }, T)), JSON.stringify(generateKill(i, { seed: 42 }, T)));
    }
    assert.notEqual(JSON.stringify(generateKill(5, { seed: 42 }, T)), JSON.stringify(generateKill(5, { seed: 43 }, T)));
  });

  test('a kill is independent of the kills generated before it', () => {
    const direct = JSON.stringify(generateKill(300, { seed: 9 }, T));
    for (let i = 0; i < 300; i++) generateKill(i, { seed: 9 }, T);
    assert.equal(JSON.stringify(generateKill(300, { seed: 9 }, T)), direct);
  });

  test('ids, hash, time and zkb follow the ESI and zKillboard shapes', () => {
    const k = generateKill(7, { seed: 1, startKillmailId: 1000, esiBaseUrl: 'http://x' }, T);
    assert.equal(k.killmail_id, 1007);
    assert.equal(k.esi.killmail_id, 1007);
    assert.match(k.hash, /^[0-9a-f]{40}$/);
    assert.equal(k.esi.killmail_time, '2026-11-26T12:00:00Z');
    assert.equal(k.zkb.hash, k.hash);
    assert.equal(k.zkb.href, `http://x/killmails/1007/${k.hash}/`);
    assert.equal(k.zkb.attackerCount, k.esi.attackers.length);
    assert.equal(k.esi.attackers.filter((a) => a.final_blow).length, 1);
    assert.equal(
      k.esi.victim.damage_taken,
      k.esi.attackers.reduce((s, a) => s + a.damage_done, 0),
    );
    assert.ok(SYSTEMS_BY_ID.has(k.esi.solar_system_id));
    assert.equal(k.zkb.totalValue, Math.round((k.zkb.droppedValue + k.zkb.destroyedValue) * 100) / 100);
  });

  test('the first 3000 kills have realistic variety', () => {
    const c = { pods: 0, npcOnly: 0, structures: 0, huge: 0, solo: 0, blob: 0, wars: 0, moons: 0, nested: 0, noPosition: 0, noWeapon: 0 };
    for (let i = 0; i < 3000; i++) {
      const { esi, zkb } = generateKill(i, { seed: 1, hugeEvery: 1000 }, T);
      if (esi.victim.ship_type_id === 670) c.pods++;
      if (zkb.npc) c.npcOnly++;
      if (esi.victim.character_id === undefined) c.structures++;
      if (esi.attackers.length >= 1000) c.huge++;
      if (zkb.solo) c.solo++;
      if (esi.attackers.length > 10 && esi.attackers.length < 1000) c.blob++;
      if (esi.war_id !== undefined) c.wars++;
      if (esi.moon_id !== undefined) c.moons++;
      if (esi.victim.items?.some((it) => it.items !== undefined)) c.nested++;
      if (esi.victim.position === undefined) c.noPosition++;
      if (esi.attackers.some((a) => a.character_id !== undefined && a.weapon_type_id === undefined)) c.noWeapon++;
      if (zkb.npc)
        assert.ok(
          esi.attackers.every((a) => a.character_id === undefined),
          `kill ${i}: npc kill with a pilot`,
        );
      for (const a of esi.attackers)
        if (a.ship_type_id !== undefined) assert.ok(ALL_TYPES.has(a.ship_type_id), `unknown ship ${a.ship_type_id}`);
    }
    assert.equal(c.huge, 3, 'hugeEvery=1000 gives exactly 3 kills of 1000+ attackers in 3000');
    for (const [k, v] of Object.entries(c)) assert.ok(v > 0, `${k} never generated`);
    assert.ok(c.pods > 150 && c.pods < 600, `pods ${c.pods}`);
    assert.ok(c.npcOnly > 100 && c.npcOnly < 400, `npc ${c.npcOnly}`);
    assert.ok(c.structures >= 30, `structures ${c.structures}`);
  });

  test('pilots recur across kills and have names', () => {
    const seen = new Map<number, number>();
    for (let i = 0; i < 500; i++) {
      const { esi } = generateKill(i, { seed: 5 }, T);
      for (const p of [esi.victim, ...esi.attackers]) if (p.character_id) seen.set(p.character_id, (seen.get(p.character_id) ?? 0) + 1);
    }
    const frequent = [...seen.values()].filter((n) => n >= 5).length;
    assert.ok(frequent > 20, `only ${frequent} characters appear 5+ times`);
    assert.ok(seen.size <= CHARACTER_POOL);
    assert.ok((seen.get(characterId(0)) ?? 0) > 0, 'the most common pilot appears');
    for (const id of seen.keys()) assert.match(nameFor(id) ?? '', /^\S+ \S+$/);
  });

  test('overrides force the attacker count and add labels', () => {
    const k = generateKill(3, { seed: 1 }, T, { attackers: 6000, extraLabels: ['ganked'] });
    assert.equal(k.esi.attackers.length, 6000);
    assert.ok(k.zkb.labels.includes('ganked'));
    assert.ok(JSON.stringify(k).length > 900_000);
  });
});
