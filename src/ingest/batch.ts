// One store batch: the outcomes taken from the sink's backlog in arrival order, and the kills
// among them to write. A kill outcome already carries its record and its `older` flag, so the
// batch points at the outcomes instead of copying them into parallel arrays.
import type { PipelineOutcome } from '../core/ports.js';

export type KillOutcome = Extract<PipelineOutcome, { kind: 'kill' }>;
export type FailedOutcome = Extract<PipelineOutcome, { kind: 'failed' }>;

export interface Batch {
  /** Every outcome taken, in arrival order: failures, acknowledgements and retries follow it. */
  readonly outcomes: readonly PipelineOutcome[];
  /** The kills to write, in arrival order (those past the retention window left out). */
  readonly kills: readonly KillOutcome[];
  /** Kills older than the retention window: acknowledged, never stored nor broadcast. */
  readonly expired: number;
}

/**
 * Takes at most `max` outcomes from the front of `backlog` (one transaction must stay event-loop
 * sized) and sorts them. Kills with killTimeMs < `expiredBeforeMs` would be pruned by retention
 * on its next run: they count as expired instead of being stored and broadcast.
 */
export function takeBatch(backlog: PipelineOutcome[], max: number, expiredBeforeMs: number): Batch {
  const outcomes = backlog.splice(0, Math.min(backlog.length, max));
  const kills: KillOutcome[] = [];
  let expired = 0;
  for (const o of outcomes) {
    if (o.kind !== 'kill') continue;
    if (o.kill.killTimeMs < expiredBeforeMs) expired++;
    else kills.push(o);
  }
  return { outcomes, kills, expired };
}

/** Puts a batch that could not be written back in front of what arrived meanwhile. */
export function putBack(backlog: PipelineOutcome[], batch: Batch): void {
  // A loop, not a spread: the backlog can be long.
  const later = backlog.splice(0, backlog.length);
  for (const o of batch.outcomes) backlog.push(o);
  for (const o of later) backlog.push(o);
}
