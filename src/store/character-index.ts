// The per-character index: character id → the kills it appears in, newest first on query.
//
// It lives in memory, derived from killmails.character_ids (the durable copy, written in the same
// transaction as the kill) and rebuilt from it at open. Kept in SQLite as one row per
// (character, kill), it cost ~14 random B-tree inserts per kill — 65 µs of the main thread's
// ~90 µs per kill in bench/ingest/run.ts, more than everything else together, and ~6 dirty WAL
// pages per kill. Here an insert is a hash probe and a pair appended to a block, done in batches
// (the add log below): inside the pipeline ~3.5 µs per kill of main thread, against ~5 µs one
// kill at a time and ~5.5 µs for the Map of arrays it replaced (docs/PERFORMANCE.md, "Soak").
//
// Memory is the design constraint: a week of live traffic is ~1.5 M (character, kill) pairs over
// ~250,000 characters, most with a handful of kills. A Map of JS arrays held each pair as two
// doubles (16 bytes, ~20 with growth slack) on the V8 heap plus ~100 bytes per character (map
// entry, array object, elements header), and the collector kept headroom over all of it. Here
// everything is in typed arrays off the V8 heap (docs/OPERATIONS.md "Memory budgets"):
//  - a pool of blocks of up to 4 pairs, 40 bytes: [next block, pairs used, then per pair the kill
//    time in seconds and the killmail id]. A character's blocks form a list, oldest first
//    (insertion order, nearly time order), so retention removes at the head. Four pairs to a
//    block make a query of a busy character touch a quarter of the cache lines a node per pair
//    would (scattered over the pool, each is a cache and TLB miss), at the same ~12 bytes a pair.
//  - an open-addressing hash (linear probing, at most half full), 16 bytes per slot: character
//    id, first and last block.
// A pair that does not fit (a time that is not a whole second or before 1970, an id above
// 2^32 - 2) is marked WIDE and keeps its exact values in a side map: real killmails never need
// it, and the index stays exact for any input. Freed blocks go to a free list; the pool doubles
// when it runs out; untouched pages of a grown buffer are not resident, so RSS follows the pairs.
//
// bench/micro/store/character-index.bench.ts, a week's shape (1.75 M pairs): ~34 MB resident
// against ~85 MB for the Map of JS arrays it replaced; add 1.6x and remove 2.7x faster. The price:
// a query of a character in ~430 kills walks ~110 scattered blocks, 24 µs against 9 µs (a typical
// character: 3 µs both), still small beside reading the rows it names.

export interface CharacterIndex {
  add(characterIds: readonly number[], killTimeMs: number, killmailId: number): void;
  /** Remove the pairs listed by a stored `character_ids` text. */
  remove(characterIdsText: string, killTimeMs: number, killmailId: number): void;
  /** The kill is indexed under the character (a linear scan of that character's kills). */
  has(characterId: number, killmailId: number): boolean;
  /** Killmail ids of `characterId`'s kills at or after `sinceMs`, newest first, at most `limit`. */
  query(characterId: number, sinceMs: number, limit: number): number[];
  stats(): { characters: number; entries: number };
}

export function joinIds(ids: readonly number[]): string {
  return ids.length === 0 ? '' : ids.join(',');
}

/** No block (end of a list, empty free list). */
const NIL = 0xffffffff;
/** In a pair's time field: the pair's values are in `wide`, under the key in its id field. */
const WIDE = 0xffffffff;
const PAIRS = 4; // pairs per block
const BLOCK = 2 + 2 * PAIRS; // u32 fields per block: next, used, then [seconds, id] per pair
const INITIAL_BLOCKS = 1024;
const INITIAL_SLOTS = 256;
/** Pairs logged before a fold, and the bits of the fold's sort key (the slot hash's top bits). */
const FOLD_AT = 16_384;
const SORT_BITS = 12;

/** Fibonacci hashing of a positive safe integer into `bits` bits. */
function slotOf(id: number, bits: number): number {
  return Math.imul((id >>> 0) ^ ((id / 4294967296) >>> 0), 0x9e3779b1) >>> (32 - bits);
}

export function createCharacterIndex(): CharacterIndex {
  let pool = new Uint32Array(INITIAL_BLOCKS * BLOCK);
  let blockCount = 0; // blocks ever handed out (the pool's high-water mark)
  let free = NIL;
  const wide = new Map<number, { timeMs: number; killmailId: number }>();
  let nextWide = 0;

  let bits = Math.log2(INITIAL_SLOTS);
  let keys = new Float64Array(INITIAL_SLOTS); // 0: empty (ids are positive)
  let heads = new Uint32Array(INITIAL_SLOTS);
  let tails = new Uint32Array(INITIAL_SLOTS);
  let characters = 0;
  let entries = 0;

  function find(id: number): number {
    const mask = keys.length - 1;
    for (let s = slotOf(id, bits); ; s = (s + 1) & mask) {
      const k = keys[s] as number;
      if (k === id) return s;
      if (k === 0) return -1;
    }
  }

  function insertSlot(id: number, head: number, tail: number): void {
    const mask = keys.length - 1;
    let s = slotOf(id, bits);
    while (keys[s] !== 0) s = (s + 1) & mask;
    keys[s] = id;
    heads[s] = head;
    tails[s] = tail;
  }

  function growSlots(): void {
    const [oldKeys, oldHeads, oldTails] = [keys, heads, tails];
    bits++;
    keys = new Float64Array(1 << bits);
    heads = new Uint32Array(1 << bits);
    tails = new Uint32Array(1 << bits);
    for (let s = 0; s < oldKeys.length; s++)
      if (oldKeys[s] !== 0) insertSlot(oldKeys[s] as number, oldHeads[s] as number, oldTails[s] as number);
  }

  /** Empty slot `s` and shift later members of its probe run back (no tombstones). */
  function deleteSlot(s: number): void {
    const mask = keys.length - 1;
    let hole = s;
    for (let j = (s + 1) & mask; keys[j] !== 0; j = (j + 1) & mask) {
      const home = slotOf(keys[j] as number, bits);
      // j's member may move into the hole when its home is not cyclically within (hole, j].
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        keys[hole] = keys[j] as number;
        heads[hole] = heads[j] as number;
        tails[hole] = tails[j] as number;
        hole = j;
      }
    }
    keys[hole] = 0;
  }

  function newBlock(): number {
    let b = free;
    if (b !== NIL) free = pool[b * BLOCK] as number;
    else {
      if (blockCount * BLOCK === pool.length) {
        const grown = new Uint32Array(pool.length * 2);
        grown.set(pool);
        pool = grown;
      }
      b = blockCount++;
    }
    pool[b * BLOCK] = NIL;
    pool[b * BLOCK + 1] = 0;
    return b;
  }

  /** Write a pair at field offset `o` (its time field). */
  function putPair(o: number, killTimeMs: number, killmailId: number): void {
    const secs = killTimeMs / 1000;
    if (Number.isInteger(secs) && secs >= 0 && secs < WIDE && killmailId < NIL) {
      pool[o] = secs;
      pool[o + 1] = killmailId;
    } else {
      pool[o] = WIDE;
      pool[o + 1] = nextWide;
      wide.set(nextWide, { timeMs: killTimeMs, killmailId });
      nextWide = (nextWide + 1) % NIL;
    }
  }

  function timeAt(o: number): number {
    const secs = pool[o] as number;
    return secs === WIDE ? (wide.get(pool[o + 1] as number) as { timeMs: number }).timeMs : secs * 1000;
  }

  function idAt(o: number): number {
    return pool[o] === WIDE ? (wide.get(pool[o + 1] as number) as { killmailId: number }).killmailId : (pool[o + 1] as number);
  }

  function addOne(characterId: number, killTimeMs: number, killmailId: number): void {
    let s = find(characterId);
    if (s < 0) {
      if (2 * (characters + 1) > keys.length) growSlots();
      const b = newBlock();
      insertSlot(characterId, b, b);
      characters++;
      s = find(characterId);
    }
    let tail = tails[s] as number;
    if (pool[tail * BLOCK + 1] === PAIRS) {
      const b = newBlock(); // may grow the pool: index it after
      pool[tail * BLOCK] = b;
      tails[s] = tail = b;
    }
    const used = pool[tail * BLOCK + 1] as number;
    putPair(tail * BLOCK + 2 + 2 * used, killTimeMs, killmailId);
    pool[tail * BLOCK + 1] = used + 1;
  }

  function removeOne(characterId: number, killTimeMs: number, killmailId: number): void {
    const s = find(characterId);
    if (s < 0) return;
    let prev = NIL;
    for (let b = heads[s] as number; b !== NIL; prev = b, b = pool[b * BLOCK] as number) {
      const base = b * BLOCK + 2;
      const used = pool[b * BLOCK + 1] as number;
      for (let i = 0; i < used; i++) {
        const o = base + 2 * i;
        if (idAt(o) !== killmailId || timeAt(o) !== killTimeMs) continue;
        if (pool[o] === WIDE) wide.delete(pool[o + 1] as number);
        pool.copyWithin(o, o + 2, base + 2 * used);
        pool[b * BLOCK + 1] = used - 1;
        entries--;
        if (used === 1) unlinkBlock(s, prev, b);
        return;
      }
    }
  }

  /** Drop emptied block `b` (after `prev`) from slot `s`'s list; the last one drops the slot. */
  function unlinkBlock(s: number, prev: number, b: number): void {
    const next = pool[b * BLOCK] as number;
    if (prev === NIL) heads[s] = next;
    else pool[prev * BLOCK] = next;
    if (tails[s] === b) tails[s] = prev;
    pool[b * BLOCK] = free;
    free = b;
    if (prev === NIL && next === NIL) {
      deleteSlot(s);
      characters--;
    }
  }

  // Adds wait in a log and are folded in grouped by hash slot (a stable counting sort, so each
  // character's pairs keep their order): a character's slot and last block are then touched once
  // per fold instead of once per pair, each a likely cache miss right after a store transaction.
  // Every other method folds first, so nothing can observe the log.
  let logChars = new Float64Array(FOLD_AT);
  let logTimes = new Float64Array(FOLD_AT);
  let logIds = new Float64Array(FOLD_AT);
  let logged = 0;
  const bucketStarts = new Uint32Array((1 << SORT_BITS) + 1);
  let order = new Uint32Array(FOLD_AT);

  function fold(): void {
    if (logged === 0) return;
    const n = logged;
    logged = 0; // addOne below must not see the log
    bucketStarts.fill(0);
    for (let i = 0; i < n; i++) (bucketStarts[slotOf(logChars[i] as number, SORT_BITS) + 1] as number)++;
    for (let b = 1; b < bucketStarts.length; b++) bucketStarts[b] = (bucketStarts[b] as number) + (bucketStarts[b - 1] as number);
    if (order.length < n) order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[(bucketStarts[slotOf(logChars[i] as number, SORT_BITS)] as number)++] = i;
    for (let j = 0; j < n; j++) {
      const i = order[j] as number;
      addOne(logChars[i] as number, logTimes[i] as number, logIds[i] as number);
    }
  }

  function log(characterId: number, killTimeMs: number, killmailId: number): void {
    if (logged === logChars.length) {
      // A kill with more characters than the log holds grows it; otherwise it folds when full.
      const grown = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
        const g = new Float64Array(a.length * 2);
        g.set(a);
        return g;
      };
      [logChars, logTimes, logIds] = [grown(logChars), grown(logTimes), grown(logIds)];
    }
    logChars[logged] = characterId;
    logTimes[logged] = killTimeMs;
    logIds[logged] = killmailId;
    logged++;
  }

  return {
    add(characterIds, killTimeMs, killmailId) {
      if (logged + characterIds.length > FOLD_AT) fold();
      for (const id of characterIds) log(id, killTimeMs, killmailId);
      entries += characterIds.length;
    },
    has(characterId, killmailId) {
      fold();
      const s = find(characterId);
      if (s < 0) return false;
      for (let b = heads[s] as number; b !== NIL; b = pool[b * BLOCK] as number) {
        const used = pool[b * BLOCK + 1] as number;
        for (let i = 0; i < used; i++) if (idAt(b * BLOCK + 2 + 2 * i) === killmailId) return true;
      }
      return false;
    },
    remove(text, killTimeMs, killmailId) {
      if (text.length === 0) return;
      fold();
      for (const part of text.split(',')) removeOne(Number(part), killTimeMs, killmailId);
    },
    query(characterId, sinceMs, limit) {
      fold();
      const s = find(characterId);
      if (s < 0 || limit <= 0) return [];
      const hits: [number, number][] = [];
      for (let b = heads[s] as number; b !== NIL; b = pool[b * BLOCK] as number) {
        const used = pool[b * BLOCK + 1] as number;
        for (let i = 0; i < used; i++) {
          const o = b * BLOCK + 2 + 2 * i;
          const t = timeAt(o);
          if (t >= sinceMs) hits.push([t, idAt(o)]);
        }
      }
      hits.sort((a, b) => b[0] - a[0] || b[1] - a[1]);
      return hits.slice(0, limit).map((h) => h[1]);
    },
    stats() {
      fold();
      return { characters, entries };
    },
  };
}
