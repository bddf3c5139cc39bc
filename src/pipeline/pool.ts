// The pipeline's main-thread side: K lanes, a Piscina pool of K workers, result loops, counters.
// See lane.ts for the crash-recovery protocol and worker-runtime.ts for the drain protocol.
import { Piscina } from 'piscina';
import type { Config } from '../config/index.js';
import { epochUs } from '../core/clock.js';
import { WkError } from '../core/errors.js';
import type { ComponentHealth, PipelineOutcome, RawEntry, SourceKind } from '../core/ports.js';
import { nextPowerOfTwo } from '../core/ring.js';
import type { Counters, LatencyHistogram, Logger } from '../telemetry/index.js';
import { ENTRY_HEADER_BYTES } from './entry-header.js';
import { Lane } from './lane.js';
import { DirectEntries } from './direct.js';
import { OutcomeReporter, SidebandSink, type OutcomeListener } from './outcomes.js';
import { createResultCodec, failResult, toOutcome, type WireResult } from './result-codec.js';
import type { CacheWrite } from '../core/cache-rows.js';
import { isSidebandMessage, type DrainReply, type PipelineTask, type PipelineWorkerData, type ReplyTo } from './types.js';

// Waits are bounded only so that stop() is noticed: notifications wake the loops long before these expire.
const RESULT_WAIT_MS = 250;
const WRITABLE_WAIT_MS = 100;
// Piscina queue bound (small tasks: runOne, reenrich); the idle timeout is the longest timer, so workers are never reaped.
const MAX_QUEUED_TASKS = 256;
const IDLE_TIMEOUT_MS = 2 ** 31 - 1;
// A crashing lane is resubmitted after 10 ms doubling per crash up to this, so a poison entry cannot spin the CPU.
const MAX_RESUBMIT_DELAY_MS = 1000;
/** Consecutive task failures with no entry in flight before /health reports the pool unhealthy. */
const UNHEALTHY_CRASH_STREAK = 3;
const PISCINA_ATOMICS = 'async';

export interface PipelineOptions {
  config: Config;
  logger: Logger;
  counters: Counters;
  /** Worker entry (tests pass a fixture wrapper); defaults to pipeline.worker.{ts,js} beside this file. */
  workerFile?: string;
  /** Longest stop() waits for in-flight entries before destroying the pool. */
  drainTimeoutMs?: number;
  /**
   * The ESI limit state every worker's client shares (enrich's createSharedLimits(), made by
   * app.ts): ESI limits are per IP, so one worker's 420 pauses them all. Without it each worker
   * keeps its own.
   */
  esiLimits?: SharedArrayBuffer;
}

export interface PipelineStats {
  lanes: number;
  ingestRingBytes: number;
  resultRingBytes: number;
  queueDepthEntries: number;
  queueDepthBytes: number;
  resultDepthBytes: number;
  /** Lanes with a drain task submitted and not yet returned (entries in flight: queueDepthEntries). */
  drainTasksOutstanding: number;
  threads: number;
  workerUtilisation: number;
  taskRunTimeP50Ms: number;
  taskRunTimeP99Ms: number;
  received: number;
  retried: number;
  deadLettered: number;
  /** Drain tasks submitted (Piscina round trips); entries / drainTasks is the batching achieved. */
  drainTasks: number;
  /** Entries too large for the rings, each run as a task of its own (direct.ts). */
  direct: number;
}

/**
 * Piscina's run() answers `any`: the one place a worker reply gets its type, the one the worker's
 * handler for that task kind is declared to return (types.ts TaskReplies).
 */
function runTask<T extends PipelineTask>(pool: Piscina, task: T, transferList?: ArrayBuffer[]): Promise<ReplyTo<T>> {
  return pool.run(task, transferList === undefined ? undefined : { transferList }) as Promise<ReplyTo<T>>;
}

function defaultWorkerFile(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./pipeline.worker${ext}`, import.meta.url).href;
}

export class PipelinePool {
  private readonly lanes: Lane[];
  private readonly codec = createResultCodec();
  private readonly reporter: OutcomeReporter;
  private readonly sideband: SidebandSink;
  private readonly ingestRingBytes: number;
  private readonly resultRingBytes: number;
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private pool: Piscina | undefined;
  private writable: Promise<void> | undefined;
  private blockedBytes = 0;
  private drainedWaiter: (() => void) | undefined;
  private loops: Promise<void>[] = [];
  private busyMs = 0;
  private busySinceMs = 0;
  /** Busy time per drain task (created on first use, after the app loaded the HDR WASM build). */
  private taskTime: LatencyHistogram | undefined;
  private readonly stats_ = { received: 0, retried: 0, deadLettered: 0, drainTasks: 0, direct: 0 };
  /** Entries larger than this (with their header) skip the rings: direct.ts. */
  private readonly directAboveBytes: number;
  private readonly direct: DirectEntries;

  constructor(private readonly opts: PipelineOptions) {
    const { config } = opts;
    this.reporter = new OutcomeReporter(opts.counters, opts.logger);
    this.sideband = new SidebandSink(opts.counters, opts.logger);
    // Both rings are config.ringBytes. An entry over a quarter of it goes to a worker directly
    // (direct.ts), so a ring never has to fit the largest accepted entry, and a result (smaller
    // than its entry: items are dropped; names add less than that) always fits its ring. One
    // that does not is failed as too_large by the worker.
    this.ingestRingBytes = nextPowerOfTwo(config.ringBytes);
    this.resultRingBytes = this.ingestRingBytes;
    this.directAboveBytes = this.ingestRingBytes / 4;
    this.direct = new DirectEntries({
      run: (entry) => {
        // Not requirePool(): a retry may run while stop() drains the entries in flight.
        const pool = this.pool;
        if (pool === undefined || this.state === 'stopped') throw new WkError('ERR_PIPELINE_STOPPED', 'pipeline is not running');
        return this.normaliseEntry(pool, entry);
      },
      deliver: (outcomes) => this.deliver(outcomes),
      onCrash: (err, retried) => this.onDirectCrash(err, retried),
      stopping: () => this.state === 'stopped',
    });
    this.lanes = Array.from({ length: config.workers }, (_, i) => new Lane(i, this.ingestRingBytes, this.resultRingBytes));
  }

  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`pipeline cannot start from state ${this.state}`);
    const { config } = this.opts;
    const workerData: PipelineWorkerData = {
      lanes: this.lanes.map((l) => l.buffers),
      config: {
        maxEntryBytes: config.maxEntryBytes,
        enrich: config.enrich,
        enrichBudgetMs: config.enrichBudgetMs,
        esiUrl: config.esiUrl,
        esiCompatibilityDate: config.esiCompatibilityDate,
        userAgent: config.userAgent,
        db: config.db,
        nice: config.workerNice,
        transcode: config.transcode,
      },
      ...(this.opts.esiLimits !== undefined && { esiLimits: this.opts.esiLimits }),
    };
    this.pool = new Piscina({
      filename: this.opts.workerFile ?? defaultWorkerFile(),
      minThreads: config.workers,
      maxThreads: config.workers,
      idleTimeout: IDLE_TIMEOUT_MS,
      maxQueue: MAX_QUEUED_TASKS,
      // Not Piscina's default 'sync': that parks an idle worker in Atomics.wait, freezing its event
      // loop, and the enricher's lookups outlive the budget on purpose (they fill the caches for
      // late completion). On a quiet feed they would stall until the next task; 'async' waits
      // with Atomics.waitAsync and keeps the loop running (test/integration/ingest-quiet-feed).
      atomics: PISCINA_ATOMICS,
      workerData,
      // A smaller young generation trades peak ingest for memory: 24 MB instead of V8's 48 MB
      // saves ~15-25 MB per busy worker and costs ~7 % of kills/s at full ingest (docs/PERFORMANCE.md, "Soak").
      ...(config.workerYoungGenerationMb > 0 ? { resourceLimits: { maxYoungGenerationSizeMb: config.workerYoungGenerationMb } } : {}),
    });
    // Worker errors not tied to a task (e.g. a replacement worker failing to load) arrive here;
    // without a listener they would be an uncaught exception on the main thread.
    // Cache rows a worker posts outside a task (worker-runtime.ts postWhenSettled).
    this.pool.on('message', (m: unknown) => {
      if (isSidebandMessage(m)) this.sideband.accept(m.side);
    });
    this.pool.on('error', (err: unknown) => {
      this.opts.counters.inc('pipeline.pool_errors');
      this.opts.logger.error({ err }, 'pipeline worker pool error');
    });
    // Fail fast when the worker file cannot load.
    try {
      await runTask(this.pool, { kind: 'ping' });
    } catch (err) {
      this.state = 'stopped';
      await this.pool.destroy();
      throw new WkError('ERR_PIPELINE_WORKER_CRASH', `pipeline worker failed to start: ${(err as Error).message}`, { cause: err });
    }
    this.state = 'running';
    this.busySinceMs = performance.now();
    this.loops = this.lanes.map((l) => this.resultLoop(l));
  }

  push(entry: RawEntry): boolean {
    if (this.state !== 'running') return false;
    if (entry.body.byteLength > this.opts.config.maxEntryBytes) {
      this.stats_.received++;
      this.opts.counters.inc('pipeline.received');
      const message = `entry of ${entry.body.byteLength} bytes exceeds maxEntryBytes ${this.opts.config.maxEntryBytes}`;
      const outcome = toOutcome(failResult(0, entry.seq, entry.source, 'too_large', message));
      queueMicrotask(() => this.deliver([outcome]));
      return true;
    }
    if (this.isDirect(entry.body.byteLength)) return this.pushDirect(entry);
    const lane = this.pickLane();
    if (!lane.tryPush(entry)) {
      this.blockedBytes = entry.body.byteLength;
      return false;
    }
    this.stats_.received++;
    this.opts.counters.inc('pipeline.received');
    this.kick(lane);
    return true;
  }

  /** An entry of this many bytes skips the rings (direct.ts): push and waitWritable agree on it. */
  private isDirect(bodyBytes: number): boolean {
    return bodyBytes + ENTRY_HEADER_BYTES > this.directAboveBytes;
  }

  private pushDirect(entry: RawEntry): boolean {
    if (!this.direct.hasRoom()) {
      this.blockedBytes = entry.body.byteLength;
      return false;
    }
    this.stats_.received++;
    this.stats_.direct++;
    this.opts.counters.inc('pipeline.received');
    this.opts.counters.inc('pipeline.direct');
    this.direct.push(entry);
    return true;
  }

  private onDirectCrash(err: unknown, retried: boolean): void {
    const { counters, logger } = this.opts;
    counters.inc('pipeline.worker_crashes');
    if (retried) {
      this.stats_.retried++;
      counters.inc('pipeline.retried');
    } else {
      this.stats_.deadLettered++;
      counters.inc('pipeline.dead_lettered');
    }
    logger.error({ err, retried }, retried ? 'pipeline worker failed on a direct entry; retrying it' : 'direct entry dead-lettered');
  }

  /** The lane with the most free ingest bytes keeps the workers evenly loaded. */
  private pickLane(): Lane {
    let best = this.lanes[0] as Lane;
    let bestFree = best.ingestFreeBytes();
    for (let i = 1; i < this.lanes.length; i++) {
      const lane = this.lanes[i] as Lane;
      const free = lane.ingestFreeBytes();
      if (free > bestFree) {
        best = lane;
        bestFree = free;
      }
    }
    return best;
  }

  whenWritable(): Promise<void> {
    if (this.state !== 'running') return Promise.reject(new WkError('ERR_PIPELINE_STOPPED', 'pipeline is not running'));
    this.writable ??= this.waitWritable().finally(() => {
      this.writable = undefined;
    });
    return this.writable;
  }

  private async waitWritable(): Promise<void> {
    const need = this.blockedBytes;
    if (this.isDirect(need)) return this.direct.whenRoom();
    while (this.state === 'running') {
      if (this.lanes.some((l) => l.canFit(need))) return;
      await Promise.race(this.lanes.map((l) => l.waitForSpace(need, WRITABLE_WAIT_MS)));
    }
    throw new WkError('ERR_PIPELINE_STOPPED', 'pipeline stopped while the feed waited for space');
  }

  onResults(cb: OutcomeListener): void {
    this.reporter.listen(cb);
  }

  private kick(lane: Lane): void {
    if (lane.taskOutstanding || lane.resubmitTimer !== undefined || !lane.hasWork()) return;
    const pool = this.pool;
    if (pool === undefined || this.state === 'stopped') return;
    lane.taskOutstanding = true;
    this.stats_.drainTasks++;
    const task = { kind: 'drain', lane: lane.index, sequentialThroughId: lane.sequentialThroughId } as const;
    runTask(pool, task).then(
      (reply) => this.onTaskDone(lane, reply),
      (err: unknown) => this.onTaskFailed(lane, err),
    );
  }

  private onTaskDone(lane: Lane, reply: DrainReply): void {
    lane.taskOutstanding = false;
    lane.crashStreak = 0;
    this.busyMs += reply.busyMs;
    (this.taskTime ??= this.opts.counters.histogram('wkills_worker_task_seconds')).recordUs(reply.busyMs * 1000);
    this.sideband.accept(reply.side);
    this.drainLane(lane);
    this.kick(lane);
    this.checkDrained();
  }

  onCacheWrites(cb: (writes: readonly CacheWrite[]) => void): void {
    this.sideband.onCacheWrites(cb);
  }

  enricherStats(): Record<string, number>[] {
    return this.sideband.enricherStats();
  }

  private checkDrained(): void {
    if (this.drainedWaiter !== undefined && this.isDrained()) this.drainedWaiter();
  }

  private onTaskFailed(lane: Lane, err: unknown): void {
    lane.taskOutstanding = false;
    if (this.state === 'stopped') return;
    this.drainLane(lane);
    const report = lane.recoverAfterCrash();
    const { counters, logger } = this.opts;
    this.stats_.retried += report.retried;
    counters.inc('pipeline.retried', report.retried);
    counters.inc('pipeline.worker_crashes');
    logger.error(
      { err, lane: lane.index, retried: report.retried, deadLettered: report.deadLettered.length },
      'pipeline worker task failed; lane recovered',
    );
    if (report.deadLettered.length > 0) {
      this.stats_.deadLettered += report.deadLettered.length;
      counters.inc('pipeline.dead_lettered', report.deadLettered.length);
      this.deliver(report.deadLettered);
    }
    // A crash with nothing in flight (e.g. the worker file fails) backs off instead of spinning.
    const delayMs = lane.crashStreak === 0 ? 0 : Math.min(MAX_RESUBMIT_DELAY_MS, 10 * 2 ** lane.crashStreak);
    if (delayMs === 0) {
      this.kick(lane);
      this.checkDrained();
      return;
    }
    lane.resubmitTimer = setTimeout(() => {
      lane.resubmitTimer = undefined;
      this.kick(lane);
    }, delayMs);
  }

  private drainLane(lane: Lane): void {
    const out: PipelineOutcome[] = [];
    const duplicates = lane.drainResults(this.codec, out);
    if (duplicates > 0) this.opts.counters.inc('pipeline.duplicates_discarded', duplicates);
    this.deliver(out);
  }

  private async resultLoop(lane: Lane): Promise<void> {
    while (this.state === 'running' || this.state === 'stopping') {
      this.drainLane(lane);
      await lane.waitForResults(RESULT_WAIT_MS);
    }
  }

  private deliver(outcomes: PipelineOutcome[]): void {
    if (outcomes.length === 0) return;
    this.reporter.deliver(outcomes);
    this.checkDrained();
  }

  private isDrained(): boolean {
    return this.direct.inFlight === 0 && this.lanes.every((l) => l.inFlight === 0 && !l.taskOutstanding);
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    if (this.state === 'idle') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    await this.waitDrained(this.opts.drainTimeoutMs ?? 10_000);
    this.state = 'stopped';
    for (const lane of this.lanes) {
      if (lane.resubmitTimer !== undefined) clearTimeout(lane.resubmitTimer);
      lane.wakeResultWaiters();
    }
    await Promise.all(this.loops);
    await this.pool?.destroy();
  }

  private async waitDrained(timeoutMs: number): Promise<void> {
    if (this.isDrained()) return;
    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<boolean>((resolve) => {
      this.drainedWaiter = () => resolve(true);
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const ok = await drained;
    clearTimeout(timer);
    this.drainedWaiter = undefined;
    if (!ok) {
      const left = this.lanes.reduce((n, l) => n + l.inFlight, 0);
      this.opts.logger.warn({ left, timeoutMs }, 'pipeline stop: entries still in flight after the drain timeout');
    }
  }

  async runOne(body: Uint8Array, source: SourceKind): Promise<PipelineOutcome> {
    const entry: RawEntry = { source, body, seq: 0, receivedAtUs: epochUs(), cutoffMs: 0 };
    return toOutcome(await this.normaliseEntry(this.requirePool(), entry));
  }

  /**
   * One entry on a worker outside the rings (runOne, and direct.ts for entries too large for
   * them): a private, transferable copy of its bytes in (the caller may reuse its own), the
   * result back by message.
   */
  private async normaliseEntry(pool: Piscina, entry: RawEntry): Promise<WireResult> {
    const body = new Uint8Array(entry.body);
    const task = {
      kind: 'normalise-one',
      body,
      source: entry.source,
      budgetMs: this.opts.config.enrichBudgetMs,
      receivedAtUs: entry.receivedAtUs,
      seq: entry.seq,
      cutoffMs: entry.cutoffMs,
    } as const;
    const reply = await runTask(pool, task, [body.buffer]);
    this.sideband.accept(reply.side);
    return reply.result;
  }

  async reenrich(json: string): Promise<{ json: string; enriched: boolean }> {
    const pool = this.requirePool();
    const reply = await runTask(pool, { kind: 'reenrich', json, budgetMs: this.opts.config.enrichBudgetMs });
    this.sideband.accept(reply.side);
    return { json: reply.json, enriched: reply.enriched };
  }

  private requirePool(): Piscina {
    if (this.pool === undefined || this.state !== 'running') throw new WkError('ERR_PIPELINE_STOPPED', 'pipeline is not running');
    return this.pool;
  }

  /** /health component: running, workers alive, no lane stuck crashing with nothing in flight. */
  health(): ComponentHealth {
    if (this.state !== 'running') return { healthy: false, message: `pipeline ${this.state}` };
    const threads = this.pool?.threads.length ?? 0;
    const stuck = this.lanes.filter((l) => l.crashStreak >= UNHEALTHY_CRASH_STREAK).length;
    if (threads === 0 || stuck > 0) return { healthy: false, message: `${threads} workers, ${stuck} lanes failing repeatedly` };
    return { healthy: true, message: `${threads} workers, ${this.lanes.reduce((n, l) => n + l.inFlight, 0)} entries in flight` };
  }

  /**
   * Share of the workers' time spent processing entries since the pool started, 0..1: busy time
   * the drain tasks report over threads × elapsed. (Piscina's own `utilization` divides its
   * millisecond mean run time by 1000, which makes it 1000 times too small, and counts the
   * drain tasks' idle linger as work.)
   */
  private utilisation(): number {
    const now = performance.now();
    const capacityMs = (now - this.busySinceMs) * this.lanes.length;
    const share = capacityMs > 0 ? Math.min(1, this.busyMs / capacityMs) : 0;
    return Math.round(share * 1000) / 1000;
  }

  stats(): PipelineStats {
    const pool = this.pool;
    const runTime = pool?.histogram.runTime;
    return {
      lanes: this.lanes.length,
      ingestRingBytes: this.ingestRingBytes,
      resultRingBytes: this.resultRingBytes,
      queueDepthEntries: this.direct.inFlight + this.lanes.reduce((n, l) => n + l.inFlight, 0),
      queueDepthBytes: this.lanes.reduce((n, l) => n + l.ingestUsedBytes(), 0),
      resultDepthBytes: this.lanes.reduce((n, l) => n + l.resultUsedBytes(), 0),
      drainTasksOutstanding: this.lanes.reduce((n, l) => n + (l.taskOutstanding ? 1 : 0), 0),
      threads: pool?.threads.length ?? 0,
      workerUtilisation: this.utilisation(),
      taskRunTimeP50Ms: runTime?.p50 ?? 0,
      taskRunTimeP99Ms: runTime?.p99 ?? 0,
      ...this.stats_,
    };
  }
}
