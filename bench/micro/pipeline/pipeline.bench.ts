// Pipeline throughput: R2Z2 entries pushed through the pool (rings + K workers + msgpackr results)
// raced against the plain baseline a user would write: JSON.parse + normalise + JSON.stringify on
// the main thread. Bodies are the shared ESI fixtures wrapped as R2Z2 entries when present.
// Run: node --import tsx bench/micro/pipeline/pipeline.bench.ts [entries] [workers]
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { testConfig } from '../../../src/config/index.js';
import { createPipeline } from '../../../src/pipeline/index.js';
import { normalise, toKillRecord } from '../../../src/pipeline/normalise.js';
import { Counters, silentLogger } from '../../../src/telemetry/index.js';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/killmails/esi/', import.meta.url));
const enc = new TextEncoder();

function sampleBodies(): Uint8Array[] {
  const esi: Record<string, unknown>[] = existsSync(FIXTURES)
    ? readdirSync(FIXTURES)
        .filter((f) => f.endsWith('.json'))
        .map((f) => JSON.parse(readFileSync(FIXTURES + f, 'utf8')))
    : [
        {
          killmail_id: 1,
          killmail_time: '2026-01-01T00:00:00Z',
          solar_system_id: 30000142,
          victim: { ship_type_id: 587, damage_taken: 100, character_id: 9 },
          attackers: [{ character_id: 8, damage_done: 100, final_blow: true, security_status: 0 }],
        },
      ];
  return esi.map((km, i) =>
    enc.encode(
      JSON.stringify({
        killmail_id: km['killmail_id'],
        hash: 'h' + i,
        esi: km,
        zkb: {
          locationID: 40009082,
          hash: 'h' + i,
          fittedValue: 1,
          droppedValue: 1,
          destroyedValue: 1,
          totalValue: 2,
          points: 1,
          npc: false,
          solo: false,
          awox: false,
          labels: ['pvp'],
        },
        sequence_id: i,
      }),
    ),
  );
}

function baseline(bodies: Uint8Array[], n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = normalise(bodies[i % bodies.length] as Uint8Array, { maxEntryBytes: 4 << 20 });
    if (r instanceof Promise) throw new Error('inline entries only');
    toKillRecord(r.killmail, { replace: false, enriched: false, receivedAtUs: 0 });
  }
  return n / ((performance.now() - t0) / 1000);
}

async function pooled(bodies: Uint8Array[], n: number, workers: number): Promise<number> {
  const p = createPipeline({ config: testConfig({ workers, enrich: false }), logger: silentLogger(), counters: new Counters() });
  await p.start();
  let done = 0;
  let finish: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (finish = resolve));
  p.onResults((o) => {
    done += o.length;
    if (done >= n) finish();
  });
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const e = { source: 'r2z2' as const, body: bodies[i % bodies.length] as Uint8Array, seq: i, receivedAtUs: 0, cutoffMs: 0 };
    while (!p.push(e)) await p.whenWritable();
  }
  await all;
  const rate = n / ((performance.now() - t0) / 1000);
  mainThreadElu = performance.eventLoopUtilization(elu0).utilization;
  drainTasks = p.stats().drainTasks;
  await p.stop();
  return rate;
}

let mainThreadElu = 0;
let drainTasks = 0;

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20_000);
  const workers = Number(process.argv[3] ?? Math.max(1, Math.min(4, availableParallelism())));
  const bodies = sampleBodies();
  const avg = bodies.reduce((s, b) => s + b.byteLength, 0) / bodies.length;
  baseline(bodies, Math.min(n, 2000)); // warm-up
  const base = baseline(bodies, n);
  const pool = await pooled(bodies, n, workers);
  console.log(
    `pipeline.bench: ${n} R2Z2 entries (avg ${Math.round(avg)} B, ${bodies.length} distinct), ${workers} workers, node ${process.version}`,
  );
  console.log('method                          entries/s   vs baseline');
  console.log(`${'main-thread normalise'.padEnd(30)} ${Math.round(base).toString().padStart(10)}   1.00x`);
  console.log(
    `${`pool (${workers} workers, rings)`.padEnd(30)} ${Math.round(pool).toString().padStart(10)}   ${(pool / base).toFixed(2)}x   (main-thread ELU ${(mainThreadElu * 100).toFixed(0)} %, ${(n / drainTasks).toFixed(1)} entries per drain task)`,
  );
}

void main();
