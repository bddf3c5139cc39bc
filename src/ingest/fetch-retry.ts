// Second chances for feed entries that failed for a reason another try can fix, instead of
// losing the kill:
// - ESI fetch failures (a RedisQ short package while ESI is down): the queue has already handed
//   the kill over, so the worker returns the package's bytes; they go back into the pipeline
//   after a delay, a few times (re-pushed with seq = -retryId: the feed never acknowledges it).
// - Bodies that are not JSON (a malformed 200 from R2Z2): R2Z2 entries are immutable files, so
//   the entry is fetched again (feed.refetch) after a back-off and pushed under its own seq. That
//   seq is not acknowledged meanwhile, so the feed's cursor stays before it: a crash refetches it.
// Either way, once the schedule (net/policies.ts) is spent the entry is dead-lettered with its
// body (kept in SQLite; `wkills db dead-letters retry` replays them).
import { epochUs } from '../core/clock.js';
import type { Feed, IngestSink, KillWriter, PipelineOutcome, RawEntry } from '../core/ports.js';
import { POLICIES, schedule } from '../net/index.js';
import type { Counters, Logger } from '../telemetry/index.js';

const RETRY_DELAYS_MS = schedule(POLICIES.esiFetchRetry);
const REFETCH_DELAYS_MS = schedule(POLICIES.feedRefetch);
// Entries held for a retry or a refetch at once: an outage longer than this dead-letters instead of growing memory.
const MAX_HELD = 10_000;

type Failed = Extract<PipelineOutcome, { kind: 'failed' }>;

export interface FetchRetry {
  /** True when the failed outcome was taken for another try (the caller does not count it yet). */
  offer(outcome: Failed): boolean;
  /** True while the feed entry `seq` waits for a refetch: the caller must not acknowledge it. */
  holds(seq: number): boolean;
  /** A kill from a re-pushed entry arrived: forget its bookkeeping. */
  settled(seq: number): void;
  stats(): Record<string, number>;
  /** Dead-letter what still waits for ESI (the store must be open) and stop. */
  stop(): void;
}

interface Held {
  outcome: Failed;
  timer: NodeJS.Timeout | undefined;
}

export interface FetchRetryDeps {
  sink: IngestSink;
  store: { readonly writer: KillWriter };
  counters: Counters;
  logger: Logger;
  cutoffSeconds: number;
  delaysMs?: readonly number[];
  /** The feed whose malformed entries are refetched (none: they are dead-lettered at once). */
  feed?: () => Feed | undefined;
  refetchDelaysMs?: readonly number[];
}

export function createFetchRetry(deps: FetchRetryDeps): FetchRetry {
  const delays = deps.delaysMs ?? RETRY_DELAYS_MS;
  const refetchDelays = deps.refetchDelaysMs ?? REFETCH_DELAYS_MS;
  const attempts = new Map<number, number>(); // retryId → attempts made, while in the pipeline
  const held = new Map<number, Held>(); // retryId → waiting for its delay
  const refetches = new Map<number, number>(); // feed seq → refetches made (waiting or in the pipeline)
  const refetchTimers = new Set<NodeJS.Timeout>();
  let nextId = 1;
  let stopped = false;
  const totals = { fetch_retries: 0, fetch_retry_dead_letters: 0, feed_refetches: 0, feed_refetch_dead_letters: 0, parse_dead_letters: 0 };

  function inc(name: keyof typeof totals): void {
    totals[name]++;
    deps.counters.inc(`ingest.${name}`);
  }

  function deadLetter(o: Failed, counter: keyof typeof totals): void {
    inc(counter);
    // The feed position lets `wkills db dead-letters retry` fetch an R2Z2 entry again.
    const message = o.seq > 0 ? `${o.message} (${o.source} seq ${o.seq})` : o.message;
    try {
      deps.store.writer.deadLetter({ source: o.source, reason: o.reason, message, ...(o.body !== undefined && { body: o.body }) });
    } catch (err) {
      deps.logger.error({ err }, 'dead letter not saved');
    }
  }

  async function push(entry: RawEntry): Promise<void> {
    while (!deps.sink.push(entry)) {
      if (stopped) throw new Error('stopped before the entry could be pushed');
      await deps.sink.whenWritable();
    }
  }

  function entryFor(o: Failed, seq: number, body: Uint8Array): RawEntry {
    const cutoffMs = deps.cutoffSeconds > 0 ? Date.now() - deps.cutoffSeconds * 1000 : 0;
    return { source: o.source, body, seq, receivedAtUs: epochUs(), cutoffMs };
  }

  function offerEsi(outcome: Failed): boolean {
    const made = outcome.seq < 0 ? (attempts.get(-outcome.seq) ?? 0) : 0;
    if (outcome.seq < 0) attempts.delete(-outcome.seq);
    const delay = delays[made];
    if (delay === undefined || stopped || held.size >= MAX_HELD) {
      deadLetter(outcome, 'fetch_retry_dead_letters');
      return false; // the caller counts it as failed now
    }
    const id = nextId++;
    const h: Held = { outcome, timer: undefined };
    h.timer = setTimeout(() => {
      held.delete(id);
      attempts.set(id, made + 1);
      push(entryFor(outcome, -id, outcome.body as Uint8Array)).catch((err: unknown) => {
        attempts.delete(id);
        deadLetter(outcome, 'fetch_retry_dead_letters');
        deps.logger.warn({ err }, 'retry not pushed; dead-lettered');
      });
    }, delay);
    h.timer.unref();
    held.set(id, h);
    inc('fetch_retries');
    return true;
  }

  /** A body that is not JSON: refetch it (R2Z2) on the schedule, else dead-letter it with its body. */
  function offerRefetch(outcome: Failed): boolean {
    const seq = outcome.seq;
    const made = refetches.get(seq) ?? 0;
    const feed = deps.feed?.();
    const delay = refetchDelays[made];
    if (seq <= 0 || feed?.refetch === undefined || delay === undefined || stopped || refetches.size >= MAX_HELD) {
      refetches.delete(seq);
      deadLetter(outcome, made > 0 ? 'feed_refetch_dead_letters' : 'parse_dead_letters');
      return false;
    }
    refetches.set(seq, made + 1);
    inc('feed_refetches');
    const timer = setTimeout(() => {
      refetchTimers.delete(timer);
      if (stopped) return; // not acknowledged: the next start fetches it again from the cursor
      void feed.refetch!(seq)
        // A failed GET (404, network) pushes the old body: it fails again and its next try, or
        // its dead letter, is decided here like any other.
        .then((r) => push(entryFor(outcome, seq, r.ok ? r.body : (outcome.body ?? new Uint8Array()))))
        .catch((err: unknown) => deps.logger.warn({ err, seq }, 'refetched entry not pushed; the cursor keeps it for the next start'));
    }, delay);
    timer.unref();
    refetchTimers.add(timer);
    return true;
  }

  return {
    offer(outcome) {
      if (outcome.reason === 'esi_fetch' && outcome.body !== undefined) return offerEsi(outcome);
      if (outcome.seq < 0) attempts.delete(-outcome.seq);
      if (outcome.reason === 'json' && outcome.body !== undefined) return offerRefetch(outcome);
      refetches.delete(outcome.seq);
      return false;
    },
    holds: (seq) => refetches.size > 0 && refetches.has(seq),
    settled(seq) {
      if (seq < 0) attempts.delete(-seq);
      else if (refetches.size > 0) refetches.delete(seq);
    },
    stats: () => ({
      ...totals,
      fetch_retry_waiting: held.size,
      fetch_retry_in_pipeline: attempts.size,
      feed_refetch_pending: refetches.size,
    }),
    stop() {
      stopped = true;
      for (const h of held.values()) {
        clearTimeout(h.timer);
        deadLetter(h.outcome, 'fetch_retry_dead_letters');
      }
      held.clear();
      for (const t of refetchTimers) clearTimeout(t);
      refetchTimers.clear();
    },
  };
}
