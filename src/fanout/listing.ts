// Subscription lists in replies, bounded. A socket at the subscription maximum holds 10,000
// systems and 50,000 characters: echoing both sorted in every reply made a 45-byte `get_status`
// cost a 441 KB answer and a sort of 60,000 numbers. Replies carry the first `max` ids (the whole
// list for every ordinary client), the total count, and a `_truncated` flag; the rest is paged
// with the `get_subscriptions` event. Large sets keep a sorted copy that mutations update by a
// linear merge, so a reply never re-sorts 50,000 ids.
const views = new WeakMap<Set<number>, Float64Array>();
/** Below this a set is sorted when asked (~0.1 ms) rather than keeping a copy. */
const SMALL = 1000;

function sortedView(set: Set<number>): Float64Array {
  let view = views.get(set);
  if (view === undefined || view.length !== set.size) {
    view = Float64Array.from(set).sort();
    views.set(set, view);
  }
  return view;
}

/** Keep a large set's sorted copy in step after `ids` (now in the set) were added. */
export function noteAdded(set: Set<number>, ids: readonly number[]): void {
  const view = views.get(set);
  if (view === undefined || ids.length === 0) return;
  const add = Float64Array.from(ids).sort();
  const out = new Float64Array(view.length + add.length);
  let i = 0,
    j = 0,
    k = 0;
  while (i < view.length && j < add.length)
    out[k++] = (view[i] as number) < (add[j] as number) ? (view[i++] as number) : (add[j++] as number);
  while (i < view.length) out[k++] = view[i++] as number;
  while (j < add.length) out[k++] = add[j++] as number;
  views.set(set, out);
}

/** Keep a large set's sorted copy in step after `ids` were removed from the set. */
export function noteRemoved(set: Set<number>, ids: readonly number[]): void {
  const view = views.get(set);
  if (view === undefined || ids.length === 0) return;
  if (set.size <= SMALL) {
    views.delete(set);
    return;
  }
  // The set no longer holds the removed ids: keep what it still has.
  views.set(
    set,
    view.filter((id) => set.has(id)),
  );
}

/** Ids `offset .. offset+limit` of the set in ascending order. */
export function page(set: Set<number>, offset: number, limit: number): number[] {
  if (offset >= set.size || limit <= 0) return [];
  // Small sets (every ordinary client) are sorted on the spot and keep no copy.
  if (set.size <= SMALL) return [...set].sort((a, b) => a - b).slice(offset, offset + limit);
  return Array.from(sortedView(set).subarray(offset, offset + limit));
}

export type ListKey = 'subscribed_systems' | 'subscribed_characters';

/** `{<key>: first max ids, <key>_count: n, <key>_truncated?: true}` into `out`. */
export function listFields(out: Record<string, unknown>, key: ListKey, set: Set<number>, max: number): Record<string, unknown> {
  out[key] = page(set, 0, max);
  out[`${key}_count`] = set.size;
  if (set.size > max) out[`${key}_truncated`] = true;
  return out;
}
