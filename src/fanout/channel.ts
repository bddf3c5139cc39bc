// The `killmails:lobby` and `killmails:all` channels: joins, leaves and client events
// (docs/API.md#websocket), as the original service answers them, minus its bugs.
import { push, reply, type HubContext } from './context.js';
import type { InMessage } from './protocol.js';
import { cancelPreload, startPreload } from './preload.js';
import { listFields, noteAdded, noteRemoved, page } from './listing.js';
import { parseSince, startResume, type ResumePoint } from './resume.js';
import { FIREHOSE_TOPIC, LOBBY_TOPIC, newSubscriptionId, systemTopic, type LobbyChannel, type SocketState } from './state.js';
import { checkTotal, isObject, parseIds, parseOptionalIds, parsePreload, type IdKind } from './validate.js';

export function firehoseTopic(state: SocketState): string {
  return `${state.vsn}:all`;
}

function addIds(ctx: HubContext, state: SocketState, lobby: LobbyChannel, kind: IdKind, ids: readonly number[]): number[] {
  const added: number[] = [];
  const ws = state.ws;
  for (const id of ids) {
    if (kind === 'system') {
      if (lobby.systems.has(id)) continue;
      lobby.systems.add(id);
      ctx.registry.addSystem(state, id);
      ws?.subscribe(systemTopic(state.vsn, id));
    } else {
      if (lobby.characters.has(id)) continue;
      lobby.characters.add(id);
      ctx.registry.addCharacter(state, id);
    }
    added.push(id);
  }
  noteAdded(setOf(lobby, kind), added);
  return added;
}

function removeIds(ctx: HubContext, state: SocketState, lobby: LobbyChannel, kind: IdKind, ids: readonly number[]): number[] {
  const removed: number[] = [];
  const ws = state.ws;
  for (const id of ids) {
    if (kind === 'system') {
      if (!lobby.systems.delete(id)) continue;
      ctx.registry.removeSystem(state, id);
      ws?.unsubscribe(systemTopic(state.vsn, id));
    } else {
      if (!lobby.characters.delete(id)) continue;
      ctx.registry.removeCharacter(state, id);
    }
    removed.push(id);
  }
  noteRemoved(setOf(lobby, kind), removed);
  return removed;
}

/** Leave a channel: drop its subscriptions and preload; `phx_close` tells the client (leave, rejoin). */
export function closeChannel(ctx: HubContext, state: SocketState, topic: string, notify: boolean): void {
  if (topic === LOBBY_TOPIC && state.lobby) {
    const lobby = state.lobby;
    cancelPreload(state);
    state.resume?.cancel();
    state.resume = undefined;
    if (state.ws) removeIds(ctx, state, lobby, 'system', [...lobby.systems]);
    ctx.registry.removeLobby(state);
    state.lobby = undefined;
    if (notify) push(ctx, state, lobby.joinRef, LOBBY_TOPIC, 'phx_close', '{}');
  } else if (topic === FIREHOSE_TOPIC && state.firehose) {
    const joinRef = state.firehose.joinRef;
    state.ws?.unsubscribe(firehoseTopic(state));
    ctx.registry.firehose.delete(state);
    state.firehose = undefined;
    if (notify) push(ctx, state, joinRef, FIREHOSE_TOPIC, 'phx_close', '{}');
  }
}

export function joinLobby(ctx: HubContext, state: SocketState, msg: InMessage): void {
  // Joining a joined topic closes the old channel first (Phoenix socket.ex).
  closeChannel(ctx, state, LOBBY_TOPIC, true);
  const p = msg.payload;
  if (!isObject(p)) return reply(ctx, state, msg, 'error', { reason: 'invalid_payload: join payload must be a JSON object' });
  const systems = parseOptionalIds(p, 'systems', 'system');
  if (!systems.ok) return reply(ctx, state, msg, 'error', { reason: systems.reason });
  const characters = parseOptionalIds(p, 'character_ids', 'character');
  if (!characters.ok) return reply(ctx, state, msg, 'error', { reason: characters.reason });
  const preload = parsePreload(p['preload']);
  if (!preload.ok) return reply(ctx, state, msg, 'error', { reason: preload.reason });
  const since = parseSince(ctx, p['since']);
  if (!since.ok) return reply(ctx, state, msg, 'error', { reason: since.reason });
  const updates = p['updates'];
  if (updates !== undefined && typeof updates !== 'boolean')
    return reply(ctx, state, msg, 'error', { reason: 'invalid_payload: "updates" must be true or false' });
  const lobby: LobbyChannel = {
    joinRef: msg.joinRef ?? msg.ref,
    subscriptionId: newSubscriptionId(),
    systems: new Set(),
    characters: new Set(),
    preload: preload.value,
    preloadedIds: new Set(),
    joinedAtMs: ctx.nowMs(),
    ...(updates === true && { updates: true }),
  };
  state.lobby = lobby;
  if (since.value !== undefined) return joinResumed(ctx, state, msg, lobby, [systems.value ?? [], characters.value ?? []], since.value);
  const addedSystems = addIds(ctx, state, lobby, 'system', systems.value ?? []);
  const addedCharacters = addIds(ctx, state, lobby, 'character', characters.value ?? []);
  ctx.counters.inc('ws.joins.lobby');
  reply(ctx, state, msg, 'ok', { subscription_id: lobby.subscriptionId, ...subscribedLists(ctx, lobby), status: 'connected' });
  startPreload(ctx, state, addedSystems, addedCharacters);
}

/**
 * Join with `since`: reply now, replay what was stored after the point, and subscribe only once
 * the replay has caught up (resume.ts); the replay takes the place of the join's preload.
 */
function joinResumed(
  ctx: HubContext,
  state: SocketState,
  msg: InMessage,
  lobby: LobbyChannel,
  ids: [number[], number[]],
  point: ResumePoint,
): void {
  const [systems, characters] = ids;
  ctx.counters.inc('ws.joins.lobby');
  const requested = { systems: new Set(systems), characters: new Set(characters) };
  reply(ctx, state, msg, 'ok', { subscription_id: lobby.subscriptionId, ...subscribedLists(ctx, requested), status: 'connected' });
  startResume(ctx, state, systems, characters, point, () => {
    addIds(ctx, state, lobby, 'system', systems);
    addIds(ctx, state, lobby, 'character', characters);
  });
}

export function joinFirehose(ctx: HubContext, state: SocketState, msg: InMessage): void {
  closeChannel(ctx, state, FIREHOSE_TOPIC, true);
  if (msg.payload !== undefined && msg.payload !== null && !isObject(msg.payload)) {
    return reply(ctx, state, msg, 'error', { reason: 'invalid_payload: join payload must be a JSON object' });
  }
  state.firehose = { joinRef: msg.joinRef ?? msg.ref, subscriptionId: newSubscriptionId(), joinedAtMs: ctx.nowMs() };
  state.ws?.subscribe(firehoseTopic(state));
  ctx.registry.firehose.add(state);
  ctx.counters.inc('ws.joins.firehose');
  reply(ctx, state, msg, 'ok', { subscription_id: state.firehose.subscriptionId, ...subscribedLists(ctx, NO_IDS), status: 'connected' });
}

function deltasOf(r: Record<string, unknown>): Record<string, unknown> {
  return {
    added_systems: r['added_systems'],
    removed_systems: r['removed_systems'],
    added_characters: r['added_characters'],
    removed_characters: r['removed_characters'],
  };
}

type Outcome = { status: 'ok' | 'error'; response: Record<string, unknown>; preload?: [number[], number[]]; pushUpdate?: boolean };

const err = (reason: string): Outcome => ({ status: 'error', response: { reason } });

interface ListEvent {
  kind: IdKind;
  field: 'systems' | 'character_ids';
  add: boolean;
  nothing: string;
}

const LIST_EVENTS: Record<string, ListEvent> = {
  subscribe_systems: { kind: 'system', field: 'systems', add: true, nothing: 'Already subscribed to all requested systems' },
  unsubscribe_systems: { kind: 'system', field: 'systems', add: false, nothing: 'Not subscribed to any of the requested systems' },
  subscribe_characters: { kind: 'character', field: 'character_ids', add: true, nothing: 'Already subscribed to all requested characters' },
  unsubscribe_characters: {
    kind: 'character',
    field: 'character_ids',
    add: false,
    nothing: 'Not subscribed to any of the requested characters',
  },
};

function setOf(lobby: LobbyChannel, kind: IdKind): Set<number> {
  return kind === 'system' ? lobby.systems : lobby.characters;
}

function listEvent(ctx: HubContext, state: SocketState, lobby: LobbyChannel, ev: ListEvent, payload: Record<string, unknown>): Outcome {
  if (!(ev.field in payload)) return err(`invalid_payload: "${ev.field}" is required`);
  const ids = parseIds(payload[ev.field], ev.kind);
  if (!ids.ok) return err(ids.reason);
  const set = setOf(lobby, ev.kind);
  const changing = ids.value.filter((id) => set.has(id) !== ev.add);
  if (changing.length === 0) return { status: 'ok', response: { message: ev.nothing } };
  if (ev.add) {
    const over = checkTotal(ev.kind, set.size, changing.length);
    if (over) return err(over);
    addIds(ctx, state, lobby, ev.kind, changing);
  } else {
    removeIds(ctx, state, lobby, ev.kind, changing);
  }
  const key = ev.kind === 'system' ? 'subscribed_systems' : 'subscribed_characters';
  const response = listFields({}, key, set, ctx.config.wsReplyListMax);
  response[ev.add ? 'added' : 'removed'] = changing.length;
  const out: Outcome = { status: 'ok', response };
  if (ev.add) out.preload = ev.kind === 'system' ? [changing, []] : [[], changing];
  return out;
}

const UPDATE_FIELDS = [
  ['add_systems', 'system'],
  ['remove_systems', 'system'],
  ['add_characters', 'character'],
  ['remove_characters', 'character'],
] as const;

function updateSubscriptions(ctx: HubContext, state: SocketState, lobby: LobbyChannel, payload: Record<string, unknown>): Outcome {
  const lists: number[][] = [];
  for (const [field, kind] of UPDATE_FIELDS) {
    const r = parseOptionalIds(payload, field, kind);
    if (!r.ok) return err(r.reason);
    lists.push(r.value ?? []);
  }
  const [addS = [], remS = [], addC = [], remC = []] = lists;
  // Totals after the whole update, so a swap of N systems at the limit is allowed. Set lookups:
  // `includes` made this O(add × remove), ~85 ms for one frame at the limits.
  const remSSet = new Set(remS);
  const remCSet = new Set(remC);
  const newS = addS.filter((id) => !lobby.systems.has(id) && !remSSet.has(id));
  const goneS = remS.filter((id) => lobby.systems.has(id)).length;
  const newC = addC.filter((id) => !lobby.characters.has(id) && !remCSet.has(id));
  const goneC = remC.filter((id) => lobby.characters.has(id)).length;
  const over =
    checkTotal('system', lobby.systems.size - goneS, newS.length) ?? checkTotal('character', lobby.characters.size - goneC, newC.length);
  if (over) return err(over);
  const removedS = removeIds(ctx, state, lobby, 'system', remS).length;
  const removedC = removeIds(ctx, state, lobby, 'character', remC).length;
  const addedS = addIds(ctx, state, lobby, 'system', newS);
  const addedC = addIds(ctx, state, lobby, 'character', newC);
  const deltas = { added_systems: addedS.length, removed_systems: removedS, added_characters: addedC.length, removed_characters: removedC };
  return {
    status: 'ok',
    response: { ...subscribedLists(ctx, lobby), ...deltas },
    preload: [addedS, addedC],
    pushUpdate: true,
  };
}

/** The reply fields both lists share: first page, count, truncation flag (listing.ts). */
function subscribedLists(ctx: HubContext, lobby: Pick<LobbyChannel, 'systems' | 'characters'>): Record<string, unknown> {
  const out = listFields({}, 'subscribed_systems', lobby.systems, ctx.config.wsReplyListMax);
  return listFields(out, 'subscribed_characters', lobby.characters, ctx.config.wsReplyListMax);
}

const NO_IDS: Pick<LobbyChannel, 'systems' | 'characters'> = { systems: new Set(), characters: new Set() };

/** `get_subscriptions {kind: "systems"|"characters", offset?, limit?}`: the full list, a page at a time. */
function getSubscriptions(ctx: HubContext, lobby: LobbyChannel, p: Record<string, unknown>): Outcome {
  const kind = p['kind'];
  if (kind !== 'systems' && kind !== 'characters') return err('invalid_payload: kind must be "systems" or "characters"');
  const max = ctx.config.wsReplyListMax;
  const offset = p['offset'] ?? 0;
  const limit = p['limit'] ?? max;
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0)
    return err('invalid_payload: offset must be a non-negative integer');
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > max)
    return err(`invalid_payload: limit must be an integer in 1..${max}`);
  const set = kind === 'systems' ? lobby.systems : lobby.characters;
  const ids = page(set, offset, limit);
  const next = offset + ids.length < set.size ? offset + ids.length : null;
  return { status: 'ok', response: { kind, total: set.size, offset, limit, ids, next_offset: next } };
}

function getStatus(
  ctx: HubContext,
  state: SocketState,
  subscriptionId: string,
  lists: Pick<LobbyChannel, 'systems' | 'characters'>,
): Outcome {
  return {
    status: 'ok',
    response: {
      subscription_id: subscriptionId,
      ...subscribedLists(ctx, lists),
      connected_at: new Date(state.connectedAtMs).toISOString(),
      user_id: state.userId,
      preload_active: state.preload !== undefined,
    },
  };
}

function lobbyOutcome(ctx: HubContext, state: SocketState, lobby: LobbyChannel, msg: InMessage): Outcome {
  if (msg.event === 'get_status') return getStatus(ctx, state, lobby.subscriptionId, lobby);
  const list = LIST_EVENTS[msg.event];
  if (!list && msg.event !== 'update_subscriptions' && msg.event !== 'get_subscriptions') return err('unknown_event');
  const p = msg.payload;
  if (!isObject(p)) return err('invalid_payload: payload must be a JSON object');
  if (msg.event === 'get_subscriptions') return getSubscriptions(ctx, lobby, p);
  return list ? listEvent(ctx, state, lobby, list, p) : updateSubscriptions(ctx, state, lobby, p);
}

/** A client event on a joined channel (not phx_join / phx_leave). */
export function handleChannelEvent(ctx: HubContext, state: SocketState, msg: InMessage): void {
  let outcome: Outcome;
  if (msg.topic === LOBBY_TOPIC && state.lobby) {
    outcome = lobbyOutcome(ctx, state, state.lobby, msg);
  } else if (msg.topic === FIREHOSE_TOPIC && state.firehose) {
    outcome = msg.event === 'get_status' ? getStatus(ctx, state, state.firehose.subscriptionId, NO_IDS) : err('unknown_event');
  } else {
    throw new Error(`handleChannelEvent: topic ${msg.topic} is not joined`);
  }
  ctx.counters.inc(`ws.events.${outcome.status}`);
  reply(ctx, state, msg, outcome.status, outcome.response);
  const lobby = state.lobby;
  if (!lobby || msg.topic !== LOBBY_TOPIC) return;
  if (outcome.pushUpdate) {
    const update = { ...subscribedLists(ctx, lobby), ...deltasOf(outcome.response) };
    push(ctx, state, lobby.joinRef, LOBBY_TOPIC, 'subscription_updated', JSON.stringify(update));
  }
  if (outcome.preload) startPreload(ctx, state, outcome.preload[0], outcome.preload[1]);
}
