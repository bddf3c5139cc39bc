// The transcoder (src/pipeline/transcode.ts) against the general path it stands in for: for every
// entry it accepts, its canonical bytes and record fields equal normalise + toKillRecord's; every
// entry the general path rejects, it gives up on (so the rejection and its message stay the
// general path's). Inputs: simulator kills, hand-made edge cases, fuzzed mutations, and the real
// killmails of the shared fixtures when present.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { normalise, toKillRecord } from '../../../src/pipeline/normalise.js';
import { createResultCodec, killResult, type KillResult } from '../../../src/pipeline/result-codec.js';
import { Transcoder } from '../../../src/pipeline/transcode.js';
import { generateKill } from '../../../src/sim/index.js';
import { bytes, crowdedKillmail, esiKillmail, r2z2Entry, zkbMeta } from '../../fixtures/pipeline-samples.js';
import { fuzz, mutateAt, ReasonTally } from '../../fixtures/fuzz.js';

const MAX = 4 * 1024 * 1024;
const t = new Transcoder();
const text = (b: { a: Uint8Array; n: number }): string => Buffer.from(b.a.subarray(0, b.n)).toString('latin1');

/** The general path's record, or undefined when it rejects (or needs an ESI fetch). */
function general(body: Uint8Array) {
  try {
    const n = normalise(body, { maxEntryBytes: MAX });
    if (n instanceof Promise) {
      n.catch(() => undefined);
      return undefined;
    }
    return toKillRecord(n.killmail, { replace: n.replace, enriched: false, receivedAtUs: 0 });
  } catch {
    return undefined;
  }
}

/** Asserts the two paths agree on `body`; returns whether the transcoder took it. */
function agree(body: Uint8Array, label: string): boolean {
  const want = general(body);
  if (!t.transcode(body)) return false;
  assert.ok(want !== undefined, `${label}: the transcoder accepted an entry the general path rejects: ${Buffer.from(body).toString()}`);
  assert.equal(text(t.json), want.json, `${label}: canonical JSON`);
  assert.deepEqual([...t.characterIds.subarray(0, t.characterCount)], want.characterIds, `${label}: character ids`);
  assert.equal(text(t.text), want.characterText, `${label}: character text`);
  const fields = [t.killmailId, t.systemId, t.killTimeMs, t.victimCharacterId, t.totalValue, t.npc, t.replace];
  const wanted = [want.killmailId, want.systemId, want.killTimeMs, want.victimCharacterId, want.totalValue, want.npc, want.replace];
  assert.deepEqual(fields, wanted, `${label}: record fields`);
  return true;
}

const json = (v: unknown): Uint8Array => bytes(v);
const raw = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('transcoder', () => {
  test('simulator kills, as R2Z2 entries and as bare ESI killmails, are all taken and equal', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    for (let i = 0; i < 400; i++) {
      const k = generateKill(1_000 + i, { seed: 3 + (i % 5), esiBaseUrl: 'http://127.0.0.1' }, now);
      const entry = { killmail_id: k.killmail_id, hash: k.hash, esi: k.esi, zkb: k.zkb, uploaded_at: 1, sequence_id: i };
      assert.ok(agree(json(entry), `sim r2z2 ${i}`), `sim r2z2 ${i} taken`);
      assert.ok(agree(json({ ...k.esi, killmail_hash: k.hash }), `sim esi ${i}`), `sim esi ${i} taken`);
    }
  });

  test('edge cases match the general path, or are left to it', () => {
    const cases: Array<[string, Uint8Array, boolean]> = [
      ['plain r2z2', json(r2z2Entry()), true],
      ['sequence_updated replaces', json(r2z2Entry(7, { sequence_updated: 5 })), true],
      ['sequence_updated null', json(r2z2Entry(7, { sequence_updated: null })), true],
      ['esi with zkb', json({ ...esiKillmail(), zkb: zkbMeta() }), true],
      ['esi, hash only from killmail_hash', json({ ...esiKillmail(), killmail_hash: 'abc', zkb: zkbMeta({ hash: null }) }), true],
      ['zkb without any hash is dropped', json({ ...esiKillmail(), zkb: zkbMeta({ hash: undefined }) }), true],
      ['zkb with an empty hash is dropped', json(r2z2Entry(1001, { zkb: zkbMeta({ hash: '' }) })), true],
      ['zkb null', json(r2z2Entry(1001, { zkb: null })), true],
      ['labels null and absent', json(r2z2Entry(1001, { zkb: zkbMeta({ labels: null }) })), true],
      ['crowded kill (Set path)', json(crowdedKillmail(5, 300)), true],
      ['pretty-printed', raw(JSON.stringify(r2z2Entry(), null, 2)), true],
      ['ids <= 0 dropped', json(esiKillmail(1001, { victim: { character_id: 0, corporation_id: -5, ship_type_id: 670 } })), true],
      ['ship_type_id 0 kept', json(esiKillmail(1001, { victim: { ship_type_id: 0 } })), true],
      ['no attackers', json(esiKillmail(1001, { attackers: [] })), true],
      ['position null', json(esiKillmail(1001, { victim: { ship_type_id: 1, position: null } })), true],
      ['empty position', json(esiKillmail(1001, { victim: { ship_type_id: 1, position: {} } })), true],
      [
        'numbers to normalise',
        raw(
          '{"killmail_id":5.0,"killmail_time":"2026-01-01T00:00:00Z","solar_system_id":3e7,"victim":{"ship_type_id":1,"damage_taken":1.50,"position":{"x":1e21,"y":-0,"z":0.0000001}},"attackers":[{"damage_done":12.0,"security_status":-0.0,"character_id":9007199254740991}]}',
        ),
        true,
      ],
      [
        '17 significant digits',
        raw(
          '{"killmail_id":1,"killmail_time":"2026-01-01T00:00:00Z","solar_system_id":1,"victim":{"ship_type_id":1,"position":{"x":0.30000000000000004,"y":22851803340.017796,"z":1.0000000000000002}},"attackers":[]}',
        ),
        true,
      ],
      [
        'unsafe integer id',
        raw(
          '{"killmail_id":1,"killmail_time":"2026-01-01T00:00:00Z","solar_system_id":1,"victim":{"ship_type_id":1,"character_id":9007199254740993},"attackers":[]}',
        ),
        false,
      ],
      [
        'fractional id',
        raw('{"killmail_id":1.5,"killmail_time":"2026-01-01T00:00:00Z","solar_system_id":1,"victim":{"ship_type_id":1},"attackers":[]}'),
        false,
      ],
      ['time with milliseconds', json(esiKillmail(1001, { killmail_time: '2026-01-01T00:00:00.250Z' })), false],
      ['time with an offset', json(esiKillmail(1001, { killmail_time: '2026-01-01T02:00:00+02:00' })), false],
      ['February 30th', json(esiKillmail(1001, { killmail_time: '2026-02-30T00:00:00Z' })), false],
      ['time not a string', json(esiKillmail(1001, { killmail_time: 5 })), false],
      ['escaped string', raw(JSON.stringify(r2z2Entry()).replace('"hash":"', '"hash":"\\u0061')), false],
      ['non-ASCII label', json(r2z2Entry(1001, { zkb: zkbMeta({ labels: ['ü'] }) })), false],
      ['duplicate key, last wins in JSON.parse', raw(JSON.stringify(esiKillmail()).replace('{', '{"solar_system_id":1,')), false],
      ['esi id differs', json(r2z2Entry(1001, { killmail_id: 1002 })), false],
      ['RedisQ package', json({ package: { killID: 1001, killmail: esiKillmail(), zkb: zkbMeta() } }), false],
      ['zKB API list', json([{ ...esiKillmail(), zkb: zkbMeta() }]), false],
      ['short package to fetch', json({ killmail_id: 1001, zkb: zkbMeta() }), false],
      ['trailing garbage', raw(JSON.stringify(r2z2Entry()) + 'x'), false],
      ['truncated', raw(JSON.stringify(r2z2Entry()).slice(0, 200)), false],
      ['victim missing', json(esiKillmail(1001, { victim: undefined })), false],
      ['attackers not a list', json(esiKillmail(1001, { attackers: {} })), false],
      ['final_blow a number', json(esiKillmail(1001, { attackers: [{ final_blow: 1 }] })), false],
      [
        'deep nesting in a skipped field',
        raw(JSON.stringify(esiKillmail()).replace('{', '{"x":' + '['.repeat(500) + ']'.repeat(500) + ',')),
        false,
      ],
      ['BOM', new Uint8Array([0xef, 0xbb, 0xbf, ...json(r2z2Entry())]), false],
    ];
    for (const [label, body, taken] of cases) assert.equal(agree(body, label), taken, `${label}: taken by the transcoder`);
  });

  test('fuzzed entries: taken and equal, or left to the general path', async (t) => {
    const tally = new ReasonTally();
    const samples = [esiKillmail(), r2z2Entry(), { ...esiKillmail(), zkb: zkbMeta() }, crowdedKillmail(9, 70)];
    const replacement = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(
        -1,
        0,
        -0,
        1.5,
        1e21,
        1e-7,
        0.1 + 0.2,
        2 ** 53,
        2 ** 53 + 2,
        '',
        'ä',
        '2026-13-45T99:99:99Z',
        '2026-02-28T23:59:59Z',
        [],
        {},
        null,
      ),
    );
    const mutated = fc.record({
      sample: fc.nat(samples.length - 1),
      path: fc.array(fc.nat(40), { minLength: 1, maxLength: 5 }),
      replacement,
      remove: fc.boolean(),
      indent: fc.constantFrom(undefined, 1, '\t'),
    });
    await fuzz(
      'transcoder mutated entries',
      fc.property(mutated, ({ sample, path, replacement: r, remove, indent }) => {
        const body = raw(JSON.stringify(mutateAt(samples[sample], path, r, remove), null, indent));
        tally.add(agree(body, 'fuzzed') ? 'taken' : 'left');
      }),
      3000,
    );
    await fuzz(
      'transcoder random bytes',
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        tally.add(agree(b, 'random') ? 'taken' : 'left');
      }),
      2000,
    );
    t.diagnostic(tally.toString());
    assert.ok((tally.counts.get('taken') ?? 0) > 500, 'most mutations stay on the fast path');
  });

  test('an entry cut anywhere, as a view whose buffer holds the rest of it, is left to the general path', () => {
    const whole = json(r2z2Entry(77, { esi: { ...esiKillmail(77), attackers: crowdedKillmail(77, 3)['attackers'] } }));
    assert.ok(agree(whole, 'whole'));
    for (let cut = 0; cut < whole.byteLength; cut++) assert.equal(agree(whole.subarray(0, cut), `cut at ${cut}`), false, `cut at ${cut}`);
    // The same entry further into a shared buffer (as in a ring) still reads whole.
    const shared = new Uint8Array(whole.byteLength + 11);
    shared.set(whole, 7);
    assert.ok(agree(shared.subarray(7, 7 + whole.byteLength), 'offset view'));
  });

  test('its result record decodes to the general path record', () => {
    const codec = createResultCodec();
    const body = json(r2z2Entry(4242, { sequence_updated: 3 }));
    const want = general(body);
    assert.ok(want !== undefined && t.transcode(body));
    const h = { entryId: 9, seq: 77, receivedAtUs: 123456, cutoffMs: 0, source: 'r2z2' as const };
    const fast = codec.decode(codec.encodeTranscoded(h, true, t).slice()) as KillResult;
    const slow = codec.decode(codec.encode(killResult(9, 77, 'r2z2', true, { ...want, receivedAtUs: 123456 })).slice()) as KillResult;
    assert.deepEqual(fast, slow);
  });
});

const ROOT = fileURLToPath(new URL('../../../../shared/fixtures/killmails/', import.meta.url));

describe('transcoder on the shared fixtures', { skip: existsSync(ROOT) ? false : `shared fixtures absent at ${ROOT}` }, () => {
  test('every real ESI killmail and R2Z2 entry is taken and equal; RedisQ packages are left', () => {
    for (const dir of ['esi/', 'r2z2/', 'redisq-legacy/']) {
      let taken = 0;
      const names = readdirSync(ROOT + dir).filter((f) => f.endsWith('.json') && f !== 'sequence.json');
      for (const f of names) if (agree(readFileSync(ROOT + dir + f), dir + f)) taken++;
      if (dir === 'redisq-legacy/') assert.equal(taken, 0, dir);
      else assert.ok(taken >= names.length - 1, `${dir}: ${taken} of ${names.length} taken`);
    }
  });
});
