// Real-time fan-out of bus kills (docs/API.md#server-pushes, docs/ARCHITECTURE.md#hot-paths).
//
// Each kill's `killmail_update` frame is built once per serializer by splicing its canonical
// JSON into a constant prefix, then:
// - published once to the uWS topic of its system (`<vsn>:sys:<id>`): uWS copies the same bytes
//   to every subscribed socket, in C++;
// - sent directly to sockets that match one of its characters but do not subscribe to its system
//   (they would already get it from the topic). A per-kill stamp on the socket skips a socket that
//   several of the kill's characters match, so each kill reaches each lobby client exactly once;
// - noted on each receiving socket whose preload is still running, so the preload does not send
//   it again (preload.ts);
// - published once to `<vsn>:all` for `killmails:all` (firehose) channels.
// `kill_count_update` goes to the system topics at most once per second per system (trailing
// edge: the last count of a burst is always sent).
import { epochUs, MS_PER_HOUR, MS_PER_SECOND } from '../core/clock.js';
import type { BusKill } from '../core/ports.js';
import { checkBackpressure, sendFrame, type HubContext } from './context.js';
import { broadcastFrame, killmailUpdatePayload, type Vsn } from './protocol.js';
import { FIREHOSE_TOPIC, LOBBY_TOPIC, systemTopic, type SocketState } from './state.js';

const VSNS: readonly Vsn[] = [2, 1];
const COUNT_INTERVAL_MS = MS_PER_SECOND;
const COUNT_WINDOW_MS = 24 * MS_PER_HOUR;

export interface LatencySink {
  recordUs(us: number): void;
}

export class Broadcaster {
  private stamp = 0;
  private readonly lastCountAtMs = new Map<number, number>();
  private readonly countTimers = new Map<number, NodeJS.Timeout>();
  /** Time to hand one kill to every subscribed socket (wkills_ws_broadcast_send_seconds). */
  private readonly sendTime: LatencySink;

  constructor(
    private readonly ctx: HubContext,
    private readonly latency: LatencySink | undefined,
  ) {
    this.sendTime = ctx.counters.histogram('wkills_ws_broadcast_send_seconds');
  }

  onKills(kills: readonly BusKill[]): void {
    const iso = new Date(this.ctx.nowMs()).toISOString();
    for (const kill of kills) {
      const startedMs = performance.now();
      this.deliver(kill, iso);
      this.sendTime.recordUs((performance.now() - startedMs) * 1000);
    }
    for (const kill of kills) this.noteCount(kill.systemId);
  }

  private deliver(kill: BusKill, iso: string): void {
    const ctx = this.ctx;
    const app = ctx.app;
    if (!app) return;
    const payload = killmailUpdatePayload(kill.systemId, [kill.json], iso, false);
    const lobbyFrames: (Buffer | undefined)[] = [undefined, undefined, undefined];
    const lobbyFrame = (vsn: Vsn): Buffer =>
      (lobbyFrames[vsn] ??= Buffer.from(broadcastFrame(vsn, LOBBY_TOPIC, 'killmail_update', payload)));
    // The envelope around the payload is < 64 bytes in either serializer.
    const frameBytes = Buffer.byteLength(payload) + 64;
    let sent = 0;
    const systemSubs = ctx.registry.bySystem.get(kill.systemId);
    if (systemSubs) {
      for (const vsn of VSNS) {
        const topic = systemTopic(vsn, kill.systemId);
        if (app.numSubscribers(topic) > 0) app.publish(topic, lobbyFrame(vsn), false, false);
      }
      sent += systemSubs.size;
      for (const state of systemSubs) state.preload?.noteLive(kill.killmailId);
      this.checkAll(systemSubs, frameBytes);
    }
    sent += this.deliverToCharacters(kill, lobbyFrame);
    if (ctx.registry.firehose.size > 0) {
      for (const vsn of VSNS) {
        const topic = `${vsn}:all`;
        if (app.numSubscribers(topic) > 0)
          app.publish(topic, broadcastFrame(vsn, FIREHOSE_TOPIC, 'killmail_update', payload), false, false);
      }
      sent += ctx.registry.firehose.size;
      this.checkAll(ctx.registry.firehose, frameBytes);
    }
    ctx.registry.killsSentRealtime += sent;
    ctx.counters.inc('ws.kills_sent.realtime', sent);
    ctx.counters.inc('ws.kills_broadcast');
    this.latency?.recordUs(epochUs() - kill.receivedAtUs);
  }

  private deliverToCharacters(kill: BusKill, lobbyFrame: (vsn: Vsn) => Buffer): number {
    const index = this.ctx.registry.byCharacter;
    if (index.size === 0) return 0;
    const stamp = ++this.stamp;
    let sent = 0;
    for (const characterId of kill.characterIds) {
      const subs = index.get(characterId);
      if (subs === undefined) continue;
      if (subs instanceof Set) {
        for (const state of subs) sent += this.deliverToCharacter(state, kill, stamp, lobbyFrame);
      } else {
        sent += this.deliverToCharacter(subs, kill, stamp, lobbyFrame);
      }
    }
    return sent;
  }

  private deliverToCharacter(state: SocketState, kill: BusKill, stamp: number, lobbyFrame: (vsn: Vsn) => Buffer): number {
    if (state.killStamp === stamp) return 0;
    state.killStamp = stamp;
    if (state.lobby?.systems.has(kill.systemId)) return 0;
    state.preload?.noteLive(kill.killmailId);
    return sendFrame(this.ctx, state, lobbyFrame(state.vsn)) ? 1 : 0;
  }

  /** Slow-consumer check for the sockets a topic publish just wrote to (see context.ts). */
  private checkAll(states: Set<SocketState>, frameBytes: number): void {
    let slow: SocketState[] | undefined;
    for (const state of states) {
      const ws = state.ws;
      if (!ws) continue;
      const buffered = ws.getBufferedAmount();
      state.bufferedBytes = buffered;
      if (buffered - frameBytes > this.ctx.slowConsumerBytes) (slow ??= []).push(state);
    }
    // Closed after the loop: closing edits the very sets being iterated.
    if (slow) for (const state of slow) if (state.ws) checkBackpressure(this.ctx, state, state.ws, frameBytes);
  }

  private noteCount(systemId: number): void {
    if (!this.ctx.registry.hasSystemSubscribers(systemId) || this.countTimers.has(systemId)) return;
    const waitMs = (this.lastCountAtMs.get(systemId) ?? -Infinity) + COUNT_INTERVAL_MS - this.ctx.nowMs();
    if (waitMs <= 0) {
      this.sendCount(systemId);
      return;
    }
    // Timers run on libuv's loop clock, which can be a millisecond behind Date.now(): the
    // callback goes through noteCount again, so an early wake waits out the rest.
    const timer = setTimeout(() => {
      this.countTimers.delete(systemId);
      this.noteCount(systemId);
    }, waitMs);
    this.countTimers.set(systemId, timer);
  }

  private sendCount(systemId: number): void {
    const ctx = this.ctx;
    const app = ctx.app;
    const subs = ctx.registry.bySystem.get(systemId);
    if (!app || !subs) return;
    const nowMs = ctx.nowMs();
    this.lastCountAtMs.set(systemId, nowMs);
    let count: number;
    try {
      count = ctx.reader.countBySystem(systemId, nowMs - COUNT_WINDOW_MS);
    } catch (err) {
      ctx.counters.inc('ws.kill_count.read_errors');
      ctx.logger.warn({ err, systemId }, 'kill_count_update skipped: count query failed');
      return;
    }
    const payload = `{"system_id":${systemId},"count":${count},"timestamp":"${new Date(nowMs).toISOString()}"}`;
    for (const vsn of VSNS) {
      const topic = systemTopic(vsn, systemId);
      if (app.numSubscribers(topic) > 0) app.publish(topic, broadcastFrame(vsn, LOBBY_TOPIC, 'kill_count_update', payload), false, false);
    }
    ctx.counters.inc('ws.kill_count_updates');
    this.checkAll(subs, payload.length + 64);
  }

  /** Forget systems not counted for a while (called from the hub's sweep). */
  prune(): void {
    const cutoff = this.ctx.nowMs() - 2 * COUNT_INTERVAL_MS;
    for (const [systemId, at] of this.lastCountAtMs) if (at < cutoff) this.lastCountAtMs.delete(systemId);
  }

  stop(): void {
    for (const t of this.countTimers.values()) clearTimeout(t);
    this.countTimers.clear();
  }
}
