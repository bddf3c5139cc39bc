// Storage stage: SQLite in WAL mode, one batch writer, a read connection with prepared
// queries, feed cursors, retention and the WAL watch. app.ts is the only importer.
import type { BackfillProgressStore, ComponentHealth, CursorStore, KillReader, StoredOrderReader, StoreStats } from '../core/ports.js';
import type { Counters, Logger } from '../telemetry/index.js';
import { DEFAULT_TUNING, MEMORY_PATH, openDatabase, type Db, type DbTuning } from './open.js';
import { migrate, schemaVersion } from './migrations.js';
import { createStoreWriter, type StoreWriter, type WriterStats } from './writer.js';
import { createWriterThread } from './writer-thread.js';
import { createKillReader } from './reader.js';
import { createSideWriteSync } from './side-writes.js';
import { createCharacterIndex } from './character-index.js';
import { createSystemIndex, loadIndexes, type MemoryIndexes } from './system-index.js';
import { createRetention, type Retention, type RetentionStats } from './retention.js';
import { startCheckpointer, type Checkpointer, type CheckpointerStats } from './checkpointer.js';
import { claimServe } from './serve-marker.js';
import { createWriteProbe } from './write-probe.js';
import { createResumeReader, createWebhookStore } from './push.js';
import type { ResumeReader, WebhookStore } from '../core/ports.js';
import { createSystemVersions } from './system-versions.js';
import { createProgressStore } from './progress.js';
import { createStoredOrderReader } from './stored-order.js';

export { spliceJsonArray } from './reader.js';
export { MEMORY_PATH, type DbTuning } from './open.js';
export { SCHEMA_VERSION } from './migrations.js';
export { servingPid } from './serve-marker.js';
export type { StoreWriter, WriteOutcome, CursorUpdate, DeadLetterEntry, WriterStats } from './writer.js';
export type { Retention, RetentionStats, CheckpointAction } from './retention.js';
export type { CheckpointerStats } from './checkpointer.js';
export { deadLetters, type DeadLetters, type DeadLetterRow } from './dead-letters.js';

export interface StoreOptions {
  /** SQLite file (parent folders are created) or ':memory:'. */
  path: string;
  /** Kills older than this are pruned; 0 keeps everything. */
  retentionHours: number;
  /** Time between retention runs / WAL checks, ms (default 60,000). */
  retentionIntervalMs?: number;
  /** Most kills deleted per retention transaction (default 500; batches are sized to take ~4 ms). */
  retentionBatchSize?: number;
  logger?: Logger;
  counters?: Counters;
  /** Receives each write batch's transaction time, µs. */
  batchHistogram?: { recordUs(us: number): void };
  /** Epoch ms clock (tests). */
  nowMs?: () => number;
  tuning?: Partial<DbTuning>;
  /**
   * Run WAL checkpoints on a worker thread once start() is called (default true; file
   * databases only). When false, the writer checkpoints every walAutocheckpointBytes itself.
   */
  checkpointThread?: boolean;
  /**
   * Lock wait once the store is open, ms (the busy_timeout of both connections; opening and
   * migrating use tuning.busyTimeoutMs). Short, because the wait blocks the event loop: a write
   * that meets another process's lock fails fast and the result sink retries it on a timer.
   */
  lockWaitMs?: number;
  /** Mark the file as served (`<db>.serving`) while started, so `wkills db vacuum` refuses. */
  serving?: boolean;
  /**
   * Another process serves this file (`wkills backfill`, `wkills db dead-letters retry`): batches
   * move the marker a serving store watches to index the kills written here (side-writes.ts).
   * A serving store that is not a side writer watches it.
   */
  sideWriter?: boolean;
  /**
   * Run the ingest's batches (writer.writeBatchAsync) on a writer thread with its own connection
   * (writer-thread.ts; default true here, off in the server's config: `dbWriterThread`). File
   * databases only, and not with a test clock (`nowMs`).
   */
  writerThread?: boolean;
}

// With the checkpoint thread on, the writer's own autocheckpoint fires only once the WAL holds
// 128 MiB, and retention's main-thread PASSIVE at 128 MiB. Under full ingest that backstop is
// still what lets the WAL restart (docs/PERFORMANCE.md, "Bytes to bytes with names": what was
// tried to move it).
const BACKSTOP_AUTOCHECKPOINT_BYTES = 128 * 1024 * 1024;
const BACKSTOP_PASSIVE_BYTES = 128 * 1024 * 1024;
// The longest a writer-thread batch was seen to hold the write lock, rounded up: 1,024 kills
// with names and a WAL restart (docs/PERFORMANCE.md, "The writer thread").
const WAIT_BEHIND_THREAD_MS = 250;

/** Everything /status and `wkills db stats` show about the store. */
export interface StoreReport extends StoreStats {
  path: string;
  schemaVersion: number;
  writer: WriterStats;
  retention: RetentionStats;
  checkpointer: CheckpointerStats | null;
}

export interface Store {
  /** Resolved file path, or ':memory:'. */
  readonly path: string;
  /** The one writer: writeBatch(records, cursors?) → outcomes; updateJson; deadLetter. */
  readonly writer: StoreWriter;
  /** Read queries on the read connection (canonical JSON texts, newest first). */
  readonly reader: KillReader;
  /** Feed cursors, committed immediately (pass cursors to writeBatch to commit them with kills). */
  readonly cursors: CursorStore;
  /** Backfill progress per job and unit, and the stored-id check backfill dedupes with. */
  readonly backfill: BackfillProgressStore;
  /** Kills in storage order on the read connection (WebSocket `since`). */
  readonly storedOrder: StoredOrderReader;
  readonly retention: Retention;
  /**
   * The writer connection itself, for the other main-thread writers of tables this schema
   * creates (enrich's cache rows): sharing it keeps one writer on the file, so they never wait
   * on each other's locks.
   */
  readonly connection: Db;
  /** Webhook subscriptions and outbox, on the writer connection (the writer inserts outbox rows: writer.setOutbox). */
  readonly webhooks: WebhookStore;
  /** SSE Last-Event-ID resume, on the read connection. */
  readonly resume: ResumeReader;
  /** Starts retention and the WAL checkpoint thread. */
  start(): void;
  /** Stops retention (finishing its current batch) and the checkpoint thread, then closes both connections. */
  stop(): Promise<void>;
  stats(): StoreStats;
  /** Kills other processes wrote into this served file and the index learned (side-writes.ts); null when not watching. */
  sideWriteStats(): { catchups: number; indexed: number; errors: number } | null;
  report(): StoreReport;
  /** Healthy while the database is open and the last write succeeded (the database is writable). */
  health(): ComponentHealth;
  /** Rebuild the file to reclaim free pages (`wkills db vacuum`); blocks: not for a serving process. */
  vacuum(): void;
  /** Closes both connections (checkpointing the WAL). Idempotent. */
  close(): void;
}

/**
 * Open (create, migrate) the database and build the writer, reader and retention on it.
 * Throws ERR_STORE_WRITE when the file's schema is newer than this build.
 */
export function openStore(opts: StoreOptions): Store {
  const threaded = opts.checkpointThread !== false && opts.path !== MEMORY_PATH;
  const tuning: DbTuning = {
    ...DEFAULT_TUNING,
    ...(threaded && { walAutocheckpointBytes: BACKSTOP_AUTOCHECKPOINT_BYTES }),
    ...opts.tuning,
  };
  const opened = openDatabase(opts.path, (db) => void migrate(db), tuning);
  const withThread = opts.writerThread !== false && opts.path !== MEMORY_PATH && opts.nowMs === undefined;
  // This connection's writes (retention, cache rows, late names, webhook state) queue behind the
  // writer thread's batches, which may hold the lock for a WAL restart: they wait that long.
  const mainWaitMs =
    opts.lockWaitMs === undefined ? undefined : withThread ? Math.max(opts.lockWaitMs, WAIT_BEHIND_THREAD_MS) : opts.lockWaitMs;
  if (mainWaitMs !== undefined) {
    opened.writer.pragma(`busy_timeout = ${mainWaitMs}`);
    if (opened.reader !== opened.writer) opened.reader.pragma(`busy_timeout = ${mainWaitMs}`);
  }
  const writerOpts = {
    ...(opts.nowMs !== undefined && { nowMs: opts.nowMs }),
    ...(opts.counters !== undefined && { counters: opts.counters }),
    ...(opts.batchHistogram !== undefined && { batchHistogram: opts.batchHistogram }),
  };
  const indexes: MemoryIndexes = { characters: createCharacterIndex(), systems: createSystemIndex() };
  loadIndexes(opened.writer, indexes);
  const { characters, systems } = indexes;
  // Shared by the writer, retention and the reader: what changed, per system (REST answer cache).
  // Another process's commits show in the writer connection's data_version (not its own).
  const dataVersion = opts.path === MEMORY_PATH ? undefined : opened.writer.prepare<[], number>('PRAGMA data_version').pluck();
  const versions = createSystemVersions(dataVersion && (() => (opened.writer.open ? (dataVersion.get() ?? 0) : 0)));
  const thread = withThread
    ? createWriterThread({
        path: opened.path,
        // Off the main thread a wait would block nothing, but a batch that meets another
        // process's lock still fails as fast as documented, and the sink retries it on a timer.
        tuning: { ...tuning, busyTimeoutMs: opts.lockWaitMs ?? tuning.busyTimeoutMs },
        sideWriter: opts.sideWriter === true,
        ...(opts.logger !== undefined && { logger: opts.logger }),
        // The thread's connection runs the WAL backstop now: a commit on this one (retention,
        // cache rows) must not copy the WAL on the main thread instead.
        onStart: () => void opened.writer.pragma('wal_autocheckpoint = 0'),
      })
    : undefined;
  const writer = createStoreWriter(opened.writer, {
    ...writerOpts,
    characters,
    systems,
    versions,
    sideWriter: opts.sideWriter === true,
    ...(thread !== undefined && { thread }),
  });
  const sideWrites =
    opts.serving === true && opts.sideWriter !== true && opts.path !== MEMORY_PATH
      ? createSideWriteSync(opened.writer, indexes, { onMoved: () => versions.bumpAll() })
      : undefined;
  const reader = createKillReader(opened.reader, indexes, versions);
  const retention = createRetention({
    db: opened.writer,
    characters,
    systems,
    versions,
    retentionHours: opts.retentionHours,
    busyTimeoutMs: mainWaitMs ?? tuning.busyTimeoutMs,
    lastWriteAtMs: () => writer.lastWriteAtMs(),
    // The thread owns routine checkpoints; the main-thread watch is only the fallback.
    ...(threaded && { walCheckpointBytes: BACKSTOP_PASSIVE_BYTES, idleMs: Number.POSITIVE_INFINITY }),
    ...(opts.retentionBatchSize !== undefined && { batchSize: opts.retentionBatchSize }),
    ...(opts.retentionIntervalMs !== undefined && { intervalMs: opts.retentionIntervalMs }),
    ...(opts.nowMs !== undefined && { nowMs: opts.nowMs }),
    ...(opts.logger !== undefined && { logger: opts.logger }),
    ...(opts.counters !== undefined && { counters: opts.counters }),
  });
  let closed = false;
  let checkpointer: Checkpointer | undefined;
  let unmark: (() => void) | undefined;
  const probe = createWriteProbe(opened.path);
  const close = (): void => {
    if (closed) return;
    closed = true;
    unmark?.();
    sideWrites?.stop();
    // The threads close their own connections on 'stop'; the writer's final TRUNCATE waits for them.
    void checkpointer?.stop();
    void writer.stopThread();
    opened.close();
  };
  return {
    path: opened.path,
    writer,
    reader,
    cursors: { getCursor: (name) => writer.getCursor(name), setCursor: (name, value) => writer.setCursor(name, value) },
    backfill: createProgressStore(opened.writer, opts.nowMs),
    storedOrder: createStoredOrderReader(opened.reader),
    retention,
    connection: opened.writer,
    webhooks: createWebhookStore(opened.writer),
    resume: createResumeReader(opened.reader),
    start() {
      if (closed) throw new Error('store: start() after close()');
      retention.start();
      sideWrites?.start();
      if (opts.serving === true && unmark === undefined) unmark = claimServe(opened.path);
      if (threaded && checkpointer === undefined) {
        checkpointer = startCheckpointer({
          path: opened.path,
          ...(opts.logger !== undefined && { logger: opts.logger }),
          ...(opts.counters !== undefined && { counters: opts.counters }),
        });
      }
    },
    async stop() {
      await retention.stop();
      await writer.stopThread();
      await checkpointer?.stop();
      close();
    },
    stats: () => reader.stats(),
    sideWriteStats: () => sideWrites?.stats() ?? null,
    report: () => ({
      ...reader.stats(),
      path: opened.path,
      schemaVersion: schemaVersion(opened.writer),
      writer: writer.stats(),
      retention: retention.stats(),
      checkpointer: checkpointer?.stats() ?? null,
    }),
    health: () => {
      if (closed) return { healthy: false, message: 'store closed' };
      const unwritable = probe();
      return unwritable === null ? writer.health() : { healthy: false, message: unwritable };
    },
    vacuum() {
      opened.writer.exec('VACUUM');
    },
    close,
  };
}
