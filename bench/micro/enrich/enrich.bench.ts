// enrich() in one thread: warm-cache throughput (every id in the per-worker LRU) against a plain
// baseline (one string-keyed Map, one awaited lookup per field), cold throughput against the
// simulator's ESI, ESI calls per kill, and the cache hit rate on new kills after a warm-up.
// Run: node --import tsx bench/micro/enrich/enrich.bench.ts [kills=2000] [warmSeconds=2]
import { createSimulator, generateKill } from '../../../src/sim/index.js';
import { Counters } from '../../../src/telemetry/counters.js';
import { createWorkerEnricher, type EnricherWithWrites } from '../../../src/enrich/index.js';
import type { CanonicalKillmail } from '../../../src/core/killmail.js';
import { toCanonical } from '../../../test/unit/enrich/canonical.js';

const KILLS = Number(process.argv[2] ?? 2000);
const WARM_SECONDS = Number(process.argv[3] ?? 2);
/** Kills a worker enriches at once (its share of the ring drain). */
const IN_FLIGHT = 64;

function kills(from: number, n: number): CanonicalKillmail[] {
  return Array.from({ length: n }, (_, i) => {
    // hugeEvery 0: a 1000-attacker kill in a 2000-kill sample would dominate the per-kill numbers.
    const g = generateKill(from + i, { seed: 3, hugeEvery: 0 });
    return toCanonical(g.esi, g.hash);
  });
}

async function enrichAll(e: EnricherWithWrites, list: CanonicalKillmail[]): Promise<{ seconds: number; complete: number }> {
  const started = performance.now();
  let complete = 0;
  for (let i = 0; i < list.length; i += IN_FLIGHT) {
    const done = await Promise.all(list.slice(i, i + IN_FLIGHT).map((k) => e.enrich(k, 30_000)));
    complete += done.filter(Boolean).length;
  }
  return { seconds: (performance.now() - started) / 1000, complete };
}

function hitMiss(s: Record<string, number>): { hit: number; miss: number } {
  return { hit: s['enrich.cache.hit'] ?? 0, miss: s['enrich.cache.miss'] ?? 0 };
}

async function warmRate(run: (k: CanonicalKillmail) => Promise<unknown>, list: CanonicalKillmail[]): Promise<number> {
  let n = 0;
  const started = performance.now();
  const until = started + WARM_SECONDS * 1000;
  while (performance.now() < until) {
    for (const k of list) await run(k);
    n += list.length;
  }
  return n / ((performance.now() - started) / 1000);
}

/** What a user would write first: one Map keyed `ns:id`, one awaited async lookup per field. */
function baseline(cache: Map<string, string>): (k: CanonicalKillmail) => Promise<void> {
  const lookup = async (ns: string, id: number | undefined): Promise<string | undefined> =>
    id === undefined ? undefined : cache.get(`${ns}:${id}`);
  return async (k) => {
    const sys = await lookup('system', k.system_id);
    if (sys !== undefined) k.solar_system_name = sys;
    for (const p of [k.victim, ...k.attackers]) {
      const c = await lookup('character', p.character_id);
      if (c !== undefined) p.character_name = c;
      const corp = await lookup('corporation', p.corporation_id);
      if (corp !== undefined) p.corporation_name = corp;
      const a = await lookup('alliance', p.alliance_id);
      if (a !== undefined) p.alliance_name = a;
      const s = await lookup('type', p.ship_type_id);
      if (s !== undefined) p.ship_name = s;
    }
  };
}

function baselineCache(list: CanonicalKillmail[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const k of list) {
    m.set(`system:${k.system_id}`, k.solar_system_name ?? '');
    for (const p of [k.victim, ...k.attackers]) {
      if (p.character_id !== undefined) m.set(`character:${p.character_id}`, p.character_name ?? '');
      if (p.corporation_id !== undefined) m.set(`corporation:${p.corporation_id}`, p.corporation_name ?? '');
      if (p.alliance_id !== undefined) m.set(`alliance:${p.alliance_id}`, p.alliance_name ?? '');
      if (p.ship_type_id !== undefined) m.set(`type:${p.ship_type_id}`, p.ship_name ?? '');
    }
  }
  return m;
}

async function main(): Promise<void> {
  const sim = createSimulator({ rate: 0, seed: 3 });
  await sim.start();
  const counters = new Counters();
  const e = createWorkerEnricher({
    esiUrl: sim.url,
    userAgent: 'wk-bench/1.0 (bench@example.com)',
    compatibilityDate: '2026-07-21',
    dbPath: ':memory:',
    counters,
    maxConcurrencyPerRoute: 16,
  });
  const first = kills(0, KILLS);
  const second = kills(KILLS, KILLS);
  const attackers = first.reduce((s, k) => s + k.attackers.length, 0) / first.length;

  const cold = await enrichAll(e, first);
  const coldCalls = counters.get('esi.requests');
  const before = hitMiss(e.stats());
  const next = await enrichAll(e, second);
  const after = hitMiss(e.stats());
  const nextCalls = counters.get('esi.requests') - coldCalls;
  const hits = after.hit - before.hit;
  const hitRate = hits / (hits + after.miss - before.miss);

  const warm = await warmRate((k) => e.enrich(k, 2000), first);
  const base = await warmRate(baseline(baselineCache(first)), first);
  await e.close();
  await sim.stop();

  const rows: [string, string][] = [
    ['kills per phase (mean attackers)', `${KILLS} (${attackers.toFixed(1)})`],
    ['cold: kills/s (empty caches, sim ESI)', (KILLS / cold.seconds).toFixed(0)],
    ['cold: ESI calls per kill', (coldCalls / KILLS).toFixed(2)],
    ['cold: kills complete', `${cold.complete}/${KILLS}`],
    ['after warm-up: new kills, ESI calls per kill', (nextCalls / KILLS).toFixed(3)],
    ['after warm-up: cache hit rate', `${(hitRate * 100).toFixed(2)} %`],
    ['after warm-up: kills/s', (KILLS / next.seconds).toFixed(0)],
    ['warm: enrich() kills/s (candidate)', warm.toFixed(0)],
    ['warm: kills/s (baseline: Map + await per field)', base.toFixed(0)],
    ['warm: candidate / baseline', (warm / base).toFixed(2)],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`enrich micro-bench (node ${process.version})`);
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  console.log(
    JSON.stringify({
      bench: 'enrich',
      kills: KILLS,
      coldKillsPerS: KILLS / cold.seconds,
      coldCallsPerKill: coldCalls / KILLS,
      warmupCallsPerKill: nextCalls / KILLS,
      hitRate,
      warmKillsPerS: warm,
      baselineKillsPerS: base,
    }),
  );
}

await main();
