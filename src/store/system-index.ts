// The per-system index: system id → its kills' (kill time, killmail id), oldest first. REST
// system answers, WebSocket preload and fan-out's counts read it; the rows come from SQLite by
// primary key (reader.ts).
//
// It replaced the SQLite index killmails_by_system_time. Systems arrive in random order, so each
// kill's entry landed on a random leaf page of that index, and each such page is a whole 8 KiB
// WAL frame in the commit, then copied again by the checkpoint: ~1 of the ~2.2 frames a kill
// wrote. Dropping it took ~11 µs of ~26 off the store's CPU per kill in a micro-bench, and ~15 %
// off the main thread's CPU per kill with names (docs/PERFORMANCE.md, "The system index in
// memory"). Like the character index (character-index.ts) it lives in memory, derived from the
// killmails rows (the durable copy) and rebuilt at open.
//
// Each system holds two growable Float64Arrays (time, id), sorted by (time, id), with a live
// range [start, end): new kills append (live kills are the newest of their system), retention
// removes at the head by moving `start`, and anything else (a late kill, backfill of an older day,
// a replaced kill) inserts or removes by binary search and a native copyWithin. 16 bytes a kill
// (a week of live traffic, ~350,000 kills: ~6 MB, ~12 MB with growth slack), off the V8 heap.
import type { Db } from './open.js';
import type { CharacterIndex } from './character-index.js';

/** The in-memory indexes a store keeps beside its rows (store/index.ts). */
export interface MemoryIndexes {
  characters: CharacterIndex;
  systems: SystemIndex;
}

export interface SystemIndex {
  add(systemId: number, killTimeMs: number, killmailId: number): void;
  remove(systemId: number, killTimeMs: number, killmailId: number): void;
  has(systemId: number, killTimeMs: number, killmailId: number): boolean;
  /** Killmail ids of the system's kills at or after `sinceMs`, newest first (time, then id), at most `limit`. */
  query(systemId: number, sinceMs: number, limit: number): number[];
  /** Kills of the system at or after `sinceMs`. */
  count(systemId: number, sinceMs: number): number;
  /** The time of the `n`th newest kill at or after `sinceMs` (1-based); undefined when fewer. */
  timeOfNth(systemId: number, sinceMs: number, n: number): number | undefined;
  stats(): { systems: number; entries: number };
}

const INITIAL = 8;

class Kills {
  times = new Float64Array(INITIAL);
  ids = new Float64Array(INITIAL);
  start = 0;
  end = 0;

  get size(): number {
    return this.end - this.start;
  }

  /** First position in [start, end) whose (time, id) is >= (t, id). */
  lowerBound(t: number, id: number): number {
    let lo = this.start;
    let hi = this.end;
    const { times, ids } = this;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const mt = times[mid] as number;
      if (mt < t || (mt === t && (ids[mid] as number) < id)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Room for one more at the end: slide the live range to 0, or double. */
  private makeRoom(): void {
    const n = this.size;
    if (this.start > 0 && n < this.times.length / 2) {
      this.times.copyWithin(0, this.start, this.end);
      this.ids.copyWithin(0, this.start, this.end);
    } else {
      const times = new Float64Array(this.times.length * 2);
      const ids = new Float64Array(this.times.length * 2);
      times.set(this.times.subarray(this.start, this.end));
      ids.set(this.ids.subarray(this.start, this.end));
      this.times = times;
      this.ids = ids;
    }
    this.start = 0;
    this.end = n;
  }

  insert(t: number, id: number): void {
    if (this.end === this.times.length) this.makeRoom();
    const end = this.end;
    const lastT = end > this.start ? (this.times[end - 1] as number) : -Infinity;
    if (t > lastT || (t === lastT && id > (this.ids[end - 1] as number))) {
      this.times[end] = t;
      this.ids[end] = id;
      this.end = end + 1;
      return;
    }
    const at = this.lowerBound(t, id);
    if (at < end && this.times[at] === t && this.ids[at] === id) return;
    this.times.copyWithin(at + 1, at, end);
    this.ids.copyWithin(at + 1, at, end);
    this.times[at] = t;
    this.ids[at] = id;
    this.end = end + 1;
  }

  /** False when the pair is not held. */
  delete(t: number, id: number): boolean {
    const at = this.lowerBound(t, id);
    if (at >= this.end || this.times[at] !== t || this.ids[at] !== id) return false;
    if (at === this.start) this.start++;
    else {
      this.times.copyWithin(at, at + 1, this.end);
      this.ids.copyWithin(at, at + 1, this.end);
      this.end--;
    }
    return true;
  }
}

export function createSystemIndex(): SystemIndex {
  const systems = new Map<number, Kills>();
  let entries = 0;

  return {
    add(systemId, killTimeMs, killmailId) {
      let k = systems.get(systemId);
      if (k === undefined) systems.set(systemId, (k = new Kills()));
      const before = k.size;
      k.insert(killTimeMs, killmailId);
      entries += k.size - before;
    },
    remove(systemId, killTimeMs, killmailId) {
      const k = systems.get(systemId);
      if (k === undefined || !k.delete(killTimeMs, killmailId)) return;
      entries--;
      if (k.size === 0) systems.delete(systemId);
    },
    has(systemId, killTimeMs, killmailId) {
      const k = systems.get(systemId);
      if (k === undefined) return false;
      const at = k.lowerBound(killTimeMs, killmailId);
      return at < k.end && k.times[at] === killTimeMs && k.ids[at] === killmailId;
    },
    query(systemId, sinceMs, limit) {
      const k = systems.get(systemId);
      if (k === undefined || !(limit > 0)) return [];
      const from = Math.max(k.lowerBound(sinceMs, -Infinity), k.end - limit);
      const out = new Array<number>(k.end - from);
      for (let i = k.end - 1, j = 0; i >= from; i--, j++) out[j] = k.ids[i] as number;
      return out;
    },
    count(systemId, sinceMs) {
      const k = systems.get(systemId);
      return k === undefined ? 0 : k.end - k.lowerBound(sinceMs, -Infinity);
    },
    timeOfNth(systemId, sinceMs, n) {
      const k = systems.get(systemId);
      if (k === undefined || n < 1) return undefined;
      const at = k.end - n;
      return at >= k.lowerBound(sinceMs, -Infinity) ? k.times[at] : undefined;
    },
    stats: () => ({ systems: systems.size, entries }),
  };
}

/**
 * Rebuild both indexes from the rows in one scan, oldest first (killmails_by_time, ties by id):
 * every system add is an append.
 */
export function loadIndexes(db: Db, { characters, systems }: MemoryIndexes): void {
  const rows = db
    .prepare<[], [number, number, number, string]>(
      'SELECT killmail_id, kill_time_ms, system_id, character_ids FROM killmails ORDER BY kill_time_ms',
    )
    .raw()
    .iterate();
  for (const [killmailId, killTimeMs, systemId, text] of rows) {
    systems.add(systemId, killTimeMs, killmailId);
    if (text !== '') characters.add(text.split(',').map(Number), killTimeMs, killmailId);
  }
}
