// Normalise every real killmail in the shared fixtures (legacy RedisQ packages parse too).
// Skips with a message when the fixtures are absent; normalise.test.ts covers the same code
// with inline samples.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { normalise, toKillRecord } from '../../../src/pipeline/normalise.js';

const ROOT = fileURLToPath(new URL('../../../../shared/fixtures/killmails/', import.meta.url));
const present = existsSync(ROOT);
const skip = present ? false : `shared fixtures absent at ${ROOT}`;
const MAX = 4 * 1024 * 1024;

function files(dir: string): string[] {
  return readdirSync(ROOT + dir)
    .filter((f) => f.endsWith('.json') && f !== 'sequence.json')
    .sort();
}

function run(body: Buffer) {
  const n = normalise(body, { maxEntryBytes: MAX });
  assert.ok(!(n instanceof Promise));
  return n.killmail;
}

describe('shared fixtures', { skip }, () => {
  test('esi/: system, time, victim ship, attacker count, ids', () => {
    const names = files('esi/');
    assert.ok(names.length > 100);
    for (const f of names) {
      const raw = readFileSync(ROOT + 'esi/' + f);
      const src = JSON.parse(raw.toString()) as {
        killmail_id: number;
        killmail_time: string;
        solar_system_id: number;
        moon_id?: number;
        war_id?: number;
        victim: { ship_type_id: number; character_id?: number };
        attackers: unknown[];
      };
      const km = run(raw);
      assert.equal(km.killmail_id, src.killmail_id, f);
      assert.equal(km.system_id, src.solar_system_id, f);
      assert.equal(Date.parse(km.kill_time), Date.parse(src.killmail_time), f);
      assert.match(km.kill_time, /Z$/);
      assert.equal(km.victim.ship_type_id, src.victim.ship_type_id, f);
      assert.equal(km.victim.character_id, src.victim.character_id, f);
      assert.equal(km.attacker_count, src.attackers.length, f);
      assert.equal(km.moon_id, src.moon_id, f);
      assert.equal(km.war_id, src.war_id, f);
      assert.equal('items' in km.victim, false, 'items dropped');
      assert.equal(km.zkb, undefined, 'no zkb metadata in a bare ESI body');
      JSON.parse(toKillRecord(km, { replace: false, enriched: false, receivedAtUs: 0 }).json);
    }
  });

  test('redisq-legacy/: every package parses, zkb kept without href', () => {
    for (const f of files('redisq-legacy/')) {
      const raw = readFileSync(ROOT + 'redisq-legacy/' + f);
      const src = JSON.parse(raw.toString()) as {
        killID: number;
        killmail: { attackers: unknown[] };
        zkb: { totalValue: number; hash: string };
      };
      const km = run(raw);
      assert.equal(km.killmail_id, src.killID, f);
      assert.equal(km.attacker_count, src.killmail.attackers.length, f);
      assert.equal(km.zkb?.totalValue, src.zkb.totalValue, f);
      assert.equal(km.zkb?.hash, src.zkb.hash, f);
      // wrapped in {package} as RedisQ serves it
      const wrapped = run(Buffer.from(`{"package":${raw.toString()}}`));
      assert.deepEqual(wrapped, km, f);
    }
  });

  test('redisq-legacy/ Keepstar (~1 MB, 1000+ attackers) parses under the default limit', () => {
    const raw = readFileSync(ROOT + 'redisq-legacy/131126432_keepstar_kill.json');
    assert.ok(raw.byteLength > 900_000);
    const km = run(raw);
    assert.ok(km.attacker_count > 1000);
  });

  test('r2z2/: entries parse with zkb (attackerCount/href dropped)', () => {
    for (const f of files('r2z2/')) {
      const raw = readFileSync(ROOT + 'r2z2/' + f);
      const src = JSON.parse(raw.toString()) as { killmail_id: number; hash: string; esi: { attackers: unknown[] } };
      const km = run(raw);
      assert.equal(km.killmail_id, src.killmail_id, f);
      assert.equal(km.attacker_count, src.esi.attackers.length, f);
      assert.equal(km.zkb?.hash, src.hash, f);
      assert.deepEqual(Object.keys(km.zkb ?? {}).includes('attackerCount'), false);
    }
  });
});
