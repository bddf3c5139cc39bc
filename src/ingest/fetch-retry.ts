// Second chances for entries whose killmail could not be fetched from ESI (a RedisQ short
// package while ESI is down): the queue has already handed the kill over, so dropping the entry
// would lose it. The worker returns the package's bytes; they go back into the pipeline after
// a delay, a few times, and are dead-lettered with their body (kept in SQLite) if ESI still fails.
//
// A re-pushed entry carries seq = -retryId: the feed never acknowledges it, and its outcome finds
// its attempt count here.
import { epochUs } from '../core/clock.js';
import type { IngestSink, KillWriter, PipelineOutcome } from '../core/ports.js';
import type { Counters, Logger } from '../telemetry/index.js';

const RETRY_DELAYS_MS = [5_000, 30_000, 120_000];
const MAX_HELD = 10_000;

type Failed = Extract<PipelineOutcome, { kind: 'failed' }>;

export interface FetchRetry {
  /** True when the failed outcome was taken for another try (the caller does not count it yet). */
  offer(outcome: Failed): boolean;
  /** A kill from a re-pushed entry (seq < 0) arrived: forget its bookkeeping. */
  settled(seq: number): void;
  stats(): Record<string, number>;
  /** Dead-letter what still waits (the store must be open) and stop. */
  stop(): void;
}

interface Held {
  outcome: Failed;
  timer: NodeJS.Timeout | undefined;
}

export function createFetchRetry(deps: { sink: IngestSink; store: { readonly writer: KillWriter }; counters: Counters; logger: Logger; cutoffSeconds: number; delaysMs?: readonly number[] }): FetchRetry {
  const delays = deps.delaysMs ?? RETRY_DELAYS_MS;
  const attempts = new Map<number, number>(); // retryId → attempts made, while in the pipeline
  const held = new Map<number, Held>(); // retryId → waiting for its delay
  let nextId = 1;
  let stopped = false;
  const totals = { fetch_retries: 0, fetch_retry_dead_letters: 0 };

  function inc(name: keyof typeof totals): void {
    totals[name]++;
    deps.counters.inc(`ingest.${name}`);
  }

  function deadLetter(o: Failed): void {
    inc('fetch_retry_dead_letters');
    try {
      deps.store.writer.deadLetter({ source: o.source, reason: o.reason, message: o.message, ...(o.body !== undefined && { body: o.body }) });
    } catch (err) {
      deps.logger.error({ err }, 'dead letter not saved');
    }
  }

  async function push(id: number, o: Failed): Promise<void> {
    const cutoffMs = deps.cutoffSeconds > 0 ? Date.now() - deps.cutoffSeconds * 1000 : 0;
    const entry = { source: o.source, body: o.body as Uint8Array, seq: -id, receivedAtUs: epochUs(), cutoffMs };
    while (!deps.sink.push(entry)) {
      if (stopped) throw new Error('stopped before the entry could be pushed'); // → dead letter
      await deps.sink.whenWritable();
    }
  }

  return {
    offer(outcome) {
      const made = outcome.seq < 0 ? attempts.get(-outcome.seq) ?? 0 : 0;
      if (outcome.seq < 0) attempts.delete(-outcome.seq);
      if (outcome.reason !== 'esi_fetch' || outcome.body === undefined) return false;
      const delay = delays[made];
      if (delay === undefined || stopped || held.size >= MAX_HELD) {
        deadLetter(outcome);
        return false; // the caller counts it as failed now
      }
      const id = nextId++;
      const h: Held = { outcome, timer: undefined };
      h.timer = setTimeout(() => {
        held.delete(id);
        attempts.set(id, made + 1);
        push(id, outcome).catch((err: unknown) => {
          attempts.delete(id);
          deadLetter(outcome);
          deps.logger.warn({ err }, 'retry not pushed; dead-lettered');
        });
      }, delay);
      h.timer.unref();
      held.set(id, h);
      inc('fetch_retries');
      return true;
    },
    settled(seq) {
      if (seq < 0) attempts.delete(-seq);
    },
    stats: () => ({ ...totals, fetch_retry_waiting: held.size, fetch_retry_in_pipeline: attempts.size }),
    stop() {
      stopped = true;
      for (const h of held.values()) {
        clearTimeout(h.timer);
        deadLetter(h.outcome);
      }
      held.clear();
    },
  };
}
