// The per-character index against a plain model (a Map of pair lists): random adds, removes and
// queries, with enough characters to grow and shrink the hash, long lists that span many blocks,
// and pairs the compact layout cannot hold (fractional and pre-1970 times, ids above 2^32).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCharacterIndex, joinIds } from '../../../src/store/character-index.js';

interface Pair {
  timeMs: number;
  killmailId: number;
}

function createModel() {
  const lists = new Map<number, Pair[]>();
  return {
    add(ids: readonly number[], timeMs: number, killmailId: number) {
      for (const id of ids) lists.set(id, [...(lists.get(id) ?? []), { timeMs, killmailId }]);
    },
    remove(ids: readonly number[], timeMs: number, killmailId: number) {
      for (const id of ids) {
        const list = lists.get(id) ?? [];
        const i = list.findIndex((p) => p.killmailId === killmailId && p.timeMs === timeMs);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) lists.delete(id);
      }
    },
    query(id: number, sinceMs: number, limit: number): number[] {
      return (lists.get(id) ?? [])
        .filter((p) => p.timeMs >= sinceMs)
        .sort((a, b) => b.timeMs - a.timeMs || b.killmailId - a.killmailId)
        .slice(0, Math.max(0, limit))
        .map((p) => p.killmailId);
    },
    has: (id: number, killmailId: number) => (lists.get(id) ?? []).some((p) => p.killmailId === killmailId),
    stats: () => ({ characters: lists.size, entries: [...lists.values()].reduce((n, l) => n + l.length, 0) }),
    characters: () => [...lists.keys()],
  };
}

/** A small deterministic generator, so a failure replays. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
}

test('random adds, removes and queries answer as the model does, down to an empty index', () => {
  const rnd = random(42);
  const index = createCharacterIndex();
  const model = createModel();
  const stored: { ids: number[]; timeMs: number; killmailId: number }[] = [];
  const base = Date.UTC(2026, 10, 1);
  // A few busy characters (lists over many blocks) among thousands seen once or twice.
  const character = () => (rnd() < 0.3 ? 90_000_000 + Math.floor(rnd() * 20) : 2_112_000_000 + Math.floor(rnd() * 5_000));
  for (let step = 0; step < 20_000; step++) {
    if (stored.length > 0 && rnd() < 0.35) {
      // Mostly the oldest (retention), sometimes any (a replaced kill).
      const at = rnd() < 0.7 ? 0 : Math.floor(rnd() * stored.length);
      const [kill] = stored.splice(at, 1);
      if (kill === undefined) continue;
      index.remove(joinIds(kill.ids), kill.timeMs, kill.killmailId);
      model.remove(kill.ids, kill.timeMs, kill.killmailId);
      continue;
    }
    const ids = [...new Set(Array.from({ length: 1 + Math.floor(rnd() * 6) }, character))];
    const timeMs = base + Math.floor(rnd() * 86_400) * 1000; // out of order, like a backfill
    const kill = { ids, timeMs, killmailId: 130_000_000 + step };
    stored.push(kill);
    index.add(ids, timeMs, kill.killmailId);
    model.add(ids, timeMs, kill.killmailId);
    if (step % 97 === 0) {
      const id = character();
      const since = base + Math.floor(rnd() * 86_400) * 1000;
      assert.deepEqual(index.query(id, since, 25), model.query(id, since, 25), `query(${id}) at step ${step}`);
      assert.equal(index.has(id, kill.killmailId), model.has(id, kill.killmailId));
    }
  }
  assert.deepEqual(index.stats(), model.stats());
  for (const id of model.characters()) assert.deepEqual(index.query(id, 0, 1_000_000), model.query(id, 0, 1_000_000));
  for (const kill of stored) index.remove(joinIds(kill.ids), kill.timeMs, kill.killmailId);
  assert.deepEqual(index.stats(), { characters: 0, entries: 0 });
  assert.deepEqual(index.query(90_000_001, 0, 10), []);
});

test('pairs the compact layout cannot hold keep their exact time and id', () => {
  const index = createCharacterIndex();
  const odd: Pair[] = [
    { timeMs: Date.UTC(2026, 0, 1) + 250, killmailId: 5 }, // not a whole second
    { timeMs: Date.UTC(1969, 11, 31), killmailId: 6 }, // before 1970
    { timeMs: Date.UTC(2026, 0, 2), killmailId: 2 ** 40 + 3 }, // id above 32 bits
    { timeMs: Date.UTC(2026, 0, 3), killmailId: 7 }, // an ordinary one between them
  ];
  for (const p of odd) index.add([2_112_000_001, 2 ** 35], p.timeMs, p.killmailId);
  const newestFirst = [7, 2 ** 40 + 3, 5, 6];
  assert.deepEqual(index.query(2_112_000_001, Number.NEGATIVE_INFINITY, 10), newestFirst);
  assert.deepEqual(index.query(2 ** 35, Number.NEGATIVE_INFINITY, 10), newestFirst);
  // The exact time decides: 250 ms past the second is at or after "since", 251 is not.
  assert.deepEqual(index.query(2_112_000_001, Date.UTC(2026, 0, 1) + 250, 10), [7, 2 ** 40 + 3, 5]);
  assert.deepEqual(index.query(2_112_000_001, Date.UTC(2026, 0, 1) + 251, 10), [7, 2 ** 40 + 3]);
  assert.ok(index.has(2 ** 35, 2 ** 40 + 3));
  // A remove must match the exact time too.
  index.remove('2112000001', Date.UTC(2026, 0, 1), 5);
  assert.equal(index.stats().entries, 8);
  for (const p of odd) index.remove(`2112000001,${2 ** 35}`, p.timeMs, p.killmailId);
  assert.deepEqual(index.stats(), { characters: 0, entries: 0 });
});

test('a character indexed in many blocks answers newest first with the limit applied', () => {
  const index = createCharacterIndex();
  const base = Date.UTC(2026, 5, 1);
  for (let i = 0; i < 1000; i++) index.add([42], base + i * 1000, 1000 + i);
  assert.deepEqual(index.query(42, base + 995_000, 100), [1999, 1998, 1997, 1996, 1995]);
  assert.deepEqual(index.query(42, 0, 3), [1999, 1998, 1997]);
  assert.deepEqual(index.query(42, 0, 0), []);
  for (let i = 0; i < 999; i++) index.remove('42', base + i * 1000, 1000 + i);
  assert.deepEqual(index.query(42, 0, 10), [1999]);
  assert.deepEqual(index.stats(), { characters: 1, entries: 1 });
});

test('a kill naming more characters than the add log holds, among ordinary kills, is indexed whole and in order', () => {
  const index = createCharacterIndex();
  const model = createModel();
  const crowd = Array.from({ length: 40_000 }, (_, i) => 2_000_000_000 + i);
  const kills = [
    { ids: [7, 8], timeMs: 1_000_000, killmailId: 1 },
    { ids: crowd, timeMs: 2_000_000, killmailId: 2 },
    { ids: [7, ...crowd.slice(0, 3)], timeMs: 3_000_000, killmailId: 3 },
  ];
  for (const k of kills) {
    index.add(k.ids, k.timeMs, k.killmailId);
    model.add(k.ids, k.timeMs, k.killmailId);
  }
  assert.deepEqual(index.stats(), model.stats());
  for (const id of [7, 8, 2_000_000_000, 2_000_000_002, 2_000_039_999]) assert.deepEqual(index.query(id, 0, 10), model.query(id, 0, 10));
});
