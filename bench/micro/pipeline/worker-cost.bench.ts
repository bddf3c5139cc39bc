// What one worker spends per kill, by step, on one thread: normalise (parse + validate), enrich
// (from a warm cache: the simulator's ESI fills it in a first pass), and the KillRecord +
// result record (src/pipeline/result-codec.ts). Explains the per-kill CPU budget in docs/PERFORMANCE.md ("Ingest").
//
//   node --import tsx bench/micro/pipeline/worker-cost.bench.ts [kills per pass, default 5000]
import { normalise, toKillRecord, type Normalised } from '../../../src/pipeline/normalise.js';
import { createResultCodec, killResult } from '../../../src/pipeline/result-codec.js';
import { generateKill, createSimulator } from '../../../src/sim/index.js';
import { createWorkerEnricher } from '../../../src/enrich/index.js';

const N = Number(process.argv[2] ?? 5000);
const sim = createSimulator({ rate: 0 });
const { url } = await sim.start();
const enricher = createWorkerEnricher({ esiUrl: url, userAgent: 'wkills-bench', compatibilityDate: '2026-07-21', dbPath: ':memory:' });
const encoder = new TextEncoder();
const now = Date.now();
const codec = createResultCodec();

function entries(from: number): Uint8Array[] {
  return Array.from({ length: N }, (_, i) => {
    const k = generateKill(from + i, { seed: 11 }, now);
    return encoder.encode(JSON.stringify({ killmail_id: k.killmail_id, hash: k.hash, esi: k.esi, zkb: k.zkb, sequence_id: i }));
  });
}

async function pass(label: string, bodies: Uint8Array[], enrich: boolean): Promise<void> {
  let normUs = 0,
    enrichUs = 0,
    recordUs = 0,
    jsonBytes = 0;
  for (let i = 0; i < bodies.length; i++) {
    const t0 = performance.now();
    const n = normalise(bodies[i] as Uint8Array, { maxEntryBytes: 1 << 24 }) as Normalised;
    const t1 = performance.now();
    if (enrich) await enricher.enrich(n.killmail, 2000);
    const t2 = performance.now();
    const kill = toKillRecord(n.killmail, { replace: false, enriched: enrich, receivedAtUs: 0 });
    codec.encode(killResult(i, i, 'r2z2', false, kill));
    const t3 = performance.now();
    normUs += (t1 - t0) * 1000;
    enrichUs += (t2 - t1) * 1000;
    recordUs += (t3 - t2) * 1000;
    jsonBytes += kill.json.length;
  }
  const per = (us: number): string => (us / bodies.length).toFixed(1);
  process.stdout.write(
    `${label.padEnd(28)} total ${per(normUs + enrichUs + recordUs)} µs/kill  normalise ${per(normUs)}  enrich ${per(enrichUs)}  record ${per(recordUs)}  canonical JSON ${Math.round(jsonBytes / bodies.length)} B\n`,
  );
}

await pass('cold caches (ESI calls)', entries(0), true);
for (let round = 0; round < 2; round++) {
  await pass('warm caches', entries(100_000 + round * N), true);
  await pass('enrichment off', entries(200_000 + round * N), false);
}
await enricher.close();
await sim.stop();
