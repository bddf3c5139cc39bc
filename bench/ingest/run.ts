// Ingest benchmark (`wkills bench ingest`): the real pipeline — rings, Piscina workers, the batch
// writer on a SQLite file, the bus — driven at full speed by simulator-generated R2Z2 entries,
// against a single-threaded baseline (bench/baselines/ingest-main-thread.ts) on the same entries
// in the same run. Back-pressure is honoured: the driver waits for whenWritable() like a feed.
//
//   node --import tsx bench/ingest/run.ts [--kills 100000] [--workers 2] [--enrich off|warm] [--json]
//
// --enrich warm: the simulator (a child process, so it does not share the main thread) serves
// ESI; a first pass over other kills with the same id pools fills the caches (reported as
// "cold"), then the measured pass runs on warm caches.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createApp, type App } from '../../src/app.js';
import { testConfig } from '../../src/config/index.js';
import { epochUs } from '../../src/core/clock.js';
import type { Feed, IngestSink } from '../../src/core/ports.js';
import { openStore } from '../../src/store/index.js';
import { generateKill } from '../../src/sim/index.js';
import { silentLogger, ThreadCpu } from '../../src/telemetry/index.js';
import { runBaseline } from '../baselines/ingest-main-thread.js';
import { runLimit } from './limit.js';
import { machineInfo, printTable, startSimProcess, type SimProcess } from '../common.js';
import { cpuSplit, describeSplit, splitPerKillUs } from '../thread-cpu.js';

const { values: args } = parseArgs({
  options: {
    kills: { type: 'string', default: '100000' },
    workers: { type: 'string', default: '2' },
    enrich: { type: 'string', default: 'off' },
    seed: { type: 'string', default: '11' },
    baseline: { type: 'string', default: 'on' }, // 'off' when profiling the pipeline alone
    limit: { type: 'string', default: 'on' }, // the limit row: JSON.parse on workers + raw batch insert
    // A second, paced phase: latency at a steady rate below saturation (kills/s, for 5 s).
    'paced-rate': { type: 'string', default: '2000' },
    // Config keys for the pipeline run over the product's defaults, as JSON: '{"workerYoungGenerationMb":0}'.
    'server-config': { type: 'string', default: '{}' },
    json: { type: 'boolean', default: false },
  },
});
const N = Number(args.kills);
const encoder = new TextEncoder();

function entries(count: number, firstIndex: number, seed: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const k = generateKill(firstIndex + i, { seed, esiBaseUrl: 'http://127.0.0.1' }, now);
    out.push(
      encoder.encode(
        JSON.stringify({
          killmail_id: k.killmail_id,
          hash: k.hash,
          esi: k.esi,
          zkb: k.zkb,
          uploaded_at: Math.floor(now / 1000),
          sequence_id: firstIndex + i,
        }),
      ),
    );
  }
  return out;
}

/** A feed that pushes prepared entries as fast as the pipeline accepts them. */
function driver(sink: IngestSink): Feed & { run(bodies: Uint8Array[], ratePerS?: number): Promise<void> } {
  let acked = 0;
  return {
    name: 'bench',
    async start() {},
    async stop() {},
    ack() {
      acked++;
    },
    stats: () => ({ acked }),
    async run(bodies, ratePerS = 0) {
      const t0 = performance.now();
      for (let i = 0; i < bodies.length; i++) {
        // Paced: entry i is due at t0 + i/rate; wait in 1 ms steps (a feed's arrivals are spread).
        while (ratePerS > 0 && performance.now() - t0 < (i * 1000) / ratePerS) await new Promise((r) => setTimeout(r, 1));
        const entry = { source: 'r2z2' as const, body: bodies[i] as Uint8Array, seq: i + 1, receivedAtUs: epochUs(), cutoffMs: 0 };
        while (!sink.push(entry)) await sink.whenWritable();
      }
    },
  };
}

async function until(pred: () => boolean): Promise<void> {
  while (!pred()) await new Promise((r) => setTimeout(r, 2));
}

async function measure(app: App, feed: ReturnType<typeof driver>, bodies: Uint8Array[], ratePerS = 0) {
  const done0 = doneCount(app);
  let rssPeak = 0;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 50);
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const threadCpu = new ThreadCpu();
  const threads0 = threadCpu.read();
  const w0 = app.store.writer.stats();
  // How long the main thread's event loop was late: what a REST request or a socket's frame
  // arriving at that moment would have waited (store commits, WAL restarts, GC pauses).
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  const t0 = process.hrtime.bigint();
  await feed.run(bodies, ratePerS);
  await until(() => doneCount(app) - done0 >= bodies.length);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  lag.disable();
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpu0);
  // Main-thread busy time per kill (event-loop utilisation; the driver's pushes included).
  const elu = performance.eventLoopUtilization(elu0);
  const threads = cpuSplit(threads0, threadCpu.read());
  const w1 = app.store.writer.stats();
  return {
    seconds,
    killsPerSecond: Math.round(bodies.length / seconds),
    rssPeakMb: Math.round(rssPeak / 1048576),
    mainCpuPct: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100),
    mainBusyUsPerKill: Math.round(((elu.active * 1000) / bodies.length) * 10) / 10,
    loopDelayP99Ms: Math.round(lag.percentile(99) / 1e5) / 10,
    loopDelayMaxMs: Math.round(lag.max / 1e5) / 10,
    threads,
    killsPerTransaction: Math.round(
      (w1.stored + w1.skipped + w1.replaced - w0.stored - w0.skipped - w0.replaced) / Math.max(1, w1.batches - w0.batches),
    ),
  };
}

function doneCount(app: App): number {
  const s = app.results.stats();
  return (s.stored ?? 0) + (s.skipped ?? 0) + (s.replaced ?? 0) + (s.failed ?? 0) + (s.invalid ?? 0);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wk-bench-ingest-'));
  const seed = Number(args.seed);
  let sim: SimProcess | undefined;
  try {
    const enrich = args.enrich === 'warm';
    if (enrich) sim = await startSimProcess();
    const bodies = entries(N, 1_000_000, seed);
    const bytes = bodies.reduce((s, b) => s + b.byteLength, 0);
    const config = testConfig({
      source: 'none',
      db: process.env.BENCH_DB ?? join(dir, 'candidate.db'),
      workers: Number(args.workers),
      enrich,
      logLevel: 'silent',
      statusIntervalSeconds: 0,
      cutoffSeconds: 0,
      retentionHours: 0,
      ...(process.env.BENCH_BUDGET && { enrichBudgetMs: Number(process.env.BENCH_BUDGET) }),
      ...(sim && { esiUrl: sim.url }),
      ...(JSON.parse(args['server-config']) as Record<string, unknown>),
    });
    let feed: ReturnType<typeof driver> | undefined;
    const app = await createApp(config, { http: false, logger: silentLogger(), feed: (sink) => (feed = driver(sink)) });
    await app.start();
    let cold: Awaited<ReturnType<typeof measure>> | undefined;
    if (enrich) cold = await measure(app, feed!, entries(Math.min(N, 20_000), 0, seed));
    const esiBefore = sim ? await sim.esiRequests() : 0;
    const result = await measure(app, feed!, bodies);
    const esiCalls = sim ? (await sim.esiRequests()) - esiBefore : 0;
    const status = app.status();
    // Latency below saturation: the histogram is reset so it holds the paced phase only.
    const pacedRate = Number(args['paced-rate']);
    let paced:
      { ratePerS: number; p50Ms: number; p99Ms: number; maxMs: number; loopDelayP99Ms: number; loopDelayMaxMs: number } | undefined;
    if (pacedRate > 0) {
      app.resetLatency();
      const m = await measure(app, feed!, entries(pacedRate * 5, 5_000_000, seed), pacedRate);
      const l = (app.status().ingest as { ingest_to_stored_us: { p50: number; p99: number; max: number } }).ingest_to_stored_us;
      paced = {
        ratePerS: pacedRate,
        p50Ms: l.p50 / 1000,
        p99Ms: l.p99 / 1000,
        maxMs: l.max / 1000,
        loopDelayP99Ms: m.loopDelayP99Ms,
        loopDelayMaxMs: m.loopDelayMaxMs,
      };
    }
    await app.stop();

    openStore({ path: join(dir, 'baseline.db'), retentionHours: 0, checkpointThread: false }).close();
    const base = args.baseline === 'off' ? { kills: 0, seconds: 1 } : runBaseline(join(dir, 'baseline.db'), bodies);
    const baseRate = Math.max(1, Math.round(base.kills / base.seconds));
    const lim =
      args.limit === 'off'
        ? { kills: 0, seconds: 1, threads: undefined }
        : await runLimit(join(dir, 'limit.db'), bodies, Number(args.workers));
    const limitRate = Math.max(1, Math.round(lim.kills / lim.seconds));
    const ingest = status.ingest as { ingest_to_stored_us: { p50: number; p99: number; max: number } };
    const report = {
      scenario: 'ingest',
      machine: machineInfo(),
      kills: N,
      mean_entry_bytes: Math.round(bytes / N),
      workers: Number(args.workers),
      enrich: args.enrich,
      candidate: {
        ...result,
        ingest_to_stored_p50_ms: ingest.ingest_to_stored_us.p50 / 1000,
        ingest_to_stored_p99_ms: ingest.ingest_to_stored_us.p99 / 1000,
        ...(result.threads && { cpu_per_kill_us: splitPerKillUs(result.threads, N) }),
        pipeline: status.pipeline,
        ...(enrich && { enrich: status.enrich, late: status.ingest }),
      },
      ...(cold && { cold_cache: { ...cold, esi_calls_per_kill_after_warmup: esiCalls / N } }),
      ...(paced && { paced }),
      baseline: { seconds: base.seconds, killsPerSecond: baseRate },
      limit: {
        seconds: lim.seconds,
        killsPerSecond: limitRate,
        ...(lim.threads && { cpu_per_kill_us: splitPerKillUs(lim.threads, N) }),
      },
      ratio: Math.round((result.killsPerSecond / baseRate) * 100) / 100,
      of_limit: Math.round((result.killsPerSecond / limitRate) * 100) / 100,
    };
    printTable('ingest', [
      {
        run: `pipeline (${args.workers} workers, enrich ${args.enrich})`,
        'kills/s': result.killsPerSecond,
        'p50 ms': report.candidate.ingest_to_stored_p50_ms,
        'p99 ms': report.candidate.ingest_to_stored_p99_ms,
        'RSS MB': result.rssPeakMb,
        'process CPU %': result.mainCpuPct,
        'main µs/kill': result.mainBusyUsPerKill,
        'kills/tx': result.killsPerTransaction,
        'loop delay p99/max ms': `${result.loopDelayP99Ms} / ${result.loopDelayMaxMs}`,
      },
      ...(paced
        ? [
            {
              run: `pipeline paced at ${paced.ratePerS}/s`,
              'kills/s': paced.ratePerS,
              'p50 ms': paced.p50Ms,
              'p99 ms': paced.p99Ms,
              'RSS MB': '',
              'process CPU %': '',
              'loop delay p99/max ms': `${paced.loopDelayP99Ms} / ${paced.loopDelayMaxMs}`,
            },
          ]
        : []),
      ...(cold
        ? [
            {
              run: 'pipeline, cold ESI caches',
              'kills/s': cold.killsPerSecond,
              'p50 ms': '',
              'p99 ms': '',
              'RSS MB': cold.rssPeakMb,
              'process CPU %': cold.mainCpuPct,
            },
          ]
        : []),
      ...(args.baseline === 'off'
        ? []
        : [
            {
              run: 'baseline (main thread, INSERT per kill)',
              'kills/s': baseRate,
              'p50 ms': '',
              'p99 ms': '',
              'RSS MB': '',
              'process CPU %': 100,
            },
          ]),
      ...(args.limit === 'off'
        ? []
        : [
            {
              run: `limit (JSON.parse on ${args.workers} workers + raw batch insert)`,
              'kills/s': limitRate,
              'p50 ms': '',
              'p99 ms': '',
              'RSS MB': '',
              'process CPU %': '',
            },
          ]),
    ]);
    if (result.threads) process.stdout.write(`${describeSplit(result.threads, N, availableParallelism())}\n`);
    if (lim.threads) process.stdout.write(`limit row, ${describeSplit(lim.threads, N, availableParallelism())}\n`);
    if (args.baseline !== 'off')
      process.stdout.write(`ours / baseline ${report.ratio}x  (mean entry ${report.mean_entry_bytes} B, ${N} kills)\n`);
    if (args.limit !== 'off')
      process.stdout.write(
        `ours / limit ${Math.round(report.of_limit * 100)} %  (ours ${result.killsPerSecond} / baseline ${baseRate} / limit ${limitRate} kills/s)\n`,
      );
    if (args.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
