// The SSE hub (`/api/v1/kills/stream` and `/stream/enhanced`): one bus listener, one matching
// index (match-index.ts, the lobby's rule), one frame per kill written to every matching client.
// src/http parses the request and adapts the uWS response to a StreamSink; everything about who
// gets what, limits, slow readers, heartbeats, preload and Last-Event-ID resume is here.
import { epochUs, MS_PER_SECOND } from '../../core/clock.js';
import type { BusKill, KillBus, KillReader, ResumeReader, SseRefusal, SseRequest, SseService, StreamSink } from '../../core/ports.js';
import type { Config } from '../../config/index.js';
import type { Counters, Logger } from '../../telemetry/index.js';
import { MatchIndex } from '../match-index.js';
import { createClient, type SseClient, type SseCloseReason } from './client.js';
import { eventFrame, killFrame, PING_FRAME, RETRY_FRAME } from './frames.js';
import { runPreload } from './preload.js';

/** Kills read back for one Last-Event-ID resume at most (a client gone for longer starts over). */
const RESUME_MAX = 10_000;
/** Live frames held for one client while its preload runs; past this it is dropped as slow. */
const HELD_MAX = 10_000;
const TICK_MS = 1000;

export interface SseHubOptions {
  config: Config;
  logger: Logger;
  counters: Counters;
  reader: KillReader;
  resume: ResumeReader;
  bus: KillBus;
  /** Receives store → SSE write latency per kill, µs. */
  latency?: { recordUs(us: number): void };
  nowMs?: () => number;
}

export interface SseHub extends SseService {
  start(): void;
  stop(): void;
}

type Totals = Record<
  | 'opened'
  | 'refused_total_limit'
  | 'refused_ip_limit'
  | 'kills_sent'
  | 'preload_kills_sent'
  | 'resumed_kills'
  | 'resume_unknown_id'
  | 'heartbeats'
  | 'pings'
  | 'closed_client_close'
  | 'closed_slow_reader'
  | 'closed_held_overflow'
  | 'closed_server_shutdown',
  number
>;

export function createSseHub(opts: SseHubOptions): SseHub {
  const { config, counters } = opts;
  const nowMs = opts.nowMs ?? Date.now;
  const clients = new Set<SseClient>();
  const perIp = new Map<string, number>();
  const index = new MatchIndex<SseClient>();
  const heartbeatMs = config.sseHeartbeatSeconds * MS_PER_SECOND;
  const pingMs = Math.max(MS_PER_SECOND, Math.round(heartbeatMs / 3));
  const totals: Totals = {
    opened: 0,
    refused_total_limit: 0,
    refused_ip_limit: 0,
    kills_sent: 0,
    preload_kills_sent: 0,
    resumed_kills: 0,
    resume_unknown_id: 0,
    heartbeats: 0,
    pings: 0,
    closed_client_close: 0,
    closed_slow_reader: 0,
    closed_held_overflow: 0,
    closed_server_shutdown: 0,
  };
  let unsubscribe: (() => void) | undefined;
  let tick: NodeJS.Timeout | undefined;

  function close(c: SseClient, reason: SseCloseReason): void {
    if (c.closed) return;
    c.closed = true;
    clients.delete(c);
    const n = (perIp.get(c.req.ip) ?? 1) - 1;
    if (n <= 0) perIp.delete(c.req.ip);
    else perIp.set(c.req.ip, n);
    index.remove(c, c.systems, c.characters);
    if (c.timer) clearTimeout(c.timer);
    c.held = [];
    totals[`closed_${reason}`]++;
    counters.inc(`sse.closed.${reason}`);
    if (reason !== 'client_close') c.sink.close();
  }

  function write(c: SseClient, chunk: string): void {
    if (c.closed) return;
    c.sink.write(chunk);
    c.lastWriteMs = nowMs();
    if (c.sink.pendingBytes() > config.sseMaxBufferedBytes) close(c, 'slow_reader');
  }

  function matches(c: SseClient, systemId: number, characterIds: readonly number[], totalValue: number): boolean {
    const min = c.req.filters.minValue;
    if (min !== null && !(totalValue >= min)) return false;
    if (c.systems.length === 0 && c.characters.length === 0) return true;
    if (c.systems.includes(systemId)) return true;
    for (const id of characterIds) if (c.characters.includes(id)) return true;
    return false;
  }

  // The kill being fanned out, read by deliver (no closure allocated per kill).
  let current: BusKill | undefined;
  let currentFrame: string | undefined;
  let sent = 0;
  const deliver = (c: SseClient): void => {
    const kill = current as BusKill;
    const min = c.req.filters.minValue;
    if (min !== null && !(kill.totalValue >= min)) return;
    const frame = (currentFrame ??= killFrame(kill.killmailId, kill.json));
    if (c.historical) {
      c.held.push({ id: kill.killmailId, frame });
      if (c.held.length > HELD_MAX) close(c, 'held_overflow');
      return;
    }
    write(c, frame);
    sent++;
  };

  function onKills(kills: readonly BusKill[]): void {
    if (clients.size === 0) return;
    // Ascending ids within a batch: the order a Last-Event-ID resume reads them back in.
    const ordered = isAscending(kills) ? kills : [...kills].sort((a, b) => a.killmailId - b.killmailId);
    sent = 0;
    for (const kill of ordered) {
      current = kill;
      currentFrame = undefined;
      index.forEachMatch(kill, deliver);
      opts.latency?.recordUs(epochUs() - kill.receivedAtUs);
    }
    current = undefined;
    totals.kills_sent += sent;
    if (sent > 0) counters.inc('sse.kills_sent', sent);
  }

  function resume(c: SseClient, afterId: number): void {
    const rows = opts.resume.storedAfter(afterId, config.cutoffSeconds * MS_PER_SECOND, RESUME_MAX);
    if (rows === undefined) {
      totals.resume_unknown_id++;
      return;
    }
    for (const r of rows) {
      if (!matches(c, r.systemId, r.characterIds, r.totalValue)) continue;
      write(c, killFrame(r.killmailId, r.json));
      totals.resumed_kills++;
    }
  }

  function finishPreload(c: SseClient): void {
    const held = c.held;
    const preloaded = c.preloaded;
    c.held = [];
    c.preloaded = undefined;
    c.historical = false;
    for (const h of held) {
      if (preloaded?.has(h.id)) continue;
      write(c, h.frame);
      totals.kills_sent++;
    }
  }

  function heartbeat(): void {
    const now = nowMs();
    for (const c of [...clients]) {
      if (c.req.mode === 'enhanced') {
        if (now - c.lastHeartbeatMs < heartbeatMs) continue;
        c.lastHeartbeatMs = now;
        totals.heartbeats++;
        write(
          c,
          eventFrame(
            'heartbeat',
            JSON.stringify({ timestamp: new Date(now).toISOString(), mode: c.historical ? 'historical' : 'realtime' }),
          ),
        );
      } else if (now - c.lastWriteMs >= pingMs) {
        totals.pings++;
        write(c, PING_FRAME);
      }
    }
  }

  return {
    refuse(ip): SseRefusal | null {
      if (clients.size >= config.sseMaxConnections) {
        totals.refused_total_limit++;
        return {
          status: 503,
          message: `SSE connection limit reached (${config.sseMaxConnections})`,
          details: { limit: config.sseMaxConnections },
        };
      }
      if ((perIp.get(ip) ?? 0) >= config.sseMaxPerIp) {
        totals.refused_ip_limit++;
        return {
          status: 429,
          message: `Too many SSE connections from this address (max ${config.sseMaxPerIp})`,
          details: { limit: config.sseMaxPerIp, ip },
        };
      }
      return null;
    },
    open(req: SseRequest, sink: StreamSink) {
      const c = createClient(req, sink, nowMs());
      clients.add(c);
      perIp.set(req.ip, (perIp.get(req.ip) ?? 0) + 1);
      totals.opened++;
      counters.inc('sse.opened');
      const f = req.filters;
      if (req.mode === 'standard') write(c, RETRY_FRAME);
      else {
        const filters = { system_ids: f.systemIds, character_ids: f.characterIds, min_value: f.minValue, preload_days: f.preloadDays };
        write(
          c,
          RETRY_FRAME +
            eventFrame('connected', JSON.stringify({ status: 'connected', filters, timestamp: new Date(nowMs()).toISOString() })),
        );
      }
      // Reads below are synchronous, in the same tick as index.add: a kill published later is
      // not in them, one published earlier is not sent live. Nothing is missed or sent twice.
      if (req.lastEventId !== undefined) resume(c, req.lastEventId);
      else if (req.mode === 'enhanced' && f.preloadDays > 0 && !c.closed) {
        c.historical = true;
        c.preloaded = new Set();
        runPreload({ client: c, reader: opts.reader, nowMs, write, onKills: (n) => (totals.preload_kills_sent += n), done: finishPreload });
      }
      if (!c.closed) index.add(c, c.systems, c.characters);
      return () => close(c, 'client_close');
    },
    stats: () => ({
      connections: clients.size,
      connections_enhanced: [...clients].filter((c) => c.req.mode === 'enhanced').length,
      client_ips: perIp.size,
      indexed_systems: index.bySystem.size,
      indexed_characters: index.byCharacter.size,
      indexed_wildcard: index.wildcard.size,
      max_connections: config.sseMaxConnections,
      max_per_ip: config.sseMaxPerIp,
      ...totals,
    }),
    start() {
      if (unsubscribe) return;
      unsubscribe = opts.bus.subscribe(onKills);
      tick = setInterval(heartbeat, Math.min(TICK_MS, pingMs));
      tick.unref();
    },
    stop() {
      unsubscribe?.();
      unsubscribe = undefined;
      if (tick) clearInterval(tick);
      for (const c of [...clients]) close(c, 'server_shutdown');
    },
  };
}

function isAscending(kills: readonly BusKill[]): boolean {
  for (let i = 1; i < kills.length; i++) if ((kills[i] as BusKill).killmailId < (kills[i - 1] as BusKill).killmailId) return false;
  return true;
}
