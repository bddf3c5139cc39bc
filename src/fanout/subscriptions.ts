// Who is subscribed to what, in one place, so that /websocket/status, /api/v1/subscriptions/stats
// and /status count the same thing, and a closed socket leaves nothing behind (the original
// leaked them). The system and character indexes also drive fan-out: a kill looks up the sockets of
// its system and of each of its characters.
import type { SocketState } from './state.js';

export interface WsSubscriptionInfo {
  id: string;
  subscriber_id: string;
  type: 'websocket';
  topic: string;
  system_ids: number[];
  character_ids: number[];
  created_at: string;
}

/**
 * The sockets of one character: most characters are watched by one socket, and a Set per id
 * costs ~180 bytes against ~28 for the socket itself (50,000 characters: 9 MB → 1.4 MB per socket).
 */
export type CharacterSubs = SocketState | Set<SocketState>;

export class SubscriptionRegistry {
  readonly sockets = new Set<SocketState>();
  readonly bySystem = new Map<number, Set<SocketState>>();
  readonly byCharacter = new Map<number, CharacterSubs>();
  readonly firehose = new Set<SocketState>();
  killsSentRealtime = 0;
  killsSentPreload = 0;
  connectionsTotal = 0;

  addSystem(state: SocketState, id: number): void {
    addTo(this.bySystem, id, state);
  }

  removeSystem(state: SocketState, id: number): void {
    removeFrom(this.bySystem, id, state);
  }

  addCharacter(state: SocketState, id: number): void {
    const subs = this.byCharacter.get(id);
    if (subs === undefined) this.byCharacter.set(id, state);
    else if (subs instanceof Set) subs.add(state);
    else if (subs !== state) this.byCharacter.set(id, new Set([subs, state]));
  }

  removeCharacter(state: SocketState, id: number): void {
    const subs = this.byCharacter.get(id);
    if (subs === state) this.byCharacter.delete(id);
    else if (subs instanceof Set) {
      subs.delete(state);
      if (subs.size === 1) this.byCharacter.set(id, subs.values().next().value as SocketState);
    }
  }

  /** Drop every index entry of a socket's lobby channel (leave, rejoin, close). */
  removeLobby(state: SocketState): void {
    const lobby = state.lobby;
    if (!lobby) return;
    for (const id of lobby.systems) this.removeSystem(state, id);
    for (const id of lobby.characters) this.removeCharacter(state, id);
  }

  hasSystemSubscribers(systemId: number): boolean {
    return this.bySystem.has(systemId);
  }

  /** Channels with something to deliver: a lobby with at least one filter, or the firehose. */
  activeSubscriptions(): number {
    let n = this.firehose.size;
    for (const s of this.sockets) {
      if (s.lobby && (s.lobby.systems.size > 0 || s.lobby.characters.size > 0)) n++;
    }
    return n;
  }

  list(): WsSubscriptionInfo[] {
    const out: WsSubscriptionInfo[] = [];
    for (const s of this.sockets) {
      if (s.lobby) {
        out.push({
          id: s.lobby.subscriptionId,
          subscriber_id: s.userId,
          type: 'websocket',
          topic: 'killmails:lobby',
          system_ids: sorted(s.lobby.systems),
          character_ids: sorted(s.lobby.characters),
          created_at: new Date(s.lobby.joinedAtMs).toISOString(),
        });
      }
      if (s.firehose) {
        out.push({
          id: s.firehose.subscriptionId,
          subscriber_id: s.userId,
          type: 'websocket',
          topic: 'killmails:all',
          system_ids: [],
          character_ids: [],
          created_at: new Date(s.firehose.joinedAtMs).toISOString(),
        });
      }
    }
    return out;
  }
}

function addTo(index: Map<number, Set<SocketState>>, id: number, state: SocketState): void {
  let set = index.get(id);
  if (!set) {
    set = new Set();
    index.set(id, set);
  }
  set.add(state);
}

function removeFrom(index: Map<number, Set<SocketState>>, id: number, state: SocketState): void {
  const set = index.get(id);
  if (!set) return;
  set.delete(state);
  if (set.size === 0) index.delete(id);
}

export function sorted(ids: Iterable<number>): number[] {
  return [...ids].sort((a, b) => a - b);
}
