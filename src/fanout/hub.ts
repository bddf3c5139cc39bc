// The Phoenix WebSocket hub on uWebSockets.js: upgrade (serializer negotiation), frame decoding
// and routing, close accounting, and the bus listener (docs/API.md#websocket).
import { timingSafeEqual } from 'node:crypto';
import uWS from 'uWebSockets.js';
import type { HttpRequest, HttpResponse, TemplatedApp, us_socket_context_t, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import type { KillBus, KillReader, StoredOrderReader, WsStats } from '../core/ports.js';
import type { Config } from '../config/index.js';
import type { Counters, Logger } from '../telemetry/index.js';
import { Broadcaster, type LatencySink } from './broadcast.js';
import { closeChannel, handleChannelEvent, joinFirehose, joinLobby } from './channel.js';
import { CLOSE_GOING_AWAY, CLOSE_NORMAL, CLOSE_POLICY, CLOSE_TOO_BIG, endSocket, push, reply, type HubContext } from './context.js';
import { AddressBudgets, frameCost, TokenBucket } from './budget.js';
import { ConnectionLimiter } from '../core/conn-limiter.js';
import { decodeBinary, decodeText, type InMessage, type Vsn } from './protocol.js';
import { cancelPreload } from './preload.js';
import { deliverEnriched } from './enriched.js';
import { SubscriptionRegistry, type WsSubscriptionInfo } from './subscriptions.js';
import { createSocketState, FIREHOSE_TOPIC, LOBBY_TOPIC, PHOENIX_TOPIC, type CloseReason, type SocketState } from './state.js';
import { sanitizeIdentifier } from './validate.js';

/** How often kill_count_update bookkeeping of quiet systems is forgotten (memory only; no client sees it). */
const SWEEP_INTERVAL_MS = 10_000;

export const SOCKET_PATH = '/socket/websocket';

export interface FanoutOptions {
  config: Config;
  logger: Logger;
  counters: Counters;
  reader: KillReader;
  bus: KillBus;
  /** Receives ingest → publish latency per kill, µs. */
  latency?: LatencySink;
  nowMs?: () => number;
  /** Storage-order reads for the `since` join param (resume.ts). */
  storedOrder?: StoredOrderReader;
}

export interface SubscriptionStats {
  websocket_subscriptions: number;
  websocket_connections: number;
  total_systems: number;
  total_characters: number;
  firehose_subscriptions: number;
}

export interface Fanout {
  attach(app: TemplatedApp): void;
  start(): void;
  stop(): void;
  stats(): WsStats;
  subscriptionStats(): SubscriptionStats;
  subscriptions(): WsSubscriptionInfo[];
  /** A stored kill's names were completed late: `killmail_enriched` to channels with `updates: true`. */
  enriched(killmailId: number, json: string, storedAtMs: number): void;
}

/** Phoenix `~> 1.0.0` / `~> 2.0.0`; no vsn is 1.0.0. */
export function negotiateVsn(vsn: string | null): Vsn | undefined {
  if (vsn === null || vsn === '') return 1;
  if (/^1\.\d+\.\d+$/.test(vsn)) return 1;
  if (/^2\.0\.\d+$/.test(vsn)) return 2;
  return undefined;
}

function upgrade(ctx: HubContext, res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
  const query = new URLSearchParams(req.getQuery() ?? '');
  const vsn = negotiateVsn(query.get('vsn'));
  if (vsn === undefined) {
    ctx.counters.inc('ws.upgrade_rejected.vsn');
    res.writeStatus('400 Bad Request').end(`unsupported vsn ${JSON.stringify(query.get('vsn'))}: use 1.0.0 or 2.0.0`);
    return;
  }
  if (!tokenAccepted(ctx.config.wsToken, query.get('token'))) {
    ctx.counters.inc('ws.upgrade_rejected.token');
    res.writeStatus('403 Forbidden').end('invalid or missing token: pass the `token` connect param');
    return;
  }
  const remote = Buffer.from(res.getRemoteAddressAsText()).toString();
  const admission = ctx.limiter.admit(remote);
  if (admission !== 'ok') return refuseUpgrade(ctx, res, admission);
  const identifier = sanitizeIdentifier(query.get('client_id') ?? query.get('client_identifier') ?? query.get('identifier'));
  const state = createSocketState(vsn, identifier, remote, ctx.nowMs());
  res.upgrade(
    state,
    req.getHeader('sec-websocket-key'),
    req.getHeader('sec-websocket-protocol'),
    req.getHeader('sec-websocket-extensions'),
    context,
  );
}

/** 503 at the total cap, 429 at the per-IP cap, in the REST error envelope; the connection closes. */
function refuseUpgrade(ctx: HubContext, res: HttpResponse, admission: 'total' | 'per_ip'): void {
  const total = admission === 'total';
  ctx.counters.inc(`ws.upgrade_rejected.${admission}`);
  const body = JSON.stringify({
    error: total ? 'Too many WebSocket connections; try again later' : 'Too many WebSocket connections from this address',
    code: total ? 'unavailable' : 'rate_limited',
    details: total ? { max_connections: ctx.limiter.maxTotal } : { max_per_ip: ctx.limiter.maxPerIp },
    timestamp: new Date(ctx.nowMs()).toISOString(),
  });
  res.cork(() => {
    res.writeStatus(total ? '503 Service Unavailable' : '429 Too Many Requests');
    res.writeHeader('retry-after', total ? '30' : '10');
    res.writeHeader('content-type', 'application/json; charset=utf-8');
    res.end(body, true);
  });
}

/** The optional `--ws-token` (empty: no token needed), compared in constant time. */
function tokenAccepted(expected: string, given: string | null): boolean {
  if (expected === '') return true;
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function route(ctx: HubContext, state: SocketState, msg: InMessage): void {
  if (msg.topic === PHOENIX_TOPIC) {
    if (msg.event === 'heartbeat') return reply(ctx, state, msg, 'ok', {});
    return reply(ctx, state, msg, 'error', { reason: 'unmatched topic' });
  }
  if (msg.event === 'phx_join') {
    if (msg.topic === LOBBY_TOPIC) return joinLobby(ctx, state, msg);
    if (msg.topic === FIREHOSE_TOPIC) return joinFirehose(ctx, state, msg);
    ctx.counters.inc('ws.unmatched_topic');
    return reply(ctx, state, msg, 'error', { reason: 'unmatched topic' });
  }
  const channel = msg.topic === LOBBY_TOPIC ? state.lobby : msg.topic === FIREHOSE_TOPIC ? state.firehose : undefined;
  if (!channel) {
    ctx.counters.inc('ws.unmatched_topic');
    return reply(ctx, state, { ...msg, joinRef: null }, 'error', { reason: 'unmatched topic' });
  }
  if (msg.joinRef !== null && channel.joinRef !== null && msg.joinRef !== channel.joinRef) {
    // A push from before a rejoin: Phoenix ignores it; we count it (never a silent drop).
    ctx.counters.inc('ws.ignored.stale_join_ref');
    return;
  }
  if (msg.event === 'phx_leave') {
    reply(ctx, state, msg, 'ok', {});
    return closeChannel(ctx, state, msg.topic, true);
  }
  handleChannelEvent(ctx, state, msg);
}

function onMessage(ctx: HubContext, ws: WebSocket<SocketState>, message: ArrayBuffer, isBinary: boolean): void {
  const state = ws.getUserData();
  if (message.byteLength > ctx.config.wsMaxPayloadBytes) {
    ctx.counters.inc('ws.bad_frame.too_large');
    return endSocket(
      state,
      CLOSE_TOO_BIG,
      'too_large',
      `frame_too_large: ${message.byteLength} bytes, max ${ctx.config.wsMaxPayloadBytes}`,
    );
  }
  const now = (state.lastFrameAtMs = performance.now());
  const cost = frameCost(message.byteLength);
  if (state.budget && !state.budget.take(now, cost)) {
    ctx.counters.inc('ws.rate_limited');
    const c = ctx.config;
    return endSocket(
      state,
      CLOSE_POLICY,
      'rate_limited',
      `rate_limited: socket over ${c.wsEventsPerSecond} tokens/s, burst ${c.wsEventBurst} (1 per frame + 1 per KiB)`,
    );
  }
  if (!ctx.addressBudgets.take(state.remoteAddress, now, cost)) {
    ctx.counters.inc('ws.rate_limited_address');
    const c = ctx.config;
    return endSocket(
      state,
      CLOSE_POLICY,
      'rate_limited',
      `rate_limited: address over ${c.wsIpEventsPerSecond} tokens/s, burst ${c.wsIpEventBurst} (1 per frame + 1 per KiB)`,
    );
  }
  const decoded = isBinary ? decodeBinary(new Uint8Array(message), state.vsn) : decodeText(Buffer.from(message).toString('utf8'));
  if (!decoded.ok) {
    ctx.counters.inc(`ws.bad_frame.${decoded.reason}`);
    return endSocket(state, decoded.closeCode, 'bad_frame', `${decoded.reason}: ${decoded.detail}`);
  }
  // A V2 socket whose first frame is a V1 object speaks V1 (some Python clients ask for 2.0.0 and send objects).
  if (state.framesIn++ === 0 && state.vsn === 2 && decoded.msg.shape === 'object') {
    state.vsn = 1;
    ctx.counters.inc('ws.vsn_fallback_v1');
  }
  try {
    route(ctx, state, decoded.msg);
  } catch (err) {
    onHandlerError(ctx, state, decoded.msg, err);
  }
}

/**
 * A bug in a handler: as in Phoenix, a crashed join replies "join crashed" and a crashed channel
 * gets `phx_error` (the client rejoins); the socket and every other client carry on.
 */
function onHandlerError(ctx: HubContext, state: SocketState, msg: InMessage, err: unknown): void {
  ctx.counters.inc('ws.channel_errors');
  ctx.logger.error({ err, topic: msg.topic, event: msg.event }, 'channel handler threw');
  if (!state.ws) return;
  const topic = msg.topic;
  const joinRef = topic === LOBBY_TOPIC ? state.lobby?.joinRef : topic === FIREHOSE_TOPIC ? state.firehose?.joinRef : undefined;
  if (joinRef !== undefined) {
    closeChannel(ctx, state, topic, false);
    push(ctx, state, joinRef, topic, 'phx_error', '{"reason":"channel_crash"}');
  }
  if (msg.event === 'phx_join' || joinRef === undefined)
    reply(ctx, state, msg, 'error', { reason: msg.event === 'phx_join' ? 'join crashed' : 'internal_error' });
}

function closeReasonOf(state: SocketState, code: number, text: string): CloseReason {
  if (state.closeReason) return state.closeReason;
  if (text === 'Received too big message') return 'too_large';
  if (text === 'WebSocket timed out from inactivity') return 'idle_timeout';
  // uWS closes a socket over maxBackpressure without a message, as if the peer vanished; the
  // last buffer reading tells the two apart.
  if (code === 1006 && text === '' && (state.sendDropped || state.bufferedBytes > 0)) return 'slow_consumer';
  if (code === 1006) return 'abnormal';
  return 'client_close';
}

function onClose(ctx: HubContext, ws: WebSocket<SocketState>, code: number, message: ArrayBuffer): void {
  const state = ws.getUserData();
  state.ws = undefined;
  const reason = closeReasonOf(state, code, Buffer.from(message).toString());
  ctx.counters.inc(`ws.closed.${reason}`);
  if (reason === 'slow_consumer') ctx.counters.inc('ws.dropped.slow_consumer');
  cancelPreload(state);
  closeChannel(ctx, state, LOBBY_TOPIC, false);
  closeChannel(ctx, state, FIREHOSE_TOPIC, false);
  ctx.registry.sockets.delete(state);
  ctx.limiter.release(state.remoteAddress);
  ctx.addressBudgets.close(state.remoteAddress);
}

/** Close sockets that sent nothing for the idle timeout: 1000 with a reason, counted idle_timeout. */
function sweepIdle(ctx: HubContext): void {
  const now = performance.now();
  ctx.addressBudgets.prune(now);
  const cutoff = now - ctx.config.wsIdleTimeoutSeconds * 1000;
  let idle: SocketState[] | undefined;
  for (const state of ctx.registry.sockets) if (state.lastFrameAtMs < cutoff) (idle ??= []).push(state);
  // Closed after the loop: the close handler edits the set being iterated.
  if (idle)
    for (const state of idle)
      endSocket(state, CLOSE_NORMAL, 'idle_timeout', `idle_timeout: no frame for ${ctx.config.wsIdleTimeoutSeconds} s (send heartbeats)`);
}

function behavior(ctx: HubContext): WebSocketBehavior<SocketState> {
  const c = ctx.config;
  return {
    compression: uWS.DISABLED,
    // Our sweep (sweepIdle) closes idle sockets 1000 with a reason; uWS's own timeout, which drops
    // the TCP connection (the client sees 1006), is only the backstop behind it.
    idleTimeout: Math.min(960, c.wsIdleTimeoutSeconds + 8),
    // Above the protocol cap: frames between the two get a 1009 close with a reason from us;
    // beyond it uWS aborts the socket itself (1006, counted as too_large). The margin is held
    // only while such a frame arrives.
    maxPayloadLength: Math.max(c.wsMaxPayloadBytes * 2, 1024 * 1024),
    // Our own check (context.ts checkBackpressure) closes at wsMaxBackpressureBytes with a reason;
    // uWS's limit is the hard ceiling above it should one frame jump past ours.
    maxBackpressure: c.wsMaxBackpressureBytes * 2,
    closeOnBackpressureLimit: 1,
    // Idle means "nothing received": automatic pings would be answered and keep dead clients.
    sendPingsAutomatically: false,
    upgrade: (res, req, context) => upgrade(ctx, res, req, context),
    open: (ws) => {
      const state = ws.getUserData();
      state.ws = ws;
      ctx.limiter.acquire(state.remoteAddress);
      ctx.addressBudgets.open(state.remoteAddress, performance.now());
      state.lastFrameAtMs = performance.now();
      state.budget = new TokenBucket(ctx.config.wsEventsPerSecond, ctx.config.wsEventBurst, state.lastFrameAtMs);
      ctx.registry.sockets.add(state);
      ctx.registry.connectionsTotal++;
      ctx.counters.inc('ws.connections_opened');
    },
    message: (ws, message, isBinary) => onMessage(ctx, ws, message, isBinary),
    close: (ws, code, message) => onClose(ctx, ws, code, message),
  };
}

/** Build the hub; `attach` registers `/socket/websocket` on the app, `start` subscribes to the bus. */
export function createFanout(opts: FanoutOptions): Fanout {
  const ctx: HubContext = {
    config: opts.config,
    logger: opts.logger,
    counters: opts.counters,
    reader: opts.reader,
    storedOrder: opts.storedOrder,
    registry: new SubscriptionRegistry(),
    nowMs: opts.nowMs ?? Date.now,
    app: undefined,
    slowConsumerBytes: opts.config.wsMaxBackpressureBytes,
    addressBudgets: new AddressBudgets(opts.config.wsIpEventsPerSecond, opts.config.wsIpEventBurst),
    limiter: new ConnectionLimiter(opts.config.wsMaxConnections, opts.config.wsMaxPerIp, opts.config.fdReserve),
  };
  const broadcaster = new Broadcaster(ctx, opts.latency);
  const startedAtMs = ctx.nowMs();
  let unsubscribe: (() => void) | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  return {
    attach(app) {
      ctx.app = app;
      app.ws<SocketState>(SOCKET_PATH, behavior(ctx));
    },
    start() {
      if (unsubscribe) return;
      unsubscribe = opts.bus.subscribe((kills) => broadcaster.onKills(kills));
      pruneTimer = setInterval(() => broadcaster.prune(), SWEEP_INTERVAL_MS);
      pruneTimer.unref();
      idleTimer = setInterval(() => sweepIdle(ctx), Math.min(2000, opts.config.wsIdleTimeoutSeconds * 250));
      idleTimer.unref();
    },
    stop() {
      unsubscribe?.();
      unsubscribe = undefined;
      if (pruneTimer) clearInterval(pruneTimer);
      if (idleTimer) clearInterval(idleTimer);
      broadcaster.stop();
      for (const state of [...ctx.registry.sockets]) endSocket(state, CLOSE_GOING_AWAY, 'server_shutdown', 'server_shutdown');
    },
    stats: () => ({
      activeConnections: ctx.registry.sockets.size,
      activeSubscriptions: ctx.registry.activeSubscriptions(),
      subscribedSystems: ctx.registry.bySystem.size,
      subscribedCharacters: ctx.registry.byCharacter.size,
      killsSentRealtime: ctx.registry.killsSentRealtime,
      killsSentPreload: ctx.registry.killsSentPreload,
      startedAtMs,
    }),
    subscriptionStats: () => ({
      websocket_subscriptions: ctx.registry.activeSubscriptions(),
      websocket_connections: ctx.registry.sockets.size,
      total_systems: ctx.registry.bySystem.size,
      total_characters: ctx.registry.byCharacter.size,
      firehose_subscriptions: ctx.registry.firehose.size,
    }),
    subscriptions: () => ctx.registry.list(),
    enriched: (killmailId, json, storedAtMs) => void deliverEnriched(ctx, killmailId, json, storedAtMs),
  };
}
