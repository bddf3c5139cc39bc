// Per-socket state, kept in the uWS socket's typed user data (no ad-hoc props on the socket).
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'uWebSockets.js';
import { epochUs } from '../core/clock.js';
import type { Ref, Vsn } from './protocol.js';
import type { PreloadOptions } from './validate.js';
import type { TokenBucket } from './budget.js';

export const LOBBY_TOPIC = 'killmails:lobby';
export const FIREHOSE_TOPIC = 'killmails:all';
export const PHOENIX_TOPIC = 'phoenix';

/** A joined `killmails:lobby` channel. `systems` mirrors the socket's uWS system topics. */
export interface LobbyChannel {
  joinRef: Ref;
  subscriptionId: string;
  systems: Set<number>;
  characters: Set<number>;
  preload: PreloadOptions;
  /** Kill ids already preloaded on this channel: later subscribes do not send them again. */
  preloadedIds: Set<number>;
  joinedAtMs: number;
  /** Join param `updates: true`: late name completions arrive as `killmail_enriched`. */
  updates?: boolean;
}

export interface FirehoseChannel {
  joinRef: Ref;
  subscriptionId: string;
  joinedAtMs: number;
}

/** A socket's preload work: see preload.ts. */
export interface PreloadHandle {
  /** Called for each live kill sent to the socket while its preload runs, so the preload skips it. */
  noteLive(killId: number): void;
  cancel(): void;
}

export type CloseReason =
  'slow_consumer' | 'too_large' | 'idle_timeout' | 'bad_frame' | 'rate_limited' | 'server_shutdown' | 'client_close' | 'abnormal';

export interface SocketState {
  readonly id: number;
  /** Serializer in use; a V2 socket whose first frame is a V1 object switches to V1 (protocol.ts). */
  vsn: Vsn;
  readonly userId: string;
  readonly clientIdentifier: string;
  readonly connectedAtMs: number;
  readonly remoteAddress: string;
  /** Valid from open to close; undefined before and after. */
  ws: WebSocket<SocketState> | undefined;
  framesIn: number;
  lobby: LobbyChannel | undefined;
  firehose: FirehoseChannel | undefined;
  /** Per-kill stamp: a socket that already got kill #n through one character match skips the others. */
  killStamp: number;
  /** uWS send buffer after our last send to this socket, bytes. */
  bufferedBytes: number;
  /** A send() came back 2 (dropped over maxBackpressure). */
  sendDropped: boolean;
  /** Set when the server ends the socket itself, so the close handler counts the right reason. */
  closeReason: CloseReason | undefined;
  preload: PreloadHandle | undefined;
  /** Inbound frame budget (budget.ts), created when the socket opens. */
  budget: TokenBucket | undefined;
  /** performance.now() of the last inbound frame (or the open): the idle sweep closes 1000 past the timeout. */
  lastFrameAtMs: number;
  /** A `since` replay still catching up (resume.ts); the channel goes live when it ends. */
  resume?: PreloadHandle | undefined;
}

let nextSocketId = 1;

/** user_id as the original: `<identifier>_<unix µs>_<11 url-safe chars>`. */
export function createSocketState(vsn: Vsn, clientIdentifier: string, remoteAddress: string, nowMs: number): SocketState {
  const rand = randomBytes(9).toString('base64url').slice(0, 11);
  const stamp = `${epochUs()}_${rand}`;
  return {
    id: nextSocketId++,
    vsn,
    userId: clientIdentifier === '' ? stamp : `${clientIdentifier}_${stamp}`,
    clientIdentifier,
    connectedAtMs: nowMs,
    remoteAddress,
    ws: undefined,
    framesIn: 0,
    lobby: undefined,
    firehose: undefined,
    killStamp: 0,
    bufferedBytes: 0,
    sendDropped: false,
    closeReason: undefined,
    preload: undefined,
    budget: undefined,
    lastFrameAtMs: 0,
  };
}

/** 22 url-safe base64 characters, as the original's subscription ids. */
export function newSubscriptionId(): string {
  return randomBytes(16).toString('base64url');
}

export function systemTopic(vsn: Vsn, systemId: number): string {
  return `${vsn}:sys:${systemId}`;
}
