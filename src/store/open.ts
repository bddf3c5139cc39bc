// Open the SQLite file: one read-write connection (the only writer of killmails) and one
// read-only connection for queries (REST, preload, SSE), both on the main thread.
//
// Durability (a crash, even kill -9, loses no killmail that was reported stored):
// journal_mode=WAL + synchronous=NORMAL. A commit appends the transaction to the WAL file with
// write(2) before writeBatch returns; the bytes are then in the OS page cache, which a process
// crash (kill -9, OOM kill, uncaught exception) does not lose: on reopen SQLite replays every
// committed frame of the WAL. NORMAL skips the fsync per commit (it fsyncs only at checkpoints),
// so an OS crash or power loss CAN lose the last transactions committed before it, never
// corrupting the file. Our contract is the process crash; synchronous=FULL would fsync every
// batch (~1-10 ms each on real disks) to also cover power loss. See test/unit/store/crash.test.ts.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { WkError } from '../core/errors.js';

export type Db = Database.Database;

export const MEMORY_PATH = ':memory:';

export interface DbTuning {
  /** How long a connection waits for another connection's lock (the checkpoint thread, `wkills sde import`, a second process). */
  busyTimeoutMs: number;
  /** Page cache of the reader (the writer too for ':memory:', where they are one connection), KiB. */
  cacheKiB: number;
  /** Page cache of the writer, KiB: it holds a batch's dirty pages; clean pages come through the memory map. */
  writerCacheKiB: number;
  /** Memory-mapped reads, bytes (reads skip a copy through the page cache). */
  mmapBytes: number;
  /** WAL bytes before the committing connection checkpoints on its own (0: never); set in pages of the file's own size. */
  walAutocheckpointBytes: number;
  /** After a checkpoint resets the WAL, truncate the file back to this size, bytes. */
  walSizeLimitBytes: number;
  /** Page size of a new file, bytes (an existing file keeps its own). */
  pageBytes: number;
}

export const DEFAULT_TUNING: DbTuning = {
  busyTimeoutMs: 5000,
  // The reader's (`dbCacheBytes`): 16 MiB made a cold REST answer 1.5x dearer once the kills it
  // reads no longer fit. The writer's (`dbWriterCacheBytes`): 16 MiB costs its batches nothing
  // measurable (the store micro-bench: 24.7 vs 25.7 CPU µs per kill with 64 MiB) and takes
  // ~50 MB off a busy server's RSS (docs/PERFORMANCE.md, "Soak").
  cacheKiB: 64 * 1024,
  writerCacheKiB: 16 * 1024,
  mmapBytes: 256 * 1024 * 1024,
  // 32 MiB: tens of batches between automatic checkpoints instead of one per batch (SQLite's
  // default, 1,000 pages, is ~1 batch of 4 KiB pages), so the fsync a checkpoint does is paid that
  // much less often on the hot path.
  walAutocheckpointBytes: 32 * 1024 * 1024,
  walSizeLimitBytes: 64 * 1024 * 1024,
  // 16 KiB, not SQLite's 4 KiB: a kill's row (3 KB of canonical JSON, 6 KB with names) never
  // spills into an overflow page, two to five rows share a page, and a commit appends a fraction
  // of the WAL frames (each two write(2) calls) for the same bytes. 8 KiB (one row a page with
  // names) measured 8-20 % faster than 4 KiB; 16 KiB ~17 % faster again with names and backfill
  // ~15 %, once the SQLite index by system (a random page per kill) had gone; 32 KiB was slower
  // than 16 (docs/PERFORMANCE.md, "Bytes to bytes with names" and "16 KiB pages").
  pageBytes: 16384,
};

export interface OpenedDb {
  /** Resolved file path, or ':memory:'. */
  readonly path: string;
  readonly memory: boolean;
  readonly writer: Db;
  /** Read-only connection for file databases; the writer itself for ':memory:'. */
  readonly reader: Db;
  close(): void;
}

// Errors that mean "this path cannot hold a writable database": the operator's --db is wrong
// (read-only filesystem or folder, a file where a folder should be), not a bug to print a stack for.
const PATH_ERRORS = new Set([
  'EROFS',
  'EACCES',
  'EPERM',
  'ENOTDIR',
  'EEXIST',
  'ENOENT',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  'SQLITE_READONLY_DIRECTORY',
  'SQLITE_PERM',
  'SQLITE_IOERR_WRITE',
]);

function pathError(path: string, err: unknown): Error {
  const raw = (err as { code?: unknown }).code;
  const code = typeof raw === 'string' ? raw : '';
  if (!PATH_ERRORS.has(code) && !code.startsWith('SQLITE_READONLY')) return err as Error;
  const why = `${code}: ${(err as Error).message}`;
  return new WkError(
    'ERR_CONFIG_INVALID',
    `invalid configuration:\n  - db: cannot open ${path} for writing (${why}); give a writable path with --db or WK_DB`,
    { cause: err },
  );
}

/** Open (and create) the writer connection. The schema is not touched here: see migrations.ts. */
export function openWriter(path: string, tuning: DbTuning = DEFAULT_TUNING): Db {
  const memory = path === MEMORY_PATH;
  if (path.length === 0) throw new Error('store: database path is empty (use ":memory:" for an in-memory database)');
  let db: Db;
  try {
    if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true });
    db = new Database(memory ? MEMORY_PATH : resolve(path));
  } catch (err) {
    throw pathError(path, err);
  }
  // ':memory:' has no WAL (journal_mode answers "memory"); every other pragma still applies.
  if (!memory) {
    let mode: unknown;
    try {
      // Only a new file takes it (it is fixed once the file is in WAL mode); an older file keeps its own.
      db.pragma(`page_size = ${tuning.pageBytes}`);
      mode = db.pragma('journal_mode = WAL', { simple: true });
    } catch (err) {
      db.close();
      throw pathError(path, err);
    }
    if (mode !== 'wal') {
      db.close();
      throw new Error(`store: could not enable WAL on ${path} (journal_mode is ${String(mode)})`);
    }
  }
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const pageBytes = db.pragma('page_size', { simple: true }) as number;
  db.pragma(`wal_autocheckpoint = ${Math.ceil(tuning.walAutocheckpointBytes / pageBytes)}`);
  db.pragma(`journal_size_limit = ${tuning.walSizeLimitBytes}`);
  applyCommon(db, tuning);
  // ':memory:' serves reads from this connection too: it keeps the reader's cache.
  if (!memory) db.pragma(`cache_size = ${-tuning.writerCacheKiB}`);
  return db;
}

/** A read-only connection to a file already created (and migrated) by the writer. */
export function openReader(path: string, tuning: DbTuning = DEFAULT_TUNING): Db {
  const db = new Database(resolve(path), { readonly: true, fileMustExist: true });
  applyCommon(db, tuning);
  return db;
}

function applyCommon(db: Db, tuning: DbTuning): void {
  db.pragma(`busy_timeout = ${tuning.busyTimeoutMs}`);
  db.pragma('temp_store = MEMORY');
  // Negative cache_size is KiB, positive would be pages.
  db.pragma(`cache_size = ${-tuning.cacheKiB}`);
  db.pragma(`mmap_size = ${tuning.mmapBytes}`);
}

/**
 * Open both connections. `migrate` runs on the writer before the reader opens, so the reader's
 * statements always see the current schema.
 */
export function openDatabase(path: string, migrate: (db: Db) => void, tuning: DbTuning = DEFAULT_TUNING): OpenedDb {
  const memory = path === MEMORY_PATH;
  const writer = openWriter(path, tuning);
  try {
    migrate(writer);
  } catch (err) {
    writer.close();
    throw err;
  }
  const reader = memory ? writer : openReader(path, tuning);
  return {
    path: memory ? MEMORY_PATH : resolve(path),
    memory,
    writer,
    reader,
    close() {
      if (reader !== writer && reader.open) reader.close();
      if (!writer.open) return;
      // The last connection to close checkpoints and deletes the WAL anyway; when pipeline workers
      // still hold their read connections, TRUNCATE here keeps a clean shutdown from leaving a large -wal.
      if (!memory) writer.pragma('wal_checkpoint(TRUNCATE)');
      writer.close();
    },
  };
}
