// Entries too large for the rings go to a worker as a task of their own (a transferred copy of
// the bytes in, the result back by message), so a ring only has to fit ordinary kills: 1 MiB
// rings instead of ones sized for the largest accepted entry (4 MiB, 8 MiB once rounded) keep
// ~20 MB less resident under full ingest (docs/PERFORMANCE.md, "Soak"). Such entries are rare
// (a battle's killmail with thousands of attackers), so the path favours plainness over speed:
// a few in flight at most, one retry after a worker crash, then a dead letter, as the lanes do.
import type { PipelineOutcome, RawEntry } from '../core/ports.js';
import { failResult, toOutcome, type WireResult } from './result-codec.js';

/** Direct entries in flight at once: the feed waits (whenWritable) beyond this. */
export const MAX_DIRECT_IN_FLIGHT = 4;

export interface DirectDeps {
  /** Run one entry on a worker (the pool's 'normalise-one' task, on a copy of its bytes). */
  run(entry: RawEntry): Promise<WireResult>;
  deliver(outcomes: PipelineOutcome[]): void;
  /** A worker died on the entry: counted like a lane's crash. */
  onCrash(err: unknown, retried: boolean): void;
  /**
   * The pool is shutting down: a task that fails now failed for that, not for its entry, which
   * is then left unacknowledged (the feed reads it again after a restart), as a lane's would be.
   */
  stopping(): boolean;
}

export class DirectEntries {
  private inFlight_ = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly deps: DirectDeps) {}

  get inFlight(): number {
    return this.inFlight_;
  }

  hasRoom(): boolean {
    return this.inFlight_ < MAX_DIRECT_IN_FLIGHT;
  }

  /** Resolves once another direct entry fits. */
  whenRoom(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Starts the entry; its outcome is delivered like a lane's. The caller checked hasRoom(). */
  push(entry: RawEntry): void {
    this.inFlight_++;
    void this.process(entry);
  }

  private async process(entry: RawEntry): Promise<void> {
    let outcome: PipelineOutcome;
    try {
      outcome = toOutcome(await this.attempt(entry));
    } catch (err) {
      if (!this.deps.stopping()) this.deps.onCrash(err, false);
      const message = `entry of ${entry.body.byteLength} bytes crashed a worker twice`;
      outcome = toOutcome(failResult(0, entry.seq, entry.source, 'dead_letter', message));
    }
    // Out of flight before the outcome is seen: a listener that checks the queue sees it empty.
    this.inFlight_--;
    this.waiters.shift()?.();
    if (!this.deps.stopping()) this.deps.deliver([outcome]);
  }

  private async attempt(entry: RawEntry): Promise<WireResult> {
    try {
      return await this.deps.run(entry);
    } catch (err) {
      if (this.deps.stopping()) throw err;
      this.deps.onCrash(err, true);
      return this.deps.run(entry);
    }
  }
}
