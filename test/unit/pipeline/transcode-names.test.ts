// The transcoder with names (WarmNames, src/enrich/warm-names.ts) against the general path it
// stands in for: normalise, then Resolver.fill on the same warm caches, then JSON.stringify. A
// kill the caches complete is taken and byte-equal, counted as enrich() counts it; a kill they
// cannot complete (not cached, expired, a name without its ticker, a group or region unknown) is
// left to the general path, which looks it up.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CanonicalKillmail } from '../../../src/core/killmail.js';
import { NameCache, PERMANENT, type EntryOf, type Namespace } from '../../../src/enrich/cache.js';
import type { EsiClient } from '../../../src/enrich/esi-client.js';
import { Resolver } from '../../../src/enrich/resolve.js';
import { createWarmNames } from '../../../src/enrich/warm-names.js';
import { normalise, toKillRecord } from '../../../src/pipeline/normalise.js';
import { createResultCodec, killResult, type KillResult } from '../../../src/pipeline/result-codec.js';
import { Transcoder } from '../../../src/pipeline/transcode.js';
import { generateKill } from '../../../src/sim/index.js';
import { Counters } from '../../../src/telemetry/counters.js';
import fc from 'fast-check';
import { fuzz, mutateAt, ReasonTally } from '../../fixtures/fuzz.js';
import { bytes, crowdedKillmail, esiKillmail, r2z2Entry } from '../../fixtures/pipeline-samples.js';

const MAX = 4 * 1024 * 1024;
const NOW = Date.parse('2026-11-30T12:00:00Z');
const utf8 = (b: { a: Uint8Array; n: number }): string => Buffer.from(b.a.subarray(0, b.n)).toString('utf8');

/** Two caches with the same entries: one read by the general path, one by the transcoder. */
function caches() {
  const make = () => {
    const counters = new Counters();
    const cache = new NameCache({ dbPath: ':memory:', counters, now: () => NOW });
    return { counters, cache, resolver: new Resolver({} as EsiClient, cache, counters) };
  };
  const general = make();
  const fast = make();
  const names = createWarmNames(fast.cache, fast.counters);
  return {
    general,
    fast,
    transcoder: new Transcoder(names),
    put<N extends Namespace>(ns: N, id: number, entry: EntryOf[N] | { unresolvable: true; expiresAtMs: number }): void {
      for (const c of [general.cache, fast.cache]) {
        if ('unresolvable' in entry) c.markUnresolvable(ns, id, entry.expiresAtMs);
        else c.put(ns, id, entry);
      }
    },
  };
}

type Caches = ReturnType<typeof caches>;

/** Every id of the kill, named: characters, corporations and alliances with tickers, ships and their groups, the system. */
function warm(c: Caches, kill: CanonicalKillmail, name: (id: number) => string = (id) => `Name ${id}`): void {
  const entity = (id: number) => ({ name: name(id), ticker: `T${id % 1000}`, expiresAtMs: NOW + 3_600_000 });
  for (const p of [kill.victim, ...kill.attackers]) {
    if (p.character_id !== undefined)
      c.put('character', p.character_id, { name: name(p.character_id), ticker: undefined, expiresAtMs: NOW + 3_600_000 });
    if (p.corporation_id !== undefined) c.put('corporation', p.corporation_id, entity(p.corporation_id));
    if (p.alliance_id !== undefined) c.put('alliance', p.alliance_id, entity(p.alliance_id));
    if (p.ship_type_id !== undefined && p.ship_type_id > 0) {
      c.put('type', p.ship_type_id, { name: name(p.ship_type_id), groupId: 25, expiresAtMs: PERMANENT });
    }
  }
  c.put('group', 25, { name: 'Frigate', categoryId: 6, expiresAtMs: PERMANENT });
  c.put('system', kill.system_id, {
    name: `System ${kill.system_id}`,
    securityStatus: 0.4567,
    constellationId: 20000001,
    regionId: 10000002,
    expiresAtMs: PERMANENT,
  });
}

function canonical(body: Uint8Array): CanonicalKillmail {
  const n = normalise(body, { maxEntryBytes: MAX });
  if (n instanceof Promise) {
    n.catch(() => undefined); // an entry to fetch: rejected here, without ESI
    throw new Error('an entry that needs an ESI fetch');
  }
  return n.killmail;
}

/** The general path's enriched record when its caches complete the kill, else undefined. */
function general(c: Caches, body: Uint8Array) {
  const kill = canonical(body);
  c.general.counters.inc('enrich.kills');
  const complete = c.general.resolver.fill(kill, { names: new Set(), jobs: new Map() });
  if (!complete) return undefined;
  c.general.counters.inc('enrich.complete');
  return toKillRecord(kill, { replace: false, enriched: true, receivedAtUs: 0 });
}

/** general(), or undefined when the general path rejects the entry. */
function generalOrRejected(c: Caches, body: Uint8Array) {
  try {
    return general(c, body);
  } catch {
    return undefined;
  }
}

/** Asserts both paths agree on `body`; returns whether the transcoder took it. */
function agree(c: Caches, body: Uint8Array, label: string): boolean {
  const want = general(c, body);
  const taken = c.transcoder.transcode(body);
  if (taken) c.transcoder.commitNames();
  assert.equal(taken, want !== undefined, `${label}: taken exactly when the caches complete the kill`);
  if (!taken || want === undefined) return false;
  assert.equal(c.transcoder.enriched, true, `${label}: enriched`);
  assert.equal(utf8(c.transcoder.json), want.json, `${label}: canonical JSON with names`);
  assert.equal(utf8(c.transcoder.text), want.characterText, `${label}: character text`);
  return true;
}

function simKill(i: number) {
  const k = generateKill(5_000 + i, { seed: 7 + (i % 3), esiBaseUrl: 'http://127.0.0.1' }, NOW);
  return bytes({ killmail_id: k.killmail_id, hash: k.hash, esi: k.esi, zkb: k.zkb, uploaded_at: 1, sequence_id: i });
}

describe('transcoder with warm names', () => {
  test('simulator kills the caches complete are taken, byte-equal, and counted as enrich() counts them', () => {
    const c = caches();
    for (let i = 0; i < 300; i++) {
      const body = simKill(i);
      warm(c, canonical(body));
      assert.ok(agree(c, body, `sim ${i}`), `sim ${i} taken`);
    }
    const a = c.general.cache.stats();
    const b = c.fast.cache.stats();
    for (const k of [
      'enrich.kills',
      'enrich.complete',
      'enrich.cache.hit',
      'enrich.cache.miss',
      'enrich.cache.hit.type',
      'enrich.cache.hit.group',
    ]) {
      assert.equal(b[k], a[k], `counter ${k}`);
    }
    assert.equal(b['enrich.complete'], 300);
  });

  test('its result record decodes to the general path record, flagged enriched', () => {
    const c = caches();
    const body = simKill(1);
    warm(c, canonical(body));
    const want = general(c, body);
    assert.ok(want !== undefined && c.transcoder.transcode(body));
    const codec = createResultCodec();
    const h = { entryId: 3, seq: 4, receivedAtUs: 0, cutoffMs: 0, source: 'r2z2' as const };
    const got = codec.decode(codec.encodeTranscoded(h, false, c.transcoder).slice()) as KillResult;
    const expected = codec.decode(codec.encode(killResult(3, 4, 'r2z2', false, want)).slice()) as KillResult;
    assert.deepEqual(got, expected);
    assert.equal(got.kill.enriched, true);
  });

  test('names that need escaping or are not ASCII are written as JSON.stringify writes them', () => {
    const odd = ['Quote " and \\ back', 'Zoë Ünïcode', '🚀 Rocket', 'tab\there', 'ctrl \u0001', "O'Neil", '\u2028sep'];
    const c = caches();
    for (let i = 0; i < 20; i++) {
      const body = simKill(100 + i);
      warm(c, canonical(body), (id) => `${odd[id % odd.length] as string} ${id}`);
      assert.ok(agree(c, body, `odd names ${i}`));
    }
  });

  test('what the caches cannot complete is left to the general path; what ESI does not know stays an id', () => {
    // The default sample: victim 90000001/98000001/99000001 in a 587, attackers with and without characters, an NPC corporation.
    const body = bytes(esiKillmail(77));
    const cases: Array<[string, (c: Caches) => void, boolean]> = [
      ['all warm', () => undefined, true],
      ['victim character unknown to ESI', (c) => c.put('character', 90000001, { unresolvable: true, expiresAtMs: NOW + 1000 }), true],
      [
        'alliance name without its ticker',
        (c) => c.put('alliance', 99000001, { name: 'A', ticker: undefined, expiresAtMs: NOW + 1000 }),
        false,
      ],
      [
        'corporation ticker without its name',
        (c) => c.put('corporation', 1000125, { name: undefined, ticker: 'X', expiresAtMs: NOW + 1000 }),
        false,
      ],
      ['character expired', (c) => c.put('character', 90000002, { name: 'old', ticker: undefined, expiresAtMs: NOW }), false],
      ['victim ship group unknown to ESI', (c) => c.put('group', 25, { unresolvable: true, expiresAtMs: NOW + 1000 }), true],
      ['victim ship type unknown to ESI', (c) => c.put('type', 587, { unresolvable: true, expiresAtMs: NOW + 1000 }), true],
      ['attacker ship type unknown to ESI', (c) => c.put('type', 3740, { unresolvable: true, expiresAtMs: NOW + 1000 }), true],
      [
        'system without its region',
        (c) =>
          c.put('system', 30000142, { name: 'Jita', securityStatus: 0.9, constellationId: 1, regionId: undefined, expiresAtMs: PERMANENT }),
        false,
      ],
      ['system unknown to ESI', (c) => c.put('system', 30000142, { unresolvable: true, expiresAtMs: NOW + 1000 }), true],
    ];
    for (const [label, change, taken] of cases) {
      const c = caches();
      warm(c, canonical(body));
      change(c);
      // A case left to the general path is counted there, never also here.
      assert.equal(agree(c, body, label), taken, label);
      if (!taken) assert.equal(c.fast.counters.get('enrich.kills'), 0, `${label}: nothing counted by the transcoder`);
    }
    // An id never cached at all (a new attacker corporation).
    const c = caches();
    warm(c, canonical(body));
    const unknown = bytes(
      esiKillmail(78, { attackers: [{ corporation_id: 98000777, damage_done: 1, final_blow: true, security_status: 0 }] }),
    );
    assert.equal(agree(c, unknown, 'attacker corporation not cached'), false);
  });

  test('fuzzed entries on warm caches: taken, named and equal, or left to the general path', async (t) => {
    const tally = new ReasonTally();
    const samples = [esiKillmail(), r2z2Entry(), crowdedKillmail(9, 40)];
    const c = caches();
    for (const sample of samples) warm(c, canonical(bytes(sample)), (id) => (id % 3 === 0 ? `Zoë ${id}` : `Name "${id}"`));
    const replacement = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(-1, 0, 1.5, 2 ** 53, '', 'ä', [], {}, null, 90000001, 98000002, 587),
    );
    const mutated = fc.record({
      sample: fc.nat(samples.length - 1),
      path: fc.array(fc.nat(40), { minLength: 1, maxLength: 5 }),
      replacement,
      remove: fc.boolean(),
    });
    await fuzz(
      'named transcoder mutated entries',
      fc.property(mutated, ({ sample, path, replacement: r, remove }) => {
        const body = bytes(mutateAt(samples[sample], path, r, remove));
        const want = generalOrRejected(c, body);
        const taken = c.transcoder.transcode(body);
        if (taken) {
          assert.ok(want !== undefined, `taken, but the general path rejects or cannot complete: ${Buffer.from(body).toString()}`);
          assert.equal(utf8(c.transcoder.json), want.json);
          assert.equal(utf8(c.transcoder.text), want.characterText);
        }
        tally.add(taken ? 'taken' : 'left');
      }),
      2000,
    );
    t.diagnostic(tally.toString());
    assert.ok((tally.counts.get('taken') ?? 0) > 300, 'most mutations stay on the fast path');
  });

  test('a kill whose record is not used (too large for the ring) counts nothing', () => {
    const c = caches();
    const body = simKill(2);
    warm(c, canonical(body));
    assert.ok(c.transcoder.transcode(body));
    assert.ok(c.transcoder.transcode(body));
    c.transcoder.commitNames();
    assert.equal(c.fast.counters.get('enrich.complete'), 1);
  });
});
