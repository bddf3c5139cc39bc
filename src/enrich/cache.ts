// The worker-side name cache: a per-worker LRU per namespace in front of the SQLite tables that
// all workers share (a readonly connection here; the one writer is on the main thread, so rows
// this worker resolves wait in `pending` until the main thread takes and applies them).
// When the file or its tables do not exist yet (fresh file, ':memory:') it runs LRU-only: the
// migration owner creates tables, never this code.
import Database from 'better-sqlite3';
import type { Counters } from '../telemetry/counters.js';
import type { CacheWrite } from './cache-writer.js';
import type { HttpCacheRow, HttpCacheStore } from './http-cache.js';
import { Lru } from './lru.js';
import { NAMESPACES, type Cached, type EntryOf, type Namespace } from './cache-types.js';
import { installLoaders, toWrite, type Loader } from './cache-db.js';

export * from './cache-types.js';

const PROBE_EVERY_MS = 5000;

export interface NameCacheOptions {
  dbPath: string;
  counters: Counters;
  lruEntriesPerNamespace?: number;
  maxPendingWrites?: number;
  now?: () => number;
}

export class NameCache {
  private readonly lrus = new Map<Namespace, Lru<number, Cached<Namespace>>>();
  private readonly loaders = new Map<Namespace, Loader>();
  /** hits[i]/misses[i] per NAMESPACES index: plain numbers on the hot path, published in stats(). */
  private readonly hits = new Array<number>(NAMESPACES.length).fill(0);
  private readonly misses = new Array<number>(NAMESPACES.length).fill(0);
  private readonly index = new Map<Namespace, number>(NAMESPACES.map((ns, i) => [ns, i]));
  private pending: CacheWrite[] = [];
  private db: Database.Database | undefined;
  /** When the file or its tables were missing: the last probe (epoch ms), retried every PROBE_EVERY_MS. */
  private lastProbeMs = 0;
  private httpGet: ((url: string) => HttpCacheRow | undefined) | undefined;
  readonly now: () => number;
  /** The LRUs again, by NAMESPACES index: fresh() skips the namespace's name lookup. */
  private readonly lruAt: Lru<number, Cached<Namespace>>[] = [];
  /** Whether the last get() loaded its entry from the shared database (warm-names.ts counts it). */
  lastFromDb = false;

  constructor(private readonly opts: NameCacheOptions) {
    this.now = opts.now ?? Date.now;
    for (const ns of NAMESPACES) {
      const lru = new Lru<number, Cached<Namespace>>(opts.lruEntriesPerNamespace ?? 100_000);
      this.lrus.set(ns, lru);
      this.lruAt.push(lru);
    }
    this.db = this.open(this.now());
  }

  /**
   * An unexpired entry of this worker's LRU, else undefined (then get() decides: expiry, the
   * shared database). Uncounted: warm-names.ts counts a kill's lookups once it uses them.
   */
  fresh(nsIndex: number, id: number, nowMs: number): Cached<Namespace> | undefined {
    const v = (this.lruAt[nsIndex] as Lru<number, Cached<Namespace>>).get(id);
    return v !== undefined && v.expiresAtMs > nowMs ? v : undefined;
  }

  /** `count` is false for the re-check after lookups, so each id counts once per kill. */
  get<N extends Namespace>(ns: N, id: number, nowMs: number, count: boolean): Cached<N> | undefined {
    const lru = this.lrus.get(ns) as Lru<number, Cached<N>>;
    let v = lru.get(id);
    if (v !== undefined && v.expiresAtMs <= nowMs) {
      lru.delete(id);
      v = undefined;
    }
    this.lastFromDb = false;
    if (v === undefined) {
      if (this.db === undefined && nowMs - this.lastProbeMs >= PROBE_EVERY_MS) this.db = this.open(nowMs);
      v = this.loaders.get(ns)?.(id, nowMs) as Cached<N> | undefined;
      if (v !== undefined) {
        lru.set(id, v);
        this.lastFromDb = true;
        if (count) this.opts.counters.inc('enrich.cache.db_hit');
      }
    }
    if (count) {
      const i = this.index.get(ns) ?? 0;
      if (v === undefined) this.misses[i] = (this.misses[i] ?? 0) + 1;
      else this.hits[i] = (this.hits[i] ?? 0) + 1;
    }
    return v;
  }

  /**
   * Counts lookups made with `count` false as get() would have counted them: `hits` per
   * NAMESPACES index, `dbHits` of them loaded from the shared database.
   */
  countHits(hits: ArrayLike<number>, dbHits: number): void {
    for (let i = 0; i < NAMESPACES.length; i++) this.hits[i] = (this.hits[i] ?? 0) + (hits[i] ?? 0);
    if (dbHits > 0) this.opts.counters.inc('enrich.cache.db_hit', dbHits);
  }

  /** Caches a resolved entry here and queues its row for the main-thread writer. */
  put<N extends Namespace>(ns: N, id: number, entry: EntryOf[N]): void {
    this.lrus.get(ns)?.set(id, entry);
    const w = toWrite(ns, id, entry);
    if (w !== undefined) this.queue(w);
  }

  markUnresolvable(ns: Namespace, id: number, untilMs: number): void {
    this.lrus.get(ns)?.set(id, { unresolvable: true, expiresAtMs: untilMs });
    // Entity ids share one id space in esi_unresolvable; type/group/system ids would collide with
    // each other there, so their 404s stay in this worker's LRU only.
    if (ns === 'character' || ns === 'corporation' || ns === 'alliance') {
      this.queue({ table: 'esi_unresolvable', row: { id, until_ms: untilMs } });
    }
  }

  /** An id the names route refused, category unknown: unresolvable for all three entity readers, one row. */
  markEntityUnresolvable(id: number, untilMs: number): void {
    for (const ns of ['character', 'corporation', 'alliance'] as const)
      this.lrus.get(ns)?.set(id, { unresolvable: true, expiresAtMs: untilMs });
    this.queue({ table: 'esi_unresolvable', row: { id, until_ms: untilMs } });
  }

  takePendingWrites(): CacheWrite[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** Adapter for the ESI client's ETag/Expires rows (esi_http_cache). */
  httpCacheStore(): HttpCacheStore {
    return {
      get: (url) => this.httpGet?.(url),
      set: (row) => this.queue({ table: 'esi_http_cache', row }),
    };
  }

  stats(): Record<string, number> {
    let hits = 0;
    let misses = 0;
    NAMESPACES.forEach((ns, i) => {
      const h = this.hits[i] ?? 0;
      const m = this.misses[i] ?? 0;
      this.opts.counters.set(`enrich.cache.hit.${ns}`, h);
      this.opts.counters.set(`enrich.cache.miss.${ns}`, m);
      this.opts.counters.set(`enrich.cache.size.${ns}`, this.lrus.get(ns)?.size ?? 0);
      hits += h;
      misses += m;
    });
    this.opts.counters.set('enrich.cache.hit', hits);
    this.opts.counters.set('enrich.cache.miss', misses);
    this.opts.counters.set('enrich.cache.pending_writes', this.pending.length);
    this.opts.counters.set('enrich.cache.shared', this.db === undefined ? 0 : 1);
    return this.opts.counters.snapshot();
  }

  close(): void {
    this.db?.close();
  }

  private queue(w: CacheWrite): void {
    if (this.pending.length >= (this.opts.maxPendingWrites ?? 100_000)) {
      // Nobody drains the list (no writer wired): keep memory bounded; the LRU still has the row.
      this.opts.counters.inc('enrich.cache.pending_dropped');
      return;
    }
    this.pending.push(w);
  }

  /**
   * A worker may start before the store created the file or ran its migrations; then the
   * probe is repeated (on a cache miss, at most every PROBE_EVERY_MS) until the tables exist.
   */
  private open(nowMs: number): Database.Database | undefined {
    this.lastProbeMs = nowMs;
    if (this.opts.dbPath === ':memory:' || this.opts.dbPath === '') {
      this.lastProbeMs = Number.POSITIVE_INFINITY;
      return undefined;
    }
    let db: Database.Database;
    try {
      db = new Database(this.opts.dbPath, { readonly: true, fileMustExist: true });
    } catch {
      // No file yet (fresh install before the store opened it): counted, LRU only.
      this.opts.counters.inc('enrich.cache.db_unavailable');
      return undefined;
    }
    const present = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name),
    );
    installLoaders(db, present, this.loaders, (fn) => (this.httpGet = fn));
    if (this.loaders.size === 0 && this.httpGet === undefined) {
      db.close();
      return undefined;
    }
    return db;
  }
}
