// Pipeline outcomes → store → bus, and the feed's acknowledgements. Runs on the main thread once
// per drained batch: one transaction per batch, no JSON parsed or built per kill (the worker
// serialised the canonical killmail once), no per-kill logging.
import { epochUs } from '../core/clock.js';
import type { BusKill, Feed, IngestSink, KillBus, PipelineOutcome } from '../core/ports.js';
import type { KillRecord } from '../core/killmail.js';
import type { Pipeline } from '../pipeline/index.js';
import type { Store } from '../store/index.js';
import type { Counters, LatencyHistogram, Logger } from '../telemetry/index.js';
import { createLateEnricher, type LateEnricher } from './late-enrich.js';
import { createFetchRetry } from './fetch-retry.js';

// A failed store batch is retried from half a second (a locked file clears fast) doubling to 30 s (a full disk does not).
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;
/**
 * Outcomes held before the feed is paused (a store that refuses writes): the feed waits in
 * whenWritable() like on a full ring, so the backlog stops near this size and nothing is dropped.
 */
const PAUSE_FEED_AT = 20_000;

export interface ResultSink {
  onOutcomes(outcomes: PipelineOutcome[]): void;
  /**
   * The sink the feed pushes into: the pipeline's, paused while the store holds back a large
   * backlog (a write failure), so the feed waits instead of the backlog growing.
   */
  gate(sink: IngestSink): IngestSink;
  stats(): Record<string, number>;
  stop(): void;
}

export interface ResultSinkDeps {
  store: Store;
  pipeline: Pipeline;
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
  /** Delays between those re-pushes (tests shorten them). */
  fetchRetryDelaysMs?: readonly number[];
  /** Backlog size that pauses the feed (default PAUSE_FEED_AT; tests lower it). */
  pauseFeedAt?: number;
}

export function createResultSink(deps: ResultSinkDeps): ResultSink {
  const { store, bus, counters, logger, latency } = deps;
  const pauseAt = deps.pauseFeedAt ?? PAUSE_FEED_AT;
  const late: LateEnricher = createLateEnricher({ pipeline: deps.pipeline, store, counters, logger });
  const retry = createFetchRetry({
    sink: deps.pipeline, store, counters, logger, cutoffSeconds: deps.cutoffSeconds,
    ...(deps.fetchRetryDelaysMs !== undefined && { delaysMs: deps.fetchRetryDelaysMs }),
  });
  const kills: KillRecord[] = [];
  const older: boolean[] = [];
  const totals = { stored: 0, skipped: 0, replaced: 0, older: 0, failed: 0, invalid: 0, store_errors: 0, feed_pauses: 0, broadcast: 0 };

  function count(name: keyof typeof totals, by = 1): void {
    totals[name] += by;
    counters.inc(`ingest.${name}`, by);
  }

  function onFailure(o: Extract<PipelineOutcome, { kind: 'failed' }>): void {
    if (retry.offer(o)) return; // another try later: not a failure yet
    count('failed');
    counters.inc(`ingest.failed.${o.reason}`);
    if (o.reason !== 'dead_letter') return;
    try {
      store.writer.deadLetter({ source: o.source, reason: o.reason, message: o.message });
    } catch (err) {
      count('store_errors');
      logger.error({ err, seq: o.seq }, 'dead letter not saved');
    }
  }

  // Outcomes arrive per lane drain; they are gathered until the end of this event-loop turn and
  // written as one transaction. A commit costs about as much as inserting a hundred kills
  // (bench/ingest/run.ts profile), so merging the lanes' small batches roughly halves the store's
  // share of the main thread under load, for at most one loop turn of extra latency.
  const pending: PipelineOutcome[] = [];
  let flushScheduled = false;
  const MAX_PENDING = 4096;

  function onOutcomes(outcomes: PipelineOutcome[]): void {
    for (const o of outcomes) pending.push(o);
    if (pending.length >= MAX_PENDING) flush();
    else if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  }

  // While the store refuses writes (disk full, I/O error), outcomes wait here unacknowledged and
  // a timer retries with back-off; past PAUSE_FEED_AT the feed is paused (gate()), so nothing
  // is dropped and memory stays bounded by that plus what the rings hold.
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelayMs = RETRY_MIN_MS;
  let stopped = false;

  function flush(): void {
    flushScheduled = false;
    if (stopped || pending.length === 0 || retryTimer !== undefined) return;
    // At most MAX_PENDING per transaction: a backlog after a store outage drains in event-loop
    // sized steps instead of one transaction that would hold the loop for seconds.
    const outcomes = pending.splice(0, Math.min(pending.length, MAX_PENDING));
    if (pending.length > 0 && !flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
    kills.length = 0;
    older.length = 0;
    for (const o of outcomes) {
      if (o.kind === 'kill') {
        kills.push(o.kill);
        older.push(o.older);
      }
    }
    if (kills.length > 0 && !writeAndPublish()) {
      requeue(outcomes);
      return;
    }
    retryDelayMs = RETRY_MIN_MS;
    if (pending.length < pauseAt / 2) resumeFeed();
    for (const o of outcomes) {
      if (o.kind === 'failed') onFailure(o);
      else if (o.seq < 0) retry.settled(o.seq);
    }
    const feed = deps.feed();
    if (feed === undefined) return;
    // The feed's entries (seq > 0; runOne bypasses the rings, re-pushed retries have seq < 0).
    for (const o of outcomes) if (o.seq > 0) feed.ack(o.seq);
    persistCursor(feed);
  }

  function requeue(outcomes: PipelineOutcome[]): void {
    // Back in front of what arrived meanwhile (a loop, not a spread: the backlog can be long).
    const later = pending.splice(0, pending.length);
    for (const o of outcomes) pending.push(o);
    for (const o of later) pending.push(o);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      flush();
    }, retryDelayMs);
    retryTimer.unref();
    retryDelayMs = Math.min(RETRY_MAX_MS, retryDelayMs * 2);
  }

  let resumed: Promise<void> | undefined;
  let resume: (() => void) | undefined;

  function resumeFeed(): void {
    resume?.();
    resume = undefined;
    resumed = undefined;
  }

  function gate(sink: IngestSink): IngestSink {
    return {
      push(entry) {
        if (pending.length >= pauseAt && !stopped) {
          if (resumed === undefined) {
            count('feed_pauses');
            logger.warn({ backlog: pending.length }, 'store backlog: feed paused until it drains');
            resumed = new Promise<void>((r) => (resume = r));
          }
          return false;
        }
        return sink.push(entry);
      },
      whenWritable: () => (resumed ?? sink.whenWritable()),
    };
  }

  /** One cursor write per flush, after the kills it covers were committed. */
  function persistCursor(f: Feed): void {
    const cursor = f.pendingCursor?.();
    if (cursor === undefined) return;
    try {
      store.cursors.setCursor(cursor.name, cursor.value);
    } catch (err) {
      // The kills are stored; an old cursor only means refetching (and skipping) them after a restart.
      count('store_errors');
      logger.error({ err, cursor }, 'cursor not saved');
    }
  }

  function writeAndPublish(): boolean {
    let written;
    try {
      written = store.writer.writeBatch(kills);
    } catch (err) {
      count('store_errors');
      logger.error({ err, kills: kills.length, retryInMs: retryDelayMs }, 'store write failed; batch kept for a retry, not acknowledged');
      return false;
    }
    const nowUs = epochUs();
    const publish: BusKill[] = [];
    for (let i = 0; i < kills.length; i++) {
      const k = kills[i] as KillRecord;
      const w = written[i];
      if (w === 'stored') {
        count('stored');
        latency.recordUs(nowUs - k.receivedAtUs);
        if (deps.enrich && !k.enriched) late.schedule(k.killmailId, k.json);
        if (older[i]) count('older');
        else publish.push(k);
      } else if (w === 'replaced') {
        count('replaced');
        // The new copy supersedes any completion queued for the old one.
        if (deps.enrich && !k.enriched) late.schedule(k.killmailId, k.json);
        else late.cancel(k.killmailId);
      } else if (w === 'skipped') count('skipped');
      else count('invalid');
    }
    if (publish.length > 0) {
      count('broadcast', publish.length);
      bus.publish(publish);
    }
    return true;
  }

  return {
    onOutcomes,
    gate,
    stats: () => ({ ...totals, ...late.stats(), ...retry.stats() }),
    stop() {
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      retryTimer = undefined;
      // A last attempt; what still fails stays unacknowledged for the next start.
      while (pending.length > 0 && retryTimer === undefined) flush();
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      else {
        const feed = deps.feed();
        if (feed !== undefined) persistCursor(feed);
      }
      retryTimer = undefined;
      stopped = true; // the store closes next: nothing may write after this
      resumeFeed();
      late.stop();
      retry.stop();
    },
  };
}
