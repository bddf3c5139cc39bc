// Types and helpers shared by the R2Z2 and RedisQ feeds.
import type { ComponentHealth, CursorStore, CursorValue, Feed, IngestSink, RawEntry } from '../core/ports.js';
import type { Counters, Logger, MetricKey } from '../telemetry/index.js';
import { untilAborted } from '../net/index.js';

/** A cursor value the caller should persist (with its next store batch) under `name`. */
export type CursorUpdate = CursorValue;

/** A running feed: the core Feed port plus what /health and the store writer need. */
export interface FeedHandle extends Feed {
  health(): ComponentHealth;
  /**
   * With `cursorMode: 'external'`, the cursor that moved since the last call (returned once,
   * then undefined until it moves again); the caller persists it, ideally in the same
   * transaction as the batch whose acks moved it. Always undefined in 'direct' mode.
   */
  pendingCursor(): CursorUpdate | undefined;
}

/** What every feed gets from app.ts. */
export interface FeedDeps {
  sink: IngestSink;
  cursors: CursorStore;
  logger: Logger;
  counters: Counters;
}

/** Cutoff for an entry received now: kills older than this are `older` downstream; 0 disables. */
export function cutoffAt(cutoffSeconds: number, nowMs: number = Date.now()): number {
  return cutoffSeconds > 0 ? nowMs - cutoffSeconds * 1000 : 0;
}

/**
 * Push with back-pressure: when the sink is full, wait for it to become writable and push the
 * same entry again (never drop it). Returns false only when the feed stopped while waiting.
 */
export function pushEntry(sink: IngestSink, entry: RawEntry, signal: AbortSignal, onWait: () => void): true | Promise<boolean> {
  // Synchronous when the rings take it at once (nearly always): no promise per entry.
  return sink.push(entry) ? true : pushWhenWritable(sink, entry, signal, onWait);
}

async function pushWhenWritable(sink: IngestSink, entry: RawEntry, signal: AbortSignal, onWait: () => void): Promise<boolean> {
  do {
    onWait();
    await untilAborted(sink.whenWritable(), signal);
    if (signal.aborted) return false;
  } while (!sink.push(entry));
  return true;
}

/** What a feed may count: the `feed.{source}.<event>` names declared in src/telemetry/metrics/feeds.ts. */
export type FeedEvent<K = MetricKey> = K extends `feed.${string}.${infer E}` ? E : never;

/** Local tallies for stats(), mirrored into the shared counters as `feed.<name>.<key>`. */
export class Tally {
  private readonly values = new Map<string, number>();
  private readonly names = new Map<string, MetricKey>();

  constructor(
    private readonly prefix: string,
    private readonly counters: Counters,
  ) {}

  inc(key: FeedEvent, by = 1): void {
    this.values.set(key, (this.values.get(key) ?? 0) + by);
    // The key is checked against the declarations when first used (src/telemetry/metrics/feeds.ts).
    // Its full name is kept: a new string per call (a backfill counts twice per kill) is hashed anew.
    let name = this.names.get(key);
    if (name === undefined) this.names.set(key, (name = `${this.prefix}.${key}` as MetricKey));
    this.counters.inc(name, by);
  }

  get(key: string): number {
    return this.values.get(key) ?? 0;
  }

  entries(): [string, number][] {
    return [...this.values.entries()];
  }
}

/** Age of the newest entry in ms, or null before the first one. */
export function ageMs(atMs: number | undefined, nowMs: number = Date.now()): number | null {
  return atMs === undefined ? null : Math.max(0, nowMs - atMs);
}
