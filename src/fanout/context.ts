// What the channel, preload and broadcast modules share: config, telemetry, the store reader, the
// registry, and the only functions that write to sockets (so drops and slow consumers are
// counted in one place).
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { KillReader } from '../core/ports.js';
import type { Config } from '../config/index.js';
import type { Counters, Logger } from '../telemetry/index.js';
import { encodeMessage, encodeReply, type InMessage, type Ref, type ReplyStatus } from './protocol.js';
import type { SubscriptionRegistry } from './subscriptions.js';
import type { ConnectionLimiter } from '../core/conn-limiter.js';
import type { AddressBudgets } from './budget.js';
import type { CloseReason, SocketState } from './state.js';

// RFC 6455 1008 (policy violation): what a client sees when we drop it as a slow consumer.
export const CLOSE_POLICY = 1008;
export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_TOO_BIG = 1009;

export interface HubContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly counters: Counters;
  readonly reader: KillReader;
  readonly registry: SubscriptionRegistry;
  readonly nowMs: () => number;
  /** Set by attach(). */
  app: TemplatedApp | undefined;
  /** Send buffer above which a socket is dropped as a slow consumer (config.wsMaxBackpressureBytes). */
  readonly slowConsumerBytes: number;
  /** WebSocket caps: total (below the descriptor limit) and per client IP. */
  readonly limiter: ConnectionLimiter;
  /** Inbound frame budgets per client address (budget.ts). */
  readonly addressBudgets: AddressBudgets;
}

/** End a socket with a close frame and a reason the close handler will count. */
export function endSocket(state: SocketState, code: number, reason: CloseReason, text: string): void {
  const ws = state.ws;
  if (!ws) return;
  state.closeReason = reason;
  // Close reasons are at most 123 bytes on the wire (RFC 6455 §5.5).
  ws.end(code, Buffer.from(text).subarray(0, 123));
}

/**
 * After anything was sent to `state` (directly or through a topic), compare the backlog that was
 * already there (buffer minus the frame just queued, so one large kill alone never counts) with
 * the slow-consumer limit. uWS's own maxBackpressure is set above this limit (hub.ts) so this
 * check, which closes with a reason and counts it, normally fires first.
 */
export function checkBackpressure(ctx: HubContext, state: SocketState, ws: WebSocket<SocketState>, justSentBytes: number): void {
  const buffered = ws.getBufferedAmount();
  state.bufferedBytes = buffered;
  if (buffered - justSentBytes > ctx.slowConsumerBytes) {
    endSocket(state, CLOSE_POLICY, 'slow_consumer', `slow_consumer: send buffer over ${ctx.slowConsumerBytes} bytes`);
  }
}

/** Send one frame to one socket; false when it was not sent (closed, or dropped by uWS). */
export function sendFrame(ctx: HubContext, state: SocketState, frame: string | Uint8Array): boolean {
  const ws = state.ws;
  if (!ws) {
    ctx.counters.inc('ws.send.after_close');
    return false;
  }
  let result = 0;
  // cork: one syscall for the frame even outside a uWS handler (timers, bus listener).
  ws.cork(() => {
    result = ws.send(frame, false, false);
  });
  if (result === 2) {
    state.sendDropped = true;
    ctx.counters.inc('ws.dropped.backpressure');
  }
  if (state.ws) checkBackpressure(ctx, state, ws, typeof frame === 'string' ? Buffer.byteLength(frame) : frame.byteLength);
  return result !== 2;
}

export function reply(ctx: HubContext, state: SocketState, msg: InMessage, status: ReplyStatus, response: unknown): void {
  sendFrame(ctx, state, encodeReply(state.vsn, msg.joinRef, msg.ref, msg.topic, status, response));
}

/** A channel push `[join_ref, null, topic, event, payload]`: the client drops it after a rejoin. */
export function push(ctx: HubContext, state: SocketState, joinRef: Ref, topic: string, event: string, payloadJson: string): void {
  sendFrame(ctx, state, encodeMessage(state.vsn, joinRef, null, topic, event, payloadJson));
}
