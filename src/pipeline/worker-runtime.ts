// What a pipeline worker does with each Piscina task. Pure apart from the injected deps, so the
// test fixtures wrap it with their own deps (test/fixtures/pipeline-*.worker.ts).
//
// Drain protocol (crash recovery depends on its order, see lane.ts): read entries from the lane's
// ingest ring (READ cursor published), process them, and per entry in entry order: write the
// result record, THEN commit the ingest TAIL past that entry. A crash therefore leaves every
// entry without a committed TAIL in the ring; one whose result was written but not committed is
// reprocessed and its duplicate result discarded by entry id on the main side.
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { RingReader, RingWriter } from '../core/ring.js';
import { decodeEntryHeader, entryBody, readEntryId, type EntryHeader } from './entry-header.js';
import { isOlder, normalise, toKillRecord, type Normalised } from './normalise.js';
import { isEntryRejected } from './reject.js';
import { createResultCodec, failResult, killResult, type WireResult } from './result-codec.js';
import { Transcoder } from './transcode.js';
import type {
  DrainReply,
  DrainTask,
  NormaliseOneReply,
  NormaliseOneTask,
  PipelineTask,
  PipelineWorkerData,
  ReenrichReply,
  ReenrichTask,
  ReplyTo,
  Sideband,
  TaskKind,
  TaskOf,
  TaskReplies,
} from './types.js';
import type { WorkerDeps } from './worker-deps.js';

/** Entries read before awaiting their (possibly async) processing together. */
const MAX_BATCH = 64;
/**
 * A drain task returns after this many entries or this much time. Each lane has its own thread,
 * so the bound is not for fairness between lanes but for the small tasks queued behind a drain
 * (runOne, reenrich): they wait at most this long. Shorter budgets made the worker depend on the
 * main thread to resubmit it, and the main thread is busy with store batches exactly when the
 * rings are full: the workers then idled (see bench/ingest/run.ts).
 */
const MAX_ENTRIES_PER_TASK = 8192;
const TASK_BUDGET_MS = 50;
/**
 * An idle worker lingers this long for the next entry before returning: under a steady feed the
 * worker otherwise empties its ring every few entries and main pays a Piscina round trip per
 * handful of entries (postTask dominated main-thread time; see bench/micro/pipeline/pipeline.bench.ts).
 */
const IDLE_LINGER_MS = 10;
/** A full result ring: sleep this long per wait while main drains (workers may block). */
const RESULT_SPACE_WAIT_MS = 50;
/** Enricher stats ride on replies at most this often per worker. */
const ENRICHER_STATS_EVERY_MS = 1000;

interface WorkerLane {
  ingest: RingReader;
  result: RingWriter;
}

interface Pending {
  /** To write in entry order: a result, one still running, or a record already encoded (a copy). */
  result: WireResult | Promise<WireResult> | Uint8Array | undefined;
  end: number;
}

/** One handler per task kind, each answering that kind's reply (types.ts TaskReplies). */
type Handlers = { [K in TaskKind]: (task: TaskOf<K>) => Promise<TaskReplies[K]> };

export function createWorkerHandler(data: PipelineWorkerData, deps: WorkerDeps): (task: PipelineTask) => Promise<ReplyTo<PipelineTask>> {
  const lanes: WorkerLane[] = data.lanes.map((l) => ({ ingest: new RingReader(l.ingest), result: new RingWriter(l.result) }));
  const codec = createResultCodec();
  const cfg = data.config;
  const enricher = cfg.enrich ? deps.enricher : undefined;
  // Nothing needs the kill as objects: inline entries go bytes to bytes, with their names when
  // enriching and the worker's caches have them all (the rest take the general path).
  const names = enricher?.warmNames?.();
  const transcoder = !cfg.transcode ? undefined : enricher === undefined ? new Transcoder() : names && new Transcoder(names);
  const normaliseOpts =
    deps.fetchKillmail === undefined
      ? { maxEntryBytes: cfg.maxEntryBytes }
      : { maxEntryBytes: cfg.maxEntryBytes, fetchKillmail: deps.fetchKillmail };
  let enrichErrors = 0;
  // performance.now() starts near 0 in a new worker: -Infinity makes the first reply carry stats.
  let lastStatsMs = Number.NEGATIVE_INFINITY;

  /** Drain what the enricher produced since the last reply (resets the error count). */
  function sideband(): Sideband {
    const side: Sideband = { threadId, enrichErrors };
    enrichErrors = 0;
    const writes = deps.enricher?.takePendingWrites?.();
    if (writes !== undefined && writes.length > 0) side.cacheWrites = writes;
    const now = performance.now();
    if (deps.enricher !== undefined && now - lastStatsMs >= ENRICHER_STATS_EVERY_MS) {
      lastStatsMs = now;
      side.enricherStats = deps.enricher.stats();
    }
    postTrailingStats();
    return side;
  }

  // Stats ride on replies at most once a second, so a burst's last second would otherwise reach
  // /status and /metrics only with the next task, which a quiet feed may not send for minutes:
  // a second after the last reply, the worker posts them once more on its own.
  let trailing: NodeJS.Timeout | undefined;
  function postTrailingStats(): void {
    if (deps.enricher === undefined || deps.post === undefined) return;
    clearTimeout(trailing);
    trailing = setTimeout(() => {
      const e = deps.enricher;
      if (e === undefined) return;
      lastStatsMs = performance.now();
      deps.post?.({ kind: 'sideband', side: { threadId, enrichErrors: 0, enricherStats: e.stats() } });
    }, ENRICHER_STATS_EVERY_MS);
    trailing.unref();
  }

  function failure(h: EntryHeader, err: unknown, body?: Uint8Array): WireResult {
    // Anything but a rejection is a bug: rethrow so the task fails and the lane's crash
    // recovery retries then dead-letters the entry (a worker error is an error).
    if (!isEntryRejected(err)) throw err;
    const r = failResult(h.entryId, h.seq, h.source, err.reason, err.message);
    // A package whose killmail could not be fetched is still good data: its (small) body goes
    // back so the main thread can try it again later instead of losing the kill. A body that is
    // not JSON goes back too: the main thread refetches it (R2Z2) or dead-letters it with it.
    if ((err.reason === 'esi_fetch' || err.reason === 'json') && body !== undefined) r.body = body.slice();
    return r;
  }

  // Lookups that outlive a kill's budget keep filling this worker's caches; once they settle their
  // rows are posted to main at once (not with the next task's reply, which a quiet feed may not
  // send for minutes), so late completion finds the names whichever worker it runs on.
  let postingLateWrites = false;
  function postWhenSettled(): void {
    const e = deps.enricher;
    if (postingLateWrites || deps.post === undefined || e?.lookupsSettled === undefined) return;
    postingLateWrites = true;
    void e.lookupsSettled().then(() => {
      postingLateWrites = false;
      const writes = deps.enricher?.takePendingWrites?.();
      if (writes !== undefined && writes.length > 0)
        deps.post?.({ kind: 'sideband', side: { threadId, enrichErrors: 0, cacheWrites: writes } });
    });
  }

  async function enrichKill(n: Normalised, budgetMs: number): Promise<boolean> {
    if (enricher === undefined) return false;
    try {
      const complete = await enricher.enrich(n.killmail, budgetMs);
      if (!complete) postWhenSettled();
      return complete;
    } catch {
      // The kill is still valid with ids only; main counts pipeline.enrich_errors.
      enrichErrors++;
      return false;
    }
  }

  async function finishAsync(
    h: EntryHeader,
    body: Uint8Array,
    pending: Normalised | Promise<Normalised>,
    budgetMs: number,
  ): Promise<WireResult> {
    try {
      const n = await pending;
      return finish(h, n, await enrichKill(n, budgetMs));
    } catch (err) {
      return failure(h, err, body);
    }
  }

  function finish(h: EntryHeader, n: Normalised, enriched: boolean): WireResult {
    const kill = toKillRecord(n.killmail, { replace: n.replace, enriched, receivedAtUs: h.receivedAtUs });
    return killResult(h.entryId, h.seq, h.source, isOlder(kill.killTimeMs, h.cutoffMs), kill);
  }

  function processEntry(h: EntryHeader, body: Uint8Array, budgetMs: number): WireResult | Promise<WireResult> {
    let n: Normalised | Promise<Normalised>;
    try {
      n = normalise(body, normaliseOpts);
    } catch (err) {
      return failure(h, err, body);
    }
    if (n instanceof Promise || enricher !== undefined) return finishAsync(h, body, n, budgetMs);
    return finish(h, n, false);
  }

  /** Write without publishing; drain() publishes once per batch, before committing the batch. */
  function writeResult(lane: WorkerLane, r: WireResult): void {
    let bytes = codec.encode(r);
    if (bytes.byteLength > lane.result.maxRecordBytes()) {
      const message = `result of ${bytes.byteLength} bytes exceeds the result ring (${lane.result.capacity} bytes)`;
      bytes = codec.encode({ entryId: r.entryId, seq: r.seq, source: r.source, reason: 'too_large', message });
    }
    writeRecord(lane, bytes);
  }

  function writeRecord(lane: WorkerLane, bytes: Uint8Array): void {
    while (!lane.result.tryWrite(bytes, undefined, false)) lane.result.waitForSpace(bytes.byteLength, RESULT_SPACE_WAIT_MS);
  }

  /** The transcoder's record for the entry (a scratch view), or undefined: the general path decides. */
  function transcoded(lane: WorkerLane, h: EntryHeader, body: Uint8Array): Uint8Array | undefined {
    if (transcoder === undefined || body.byteLength > cfg.maxEntryBytes || !transcoder.transcode(body)) return undefined;
    const bytes = codec.encodeTranscoded(h, isOlder(transcoder.killTimeMs, h.cutoffMs), transcoder);
    // Too large for the ring: the general path writes the too_large failure.
    if (bytes.byteLength > lane.result.maxRecordBytes()) return undefined;
    transcoder.commitNames();
    return bytes;
  }

  /**
   * Reads up to MAX_BATCH entries. Results are written as soon as every earlier entry's is (the
   * common case: inline kills, no enrichment), so most records go from the scratch buffer to the
   * ring without a copy; the rest wait in entry order for the ones still running.
   */
  function readBatch(lane: WorkerLane, sequentialThroughId: number): Pending[] {
    const out: Pending[] = [];
    let inOrder = true;
    while (out.length < MAX_BATCH) {
      const peeked = lane.ingest.peek();
      if (peeked === undefined) break;
      // A suspect entry (in flight during a crash) runs alone so a second crash names it.
      const suspect = readEntryId(peeked) <= sequentialThroughId;
      if (suspect && out.length > 0) break;
      const record = lane.ingest.read() as Uint8Array;
      const h = decodeEntryHeader(record);
      const body = entryBody(record);
      const end = lane.ingest.position;
      const fast = transcoded(lane, h, body);
      const result = fast ?? processEntry(h, body, cfg.enrichBudgetMs);
      if (inOrder && !(result instanceof Promise)) {
        if (result instanceof Uint8Array) writeRecord(lane, result);
        else writeResult(lane, result);
        out.push({ result: undefined, end });
      } else {
        inOrder = false;
        out.push({ result: result instanceof Uint8Array ? result.slice() : result, end });
      }
      if (suspect) break;
    }
    return out;
  }

  async function drain(task: DrainTask): Promise<DrainReply> {
    const lane = lanes[task.lane];
    if (lane === undefined) throw new RangeError(`no lane ${task.lane}`);
    lane.ingest.sync();
    lane.result.sync();
    const started = performance.now();
    let processed = 0;
    let lingerMs = 0;
    while (processed < MAX_ENTRIES_PER_TASK) {
      let batch = readBatch(lane, task.sequentialThroughId);
      // Idle: everything read is committed, so blocking on DATA_SIGNAL is allowed.
      if (batch.length === 0) {
        const waitStart = performance.now();
        const woke = lane.ingest.waitForData(IDLE_LINGER_MS) !== 'timed-out';
        lingerMs += performance.now() - waitStart;
        if (woke) batch = readBatch(lane, task.sequentialThroughId);
      }
      if (batch.length === 0) break;
      for (const p of batch) {
        if (p.result === undefined) continue; // written by readBatch
        if (p.result instanceof Uint8Array) writeRecord(lane, p.result);
        else writeResult(lane, p.result instanceof Promise ? await p.result : p.result);
      }
      // Results first, then the commit: a crash in between re-runs the batch and main drops the
      // duplicate results by entry id; the reverse order could lose entries.
      lane.result.publish();
      lane.ingest.commit((batch[batch.length - 1] as Pending).end);
      processed += batch.length;
      if (performance.now() - started > TASK_BUDGET_MS) break;
    }
    return { processed, busyMs: performance.now() - started - lingerMs, side: sideband() };
  }

  async function reenrich(task: ReenrichTask): Promise<ReenrichReply> {
    if (enricher === undefined) return { json: task.json, enriched: false, side: sideband() };
    const n: Normalised = { killmail: JSON.parse(task.json) as Normalised['killmail'], replace: false };
    const enriched = await enrichKill(n, task.budgetMs);
    return { json: JSON.stringify(n.killmail), enriched, side: sideband() };
  }

  async function normaliseOne(task: NormaliseOneTask): Promise<NormaliseOneReply> {
    const h: EntryHeader = { entryId: 0, seq: task.seq, receivedAtUs: task.receivedAtUs, cutoffMs: task.cutoffMs, source: task.source };
    const result = await processEntry(h, task.body, task.budgetMs);
    return { result, side: sideband() };
  }

  const handlers: Handlers = {
    drain,
    'normalise-one': normaliseOne,
    reenrich,
    ping: () => Promise.resolve('pong'),
  };

  return async (task: PipelineTask): Promise<ReplyTo<PipelineTask>> => {
    const handler = handlers[task.kind] as ((t: PipelineTask) => Promise<ReplyTo<PipelineTask>>) | undefined;
    if (handler === undefined) throw new TypeError(`unknown pipeline task ${JSON.stringify(task)}`);
    return handler(task);
  };
}
