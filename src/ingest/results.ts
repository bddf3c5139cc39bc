// Pipeline outcomes → store → bus, and the feed's acknowledgements. Runs on the main thread once
// per drained batch: one transaction per batch, no JSON parsed or built per kill (the worker
// serialised the canonical killmail once), no per-kill logging.
//
// The sink's coordination (store back-pressure, retries with back-off, the feed pause, cursor
// persistence, late name completion) is a state machine: see sink-state.ts for the states and
// the moves between them.
import { epochUs, MS_PER_HOUR } from '../core/clock.js';
import type {
  BusKill,
  CursorStore,
  CursorValue,
  Feed,
  IngestSink,
  KillBus,
  KillWriteOutcome,
  KillWriter,
  PipelineOutcome,
  Reenricher,
} from '../core/ports.js';
import type { KillRecord } from '../core/killmail.js';
import type { Counters, LatencyHistogram, Logger } from '../telemetry/index.js';
import { putBack, takeBatch, type Batch, type FailedOutcome } from './batch.js';
import { createFetchRetry, type FetchRetry } from './fetch-retry.js';
import { createLateEnricher, type LateEnricher } from './late-enrich.js';
import { transition, type SinkState } from './sink-state.js';
import { Backoff, FeedLatch } from './waits.js';

/**
 * Outcomes held before the feed is paused (a store that refuses writes): the feed waits in
 * whenWritable() like on a full ring, so the backlog stops near this size and nothing is dropped.
 */
const PAUSE_FEED_AT = 20_000;
/**
 * Most outcomes per transaction. Outcomes arrive per lane drain and are gathered until the end of
 * the event-loop turn: a commit costs about as much as inserting a hundred kills
 * (bench/ingest/run.ts profile), so merging the lanes' small batches roughly halves the store's
 * share of the main thread under load. The cap keeps each transaction event-loop sized (~25 ms
 * at 1,024 kills): a backlog (a backfill, a store outage) drains in steps while the workers keep
 * filling their result rings. With 4,096 a ~100 ms commit left them stalled on full rings: a
 * month of history took 61 s instead of 55 (docs/PERFORMANCE.md "Issue 10 and 13 targets").
 */
const MAX_BATCH = 1024;
/** With a writer thread: outcomes held, beside the batch in flight, before the feed waits. */
const THREAD_BACKLOG = 2 * MAX_BATCH;

/** The store's threaded write (KillWriter.writeBatchAsync). */
type WriteAsync = NonNullable<KillWriter['writeBatchAsync']>;

export interface ResultSink {
  onOutcomes(outcomes: PipelineOutcome[]): void;
  /**
   * The sink the feed pushes into: the pipeline's, closed while the sink is `paused` (the store
   * holds back a large backlog), so the feed waits instead of the backlog growing.
   */
  gate(sink: IngestSink): IngestSink;
  /** The state machine's current state (sink-state.ts). */
  state(): SinkState;
  stats(): Record<string, number>;
  /**
   * A last write of what is held, then `stopped`. With a synchronous writer all of it happens
   * before stop() returns; with a writer thread, before the promise resolves.
   */
  stop(): Promise<void>;
}

export interface ResultSinkDeps {
  writer: KillWriter;
  /** Where the feed's cursor is persisted, once per committed batch. */
  cursors: CursorStore;
  /** Retried entries are pushed back here; late name completion asks it to re-enrich. */
  pipeline: IngestSink & Reenricher;
  bus: KillBus;
  counters: Counters;
  logger: Logger;
  /** The feed whose entries are acknowledged (created after the sink: it pushes through gate()). */
  feed: () => Feed | undefined;
  /** Receipt → committed latency per stored kill, µs. */
  latency: LatencyHistogram;
  /** Names are resolved (config.enrich): kills stored with ids only are completed later. */
  enrich: boolean;
  /** For entries re-pushed after an ESI fetch failure (they get the live cutoff again). */
  cutoffSeconds: number;
  /** Kills older than this are expired: neither stored nor broadcast (config.retentionHours; 0 disables). */
  retentionHours: number;
  /** Delays between those re-pushes (tests shorten them). */
  fetchRetryDelaysMs?: readonly number[];
  /** Delays before refetching a feed entry whose body was not JSON (tests shorten them). */
  refetchDelaysMs?: readonly number[];
  /** Backlog size that pauses the feed (default PAUSE_FEED_AT; tests lower it). */
  pauseFeedAt?: number;
  /** A kill's names were completed after it was stored (late enrichment): fan-out's killmail_enriched. */
  onEnriched?: (killmailId: number, json: string, storedAtMs: number) => void;
  /**
   * Cluster leader: every committed kill (stored, or already stored when a new leader re-reads
   * the feed) with the cursor it completes, after the commit. Undefined in single-process mode.
   */
  replicate?: (items: ReplicatedChange[], cursor: CursorValue | undefined) => void;
  /** Cluster leader: a stored copy completed with names later. */
  replicateNames?: (killmailId: number, json: string, enriched: boolean) => void;
}

/** A committed change as the cluster publishes it. */
export interface ReplicatedChange {
  kind: 'kill' | 'replace';
  record: KillRecord;
  older: boolean;
}

const TOTALS = [
  'stored',
  'skipped',
  'replaced',
  'older',
  'expired',
  'failed',
  'invalid',
  'store_errors',
  'feed_pauses',
  'broadcast',
] as const;
type Total = (typeof TOTALS)[number];

export function createResultSink(deps: ResultSinkDeps): ResultSink {
  return new Sink(deps);
}

class Sink implements ResultSink {
  private current: SinkState = 'running';
  private readonly backlog: PipelineOutcome[] = [];
  private flushScheduled = false;
  private readonly backoff = new Backoff();
  private readonly latch = new FeedLatch();
  private readonly totals = Object.fromEntries(TOTALS.map((k) => [k, 0])) as Record<Total, number>;
  private readonly pauseAt: number;
  private readonly retentionMs: number;
  private readonly late: LateEnricher;
  private readonly retry: FetchRetry;
  /** Cluster mode only: what the current batch committed, in commit order. */
  private replicated: ReplicatedChange[] = [];
  /** Writer thread only: the batch being written (one at a time, so kills publish in order). */
  private inFlight: Promise<void> | undefined;
  /** Writer thread only: the feed cursor to write with the next batch (or alone when none comes). */
  private cursorToWrite: CursorValue | undefined;

  constructor(private readonly deps: ResultSinkDeps) {
    this.pauseAt = deps.pauseFeedAt ?? PAUSE_FEED_AT;
    this.retentionMs = deps.retentionHours * MS_PER_HOUR;
    const store = { writer: deps.writer };
    this.late = createLateEnricher({
      pipeline: deps.pipeline,
      store,
      counters: deps.counters,
      logger: deps.logger,
      ...(deps.replicateNames && { onSaved: deps.replicateNames }),
      ...(deps.onEnriched && { onCompleted: deps.onEnriched }),
    });
    this.retry = createFetchRetry({
      sink: deps.pipeline,
      store,
      counters: deps.counters,
      logger: deps.logger,
      cutoffSeconds: deps.cutoffSeconds,
      ...(deps.fetchRetryDelaysMs !== undefined && { delaysMs: deps.fetchRetryDelaysMs }),
      feed: deps.feed,
      ...(deps.refetchDelaysMs !== undefined && { refetchDelaysMs: deps.refetchDelaysMs }),
    });
  }

  readonly onOutcomes = (outcomes: PipelineOutcome[]): void => {
    for (const o of outcomes) this.backlog.push(o);
    if (this.backlog.length >= MAX_BATCH) this.flush();
    else this.scheduleFlush();
  };

  gate(sink: IngestSink): IngestSink {
    return {
      push: (entry) => {
        if (this.backlog.length >= this.pauseAt && (this.current === 'running' || this.current === 'backlogged')) this.moveTo('paused');
        if (this.current === 'paused' || this.writerBehind()) return false;
        return sink.push(entry);
      },
      whenWritable: () => this.latch.wait() ?? (this.writerBehind() ? this.inFlight : undefined) ?? sink.whenWritable(),
    };
  }

  state(): SinkState {
    return this.current;
  }

  /**
   * The writer thread has a batch in flight and the next ones are already waiting: the feed waits
   * for that batch, as it waits for a full ring. Without it the backlog grows to pauseAt whenever
   * the pipeline outruns the thread, and kills held that long outlive V8's young generation: the
   * heap grew by ~70 MB on a backfill (docs/PERFORMANCE.md, "The writer thread").
   */
  private writerBehind(): boolean {
    return this.inFlight !== undefined && this.backlog.length >= THREAD_BACKLOG;
  }

  stats(): Record<string, number> {
    return { ...this.totals, ...this.late.stats(), ...this.retry.stats() };
  }

  async stop(): Promise<void> {
    if (this.current === 'stopping' || this.current === 'stopped') return;
    this.backoff.clear();
    this.moveTo('stopping');
    // A last attempt; what still fails stays unacknowledged for the next start.
    const write = this.deps.writer.writeBatchAsync;
    if (write === undefined) {
      let written = true;
      while (this.backlog.length > 0 && written) written = this.flush();
      if (this.backlog.length === 0) {
        const feed = this.deps.feed();
        if (feed !== undefined) this.persistCursor(feed);
      }
    } else {
      await this.inFlight;
      let written = true;
      while ((this.backlog.length > 0 || this.cursorToWrite !== undefined) && written) written = await this.flushOnThread(write);
    }
    this.moveTo('stopped'); // the store closes next: nothing may write after this
    this.late.stop();
    this.retry.stop();
  }

  private moveTo(to: SinkState): void {
    const from = this.current;
    this.current = transition(from, to);
    if (from === to) return;
    if (to === 'paused') {
      this.count('feed_pauses');
      this.deps.logger.warn({ backlog: this.backlog.length }, 'store backlog: feed paused until it drains');
      this.latch.close();
    } else if (from === 'paused') this.latch.open();
  }

  private count(name: Total, by = 1): void {
    this.totals[name] += by;
    this.deps.counters.inc(`ingest.${name}`, by);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Writes one batch; false when nothing could be written (stopped, waiting for a retry, or the write failed). */
  private flush(): boolean {
    if (this.current === 'stopped' || this.backoff.armed) return false;
    if (this.backlog.length === 0 && this.cursorToWrite === undefined) return false;
    const write = this.deps.writer.writeBatchAsync;
    if (write !== undefined) {
      this.startOnThread(write);
      return true;
    }
    const batch = this.takeBatch();
    if (this.backlog.length > 0 && this.current !== 'stopping') this.scheduleFlush();
    if (batch.kills.length > 0 && !this.writeAndPublish(batch)) {
      putBack(this.backlog, batch);
      this.onWriteFailed();
      return false;
    }
    this.onWritten();
    this.settle(batch);
    return true;
  }

  private takeBatch(): Batch {
    const expiredBeforeMs = this.retentionMs > 0 ? Date.now() - this.retentionMs : Number.NEGATIVE_INFINITY;
    return takeBatch(this.backlog, MAX_BATCH, expiredBeforeMs);
  }

  /** One batch on the writer thread at a time; what arrives meanwhile makes the next one larger. */
  private startOnThread(write: WriteAsync): void {
    if (this.inFlight !== undefined) return;
    this.inFlight = this.flushOnThread(write).then(() => {
      this.inFlight = undefined;
      const more = this.backlog.length > 0 || this.cursorToWrite !== undefined;
      if (more && !this.backoff.armed && this.current !== 'stopping' && this.current !== 'stopped') this.scheduleFlush();
    });
  }

  /** flush() through the writer thread: the same steps, with the feed's cursor riding in the batch. */
  private async flushOnThread(write: WriteAsync): Promise<boolean> {
    const batch = this.takeBatch();
    const cursor = this.cursorToWrite;
    this.cursorToWrite = undefined;
    let written: readonly KillWriteOutcome[] = [];
    if (batch.kills.length > 0 || cursor !== undefined) {
      try {
        written = await write(
          batch.kills.map((k) => k.kill),
          cursor === undefined ? undefined : [cursor],
        );
      } catch (err) {
        this.writeFailed(err, batch.kills.length);
        putBack(this.backlog, batch);
        this.cursorToWrite ??= cursor;
        this.onWriteFailed();
        return false;
      }
    }
    this.publish(batch, written);
    this.onWritten();
    this.settle(batch);
    return true;
  }

  private onWriteFailed(): void {
    if (this.current === 'stopping') return; // no timer: stop() leaves the rest unacknowledged
    if (this.current === 'running') this.moveTo('backlogged');
    this.backoff.arm(() => this.flush());
  }

  private onWritten(): void {
    this.backoff.reset();
    if (this.current === 'backlogged') this.moveTo('running');
    else if (this.current === 'paused' && this.backlog.length < this.pauseAt / 2) this.moveTo('running');
  }

  /** After the commit: failures, retry bookkeeping, the feed's acknowledgements and cursor. */
  private settle(batch: Batch): void {
    if (batch.expired > 0) this.count('expired', batch.expired);
    for (const o of batch.outcomes) {
      if (o.kind === 'failed') this.onFailure(o);
      else if (o.seq !== 0) this.retry.settled(o.seq);
    }
    const feed = this.deps.feed();
    // The feed's entries (seq > 0; runOne bypasses the rings, re-pushed retries have seq < 0).
    // An entry waiting for a refetch is not acknowledged: the cursor stays before it.
    if (feed !== undefined) for (const o of batch.outcomes) if (o.seq > 0 && !this.retry.holds(o.seq)) feed.ack(o.seq);
    const cursor = feed === undefined ? undefined : this.persistCursor(feed);
    if (this.deps.replicate !== undefined && (this.replicated.length > 0 || cursor !== undefined)) {
      const items = this.replicated;
      this.replicated = [];
      this.deps.replicate(items, cursor);
    }
  }

  private onFailure(o: FailedOutcome): void {
    if (this.retry.offer(o)) return; // another try later: not a failure yet
    this.count('failed');
    this.deps.counters.inc(`ingest.failed.${o.reason}`);
    if (o.reason !== 'dead_letter') return;
    try {
      this.deps.writer.deadLetter({ source: o.source, reason: o.reason, message: o.message });
    } catch (err) {
      this.count('store_errors');
      this.deps.logger.error({ err, seq: o.seq }, 'dead letter not saved');
    }
  }

  /** One cursor write per batch, after the kills it covers were committed. */
  private persistCursor(f: Feed): CursorValue | undefined {
    const cursor = f.pendingCursor?.();
    if (cursor === undefined) return undefined;
    if (this.deps.writer.writeBatchAsync !== undefined) {
      // On the writer thread with the next batch: no transaction of its own on this thread.
      this.cursorToWrite = cursor;
      return cursor;
    }
    try {
      this.deps.cursors.setCursor(cursor.name, cursor.value);
    } catch (err) {
      // The kills are stored; an old cursor only means refetching (and skipping) them after a restart.
      this.count('store_errors');
      this.deps.logger.error({ err, cursor }, 'cursor not saved');
    }
    return cursor;
  }

  private writeFailed(err: unknown, kills: number): void {
    this.count('store_errors');
    this.deps.logger.error({ err, kills, retryInMs: this.backoff.delayMs }, 'store write failed; batch kept for a retry, not acknowledged');
  }

  private writeAndPublish(batch: Batch): boolean {
    let written: readonly KillWriteOutcome[];
    try {
      written = this.deps.writer.writeBatch(batch.kills.map((k) => k.kill));
    } catch (err) {
      this.writeFailed(err, batch.kills.length);
      return false;
    }
    this.publish(batch, written);
    return true;
  }

  /** The committed outcomes: counted, late names scheduled, new live kills published. */
  private publish(batch: Batch, written: readonly KillWriteOutcome[]): void {
    const { kills } = batch;
    const nowUs = epochUs();
    const publish: BusKill[] = [];
    for (let i = 0; i < kills.length; i++) {
      const { kill, older } = kills[i] as (typeof kills)[number];
      const w = written[i];
      if (this.deps.replicate !== undefined && w !== 'invalid')
        this.replicated.push({ kind: kill.replace ? 'replace' : 'kill', record: kill, older });
      if (w === 'stored') {
        this.count('stored');
        this.deps.latency.recordUs(nowUs - kill.receivedAtUs);
        if (this.deps.enrich && !kill.enriched) this.late.schedule(kill.killmailId, kill.json);
        if (older) this.count('older');
        else publish.push(kill);
      } else if (w === 'replaced') {
        this.count('replaced');
        // The new copy supersedes any completion queued for the old one.
        if (this.deps.enrich && !kill.enriched) this.late.schedule(kill.killmailId, kill.json);
        else this.late.cancel(kill.killmailId);
      } else if (w === 'skipped') this.count('skipped');
      else this.count('invalid');
    }
    if (publish.length > 0) {
      this.count('broadcast', publish.length);
      this.deps.bus.publish(publish);
    }
  }
}
