// The result sink's states and the moves allowed between them. The sink holds one SinkState and
// changes it only through transition(), so a move the table does not list is a bug that throws
// where it happens instead of leaving the feed paused or the store written after close.
//
//   running ──write fails──► backlogged ──write succeeds──► running
//      │                         │
//      └──backlog ≥ pauseAt──────┴──► paused ──write succeeds, backlog < pauseAt/2──► running
//   any of the three ──stop()──► stopping ──last flush done──► stopped
//
// In `backlogged` and `paused` a failed write is retried on a back-off timer; `paused` also closes
// the feed gate, so the feed waits (as on a full ring) and the backlog stays bounded.

export type SinkState = 'running' | 'backlogged' | 'paused' | 'stopping' | 'stopped';

export const SINK_TRANSITIONS: Readonly<Record<SinkState, readonly SinkState[]>> = {
  running: ['backlogged', 'paused', 'stopping'],
  backlogged: ['running', 'paused', 'stopping'],
  paused: ['running', 'stopping'],
  stopping: ['stopped'],
  stopped: [],
};

/** The state after moving `from` → `to`; staying put is always allowed, any other unlisted move throws. */
export function transition(from: SinkState, to: SinkState): SinkState {
  if (from === to || SINK_TRANSITIONS[from].includes(to)) return to;
  throw new Error(`result sink cannot move from ${from} to ${to}`);
}
