// One worker's cost per kill, on one thread, of the two ways an inline entry becomes its record:
// the general path (UTF-8 decode, JSON.parse, the canonical object, JSON.stringify, the record's
// fields) and the transcoder (src/pipeline/transcode.ts: bytes to canonical bytes), with
// `JSON.parse` alone beside them as the floor any design pays to read the entry. Then the same
// two with names, on caches that hold every id (the general path's Resolver.fill, the
// transcoder's WarmNames). Simulator kills as R2Z2 entries; best of the rounds, the paths
// interleaved so the VM's drift hits both.
//
//   node --import tsx bench/micro/pipeline/transcode.bench.ts [kills, default 4000] [rounds, default 12]
import { NameCache, PERMANENT } from '../../../src/enrich/cache.js';
import type { EsiClient } from '../../../src/enrich/esi-client.js';
import { Resolver } from '../../../src/enrich/resolve.js';
import { createWarmNames } from '../../../src/enrich/warm-names.js';
import { normalise, toKillRecord, type Normalised } from '../../../src/pipeline/normalise.js';
import { Counters } from '../../../src/telemetry/counters.js';
import { Transcoder } from '../../../src/pipeline/transcode.js';
import { generateKill } from '../../../src/sim/index.js';

const N = Number(process.argv[2] ?? 4000);
const ROUNDS = Number(process.argv[3] ?? 12);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const now = Date.now();
const bodies = Array.from({ length: N }, (_, i) => {
  const k = generateKill(1_000_000 + i, { seed: 7, esiBaseUrl: 'http://127.0.0.1' }, now);
  return encoder.encode(
    JSON.stringify({ killmail_id: k.killmail_id, hash: k.hash, esi: k.esi, zkb: k.zkb, uploaded_at: 1, sequence_id: i }),
  );
});
const transcoder = new Transcoder();

function general(body: Uint8Array): number {
  const n = normalise(body, { maxEntryBytes: 1 << 24 }) as Normalised;
  return toKillRecord(n.killmail, { replace: n.replace, enriched: false, receivedAtUs: 0 }).json.length;
}

function transcoded(body: Uint8Array): number {
  if (!transcoder.transcode(body)) throw new Error('a simulator kill left the fast path');
  return transcoder.json.n;
}

function parseOnly(body: Uint8Array): number {
  return (JSON.parse(decoder.decode(body)) as { killmail_id: number }).killmail_id;
}

// Names for every id of the kills, as a warm worker holds them.
const counters = new Counters();
const cache = new NameCache({ dbPath: ':memory:', counters });
const resolver = new Resolver({} as EsiClient, cache, counters);
const named = new Transcoder(createWarmNames(cache, counters));
const entity = { name: 'Some Pilot Name', ticker: 'TICK', expiresAtMs: PERMANENT };
for (const body of bodies) {
  const km = (normalise(body, { maxEntryBytes: 1 << 24 }) as Normalised).killmail;
  for (const p of [km.victim, ...km.attackers]) {
    if (p.character_id !== undefined) cache.put('character', p.character_id, entity);
    if (p.corporation_id !== undefined) cache.put('corporation', p.corporation_id, entity);
    if (p.alliance_id !== undefined) cache.put('alliance', p.alliance_id, entity);
    if (p.ship_type_id !== undefined) cache.put('type', p.ship_type_id, { name: 'Some Ship', groupId: 25, expiresAtMs: PERMANENT });
  }
  cache.put('system', km.system_id, {
    name: 'Jita',
    securityStatus: 0.946,
    constellationId: 1,
    regionId: 10000002,
    expiresAtMs: PERMANENT,
  });
}
cache.put('group', 25, { name: 'Frigate', categoryId: 6, expiresAtMs: PERMANENT });
cache.takePendingWrites();

function generalNamed(body: Uint8Array): number {
  const n = normalise(body, { maxEntryBytes: 1 << 24 }) as Normalised;
  if (!resolver.fill(n.killmail, { names: new Set(), jobs: new Map() })) throw new Error('a kill the caches do not complete');
  return toKillRecord(n.killmail, { replace: n.replace, enriched: true, receivedAtUs: 0 }).json.length;
}

function transcodedNamed(body: Uint8Array): number {
  if (!named.transcode(body)) throw new Error('a warm simulator kill left the fast path');
  named.commitNames();
  return named.json.n;
}

const paths = {
  'general path': general,
  transcoder: transcoded,
  'decode + JSON.parse alone': parseOnly,
  'general path, names': generalNamed,
  'transcoder, names': transcodedNamed,
};
const best = new Map<string, number>();
let sink = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(paths)) {
    const t0 = performance.now();
    for (const body of bodies) sink += run(body);
    const us = ((performance.now() - t0) * 1000) / N;
    best.set(name, Math.min(best.get(name) ?? Infinity, us));
  }
}
const bytes = bodies.reduce((sum, b) => sum + b.byteLength, 0) / N;
process.stdout.write(`${N} simulator kills, mean entry ${Math.round(bytes)} B, best of ${ROUNDS} rounds (checksum ${sink % 997})\n`);
for (const [name, us] of best) process.stdout.write(`${name.padEnd(28)} ${us.toFixed(1)} µs/kill\n`);
const ratio = (a: string, b: string): string => ((best.get(a) as number) / (best.get(b) as number)).toFixed(2);
process.stdout.write(`transcoder / general path: ${ratio('transcoder', 'general path')}\n`);
process.stdout.write(`with names: ${ratio('transcoder, names', 'general path, names')}\n`);
