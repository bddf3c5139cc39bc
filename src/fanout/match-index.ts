// A subscriber index by system and by character, shared by the SSE hub and the webhook
// outbox: the same matching rule as the WebSocket lobby (a kill matches when its system is
// subscribed OR its victim or any attacker is a subscribed character), each subscriber at most
// once per kill, plus a wildcard set for subscribers with no system or character filter.
import type { BusKill } from '../core/ports.js';

export interface Matchable {
  /** Set by the index to the last kill it matched this subscriber for (dedupe across keys). */
  matchStamp: number;
}

export class MatchIndex<T extends Matchable> {
  readonly bySystem = new Map<number, Set<T>>();
  readonly byCharacter = new Map<number, Set<T>>();
  readonly wildcard = new Set<T>();
  private stamp = 0;

  add(item: T, systems: Iterable<number>, characters: Iterable<number>): void {
    let any = false;
    for (const id of systems) {
      addTo(this.bySystem, id, item);
      any = true;
    }
    for (const id of characters) {
      addTo(this.byCharacter, id, item);
      any = true;
    }
    if (!any) this.wildcard.add(item);
  }

  remove(item: T, systems: Iterable<number>, characters: Iterable<number>): void {
    for (const id of systems) removeFrom(this.bySystem, id, item);
    for (const id of characters) removeFrom(this.byCharacter, id, item);
    this.wildcard.delete(item);
  }

  /** Calls `fn` once per subscriber the kill matches. No allocation per kill. */
  forEachMatch(kill: Pick<BusKill, 'systemId' | 'characterIds'>, fn: (item: T) => void): void {
    const stamp = ++this.stamp;
    const visit = (item: T): void => {
      if (item.matchStamp === stamp) return;
      item.matchStamp = stamp;
      fn(item);
    };
    for (const item of this.wildcard) visit(item);
    const bySystem = this.bySystem.get(kill.systemId);
    if (bySystem) for (const item of bySystem) visit(item);
    if (this.byCharacter.size === 0) return;
    for (const id of kill.characterIds) {
      const set = this.byCharacter.get(id);
      if (set) for (const item of set) visit(item);
    }
  }
}

function addTo<T>(index: Map<number, Set<T>>, id: number, item: T): void {
  let set = index.get(id);
  if (!set) index.set(id, (set = new Set()));
  set.add(item);
}

function removeFrom<T>(index: Map<number, Set<T>>, id: number, item: T): void {
  const set = index.get(id);
  if (!set) return;
  set.delete(item);
  if (set.size === 0) index.delete(id);
}
