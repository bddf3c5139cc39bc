// One SSE connection's state. Live frames that arrive while an enhanced stream is still sending
// its preload are held (bounded) and written after `transition`, so the client sees preload
// batches → transition → live kills, with no kill twice.
import type { SseRequest, StreamSink } from '../../core/ports.js';
import type { Matchable } from '../match-index.js';

export type SseCloseReason = 'client_close' | 'slow_reader' | 'held_overflow' | 'server_shutdown';

export interface SseClient extends Matchable {
  readonly id: number;
  readonly req: SseRequest;
  readonly sink: StreamSink;
  readonly systems: readonly number[];
  readonly characters: readonly number[];
  /** While true, live frames go to `held` (enhanced preload running). */
  historical: boolean;
  held: { id: number; frame: string }[];
  /** Kill ids the preload sent: a held live copy of one is skipped. */
  preloaded: Set<number> | undefined;
  lastWriteMs: number;
  lastHeartbeatMs: number;
  closed: boolean;
  timer: NodeJS.Timeout | undefined;
}

let nextId = 1;

export function createClient(req: SseRequest, sink: StreamSink, nowMs: number): SseClient {
  return {
    matchStamp: 0,
    id: nextId++,
    req,
    sink,
    systems: [...new Set(req.filters.systemIds)],
    characters: [...new Set(req.filters.characterIds)],
    historical: false,
    held: [],
    preloaded: undefined,
    lastWriteMs: nowMs,
    lastHeartbeatMs: nowMs,
    closed: false,
    timer: undefined,
  };
}
