// The per-character index as it was before the typed-array layout (src/store/character-index.ts):
// a Map from character id to a JS array of flat [killTimeMs, killmailId] pairs on the V8 heap.
// Kept as the baseline of bench/micro/store/character-index.bench.ts.
import type { CharacterIndex } from '../../src/store/character-index.js';

export function createMapCharacterIndex(): CharacterIndex {
  const lists = new Map<number, number[]>();
  let entries = 0;

  function removeOne(characterId: number, killTimeMs: number, killmailId: number): void {
    const list = lists.get(characterId);
    if (list === undefined) return;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i + 1] === killmailId && list[i] === killTimeMs) {
        list.splice(i, 2);
        entries--;
        break;
      }
    }
    if (list.length === 0) lists.delete(characterId);
  }

  return {
    add(characterIds, killTimeMs, killmailId) {
      for (const id of characterIds) {
        const list = lists.get(id);
        if (list === undefined) lists.set(id, [killTimeMs, killmailId]);
        else list.push(killTimeMs, killmailId);
      }
      entries += characterIds.length;
    },
    has(characterId, killmailId) {
      const list = lists.get(characterId);
      if (list === undefined) return false;
      for (let i = 1; i < list.length; i += 2) if (list[i] === killmailId) return true;
      return false;
    },
    remove(text, killTimeMs, killmailId) {
      if (text.length === 0) return;
      for (const part of text.split(',')) removeOne(Number(part), killTimeMs, killmailId);
    },
    query(characterId, sinceMs, limit) {
      const list = lists.get(characterId);
      if (list === undefined || limit <= 0) return [];
      const hits: [number, number][] = [];
      for (let i = 0; i < list.length; i += 2) {
        const t = list[i] as number;
        if (t >= sinceMs) hits.push([t, list[i + 1] as number]);
      }
      hits.sort((a, b) => b[0] - a[0] || b[1] - a[1]);
      return hits.slice(0, limit).map((h) => h[1]);
    },
    stats: () => ({ characters: lists.size, entries }),
  };
}
