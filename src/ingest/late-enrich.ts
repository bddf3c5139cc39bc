// Late completion of names: a kill whose names were not all resolved
// within the budget was stored and broadcast with ids; here its stored copy is completed once
// the worker caches have the names. Attempts are spaced out (the first lookups are still in
// flight when the kill is stored) and bounded, and the queue is capped so an ESI outage cannot
// grow memory without limit: what overflows is counted, and the kill keeps its ids.
//
// One FIFO per attempt: every job in it waited the same delay, so each FIFO is in due order by
// construction and the next due job is at the head of one of them.
import type { KillWriter, Reenricher } from '../core/ports.js';
import type { Counters, Logger } from '../telemetry/index.js';

// Names usually arrive within seconds; the tail covers an ESI hiccup. MAX_CONCURRENT keeps re-enrich tasks from crowding the pool.
const RETRY_DELAYS_MS = [3_000, 15_000, 60_000, 300_000];
const MAX_QUEUED = 20_000;
const MAX_CONCURRENT = 4;

interface Job {
  killmailId: number;
  json: string;
  attempt: number;
  dueAtMs: number;
  /** When the kill was stored (and broadcast with ids). */
  storedAtMs: number;
}

export interface LateEnricher {
  /** Queue the stored copy of a kill for completion; replaces any job for the same kill. */
  schedule(killmailId: number, json: string): void;
  /** Forget the kill (its stored copy was replaced by a complete one). */
  cancel(killmailId: number): void;
  stats(): Record<string, number>;
  stop(): void;
}

export interface LateEnricherDeps {
  pipeline: Reenricher;
  store: { readonly writer: KillWriter };
  counters: Counters;
  logger: Logger;
  delaysMs?: readonly number[];
  /** After a completed (or final partial) copy is saved: the cluster leader publishes it. */
  onSaved?: (killmailId: number, json: string, enriched: boolean) => void;
  /** The completed copy was stored (fan-out pushes it to clients that asked for updates). */
  onCompleted?: (killmailId: number, json: string, storedAtMs: number) => void;
}

export function createLateEnricher(deps: LateEnricherDeps): LateEnricher {
  const delays = deps.delaysMs ?? RETRY_DELAYS_MS;
  const fifos: Job[][] = delays.map(() => []);
  // The current job of each kill: a job that is no longer current (its kill was replaced or
  // cancelled) is skipped, and one in flight does not write its result.
  const current = new Map<number, Job>();
  let running = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const totals = { late_queued: 0, late_completed: 0, late_gave_up: 0, late_dropped: 0, late_errors: 0 };

  function inc(name: keyof typeof totals): void {
    totals[name]++;
    deps.counters.inc(`enrich.${name}`);
  }

  /** The FIFO whose head is due first (stale heads dropped on the way). */
  function nextFifo(): Job[] | undefined {
    let best: Job[] | undefined;
    for (const fifo of fifos) {
      while (fifo[0] !== undefined && current.get(fifo[0].killmailId) !== fifo[0]) fifo.shift();
      const head = fifo[0];
      if (head !== undefined && (best?.[0] === undefined || head.dueAtMs < best[0].dueAtMs)) best = fifo;
    }
    return best;
  }

  function arm(): void {
    if (stopped || timer !== undefined) return;
    const head = nextFifo()?.[0];
    if (head === undefined) return;
    timer = setTimeout(tick, Math.max(0, head.dueAtMs - Date.now()));
    timer.unref();
  }

  function tick(): void {
    timer = undefined;
    const now = Date.now();
    while (running < MAX_CONCURRENT) {
      const fifo = nextFifo();
      const job = fifo?.[0];
      if (fifo === undefined || job === undefined || job.dueAtMs > now) break;
      fifo.shift();
      running++;
      void run(job).finally(() => {
        running--;
        arm();
      });
    }
    arm();
  }

  async function run(job: Job): Promise<void> {
    try {
      const out = await deps.pipeline.reenrich(job.json);
      if (stopped || current.get(job.killmailId) !== job) return; // store closed, or a newer copy
      if (out.enriched) {
        current.delete(job.killmailId);
        deps.store.writer.updateJson(job.killmailId, out.json, true);
        deps.onSaved?.(job.killmailId, out.json, true);
        inc('late_completed');
        deps.onCompleted?.(job.killmailId, out.json, job.storedAtMs);
        return;
      }
      job.json = out.json; // keep what did resolve
    } catch (err) {
      // A stopped pipeline, a worker crash or a store write failure: count it and retry later.
      inc('late_errors');
      deps.logger.debug({ err, killmailId: job.killmailId }, 'late enrichment attempt failed');
    }
    if (!stopped && current.get(job.killmailId) === job) retry(job);
  }

  function retry(job: Job): void {
    job.attempt++;
    const delay = delays[job.attempt];
    const fifo = fifos[job.attempt];
    if (delay === undefined || fifo === undefined) {
      current.delete(job.killmailId);
      // Store what resolved so far; the kill keeps ids for the rest.
      try {
        deps.store.writer.updateJson(job.killmailId, job.json, false);
        deps.onSaved?.(job.killmailId, job.json, false);
      } catch (err) {
        inc('late_errors');
        deps.logger.warn({ err, killmailId: job.killmailId }, 'partial names not saved');
      }
      inc('late_gave_up');
      return;
    }
    job.dueAtMs = Date.now() + delay;
    fifo.push(job);
  }

  return {
    schedule(killmailId, json) {
      const first = fifos[0];
      if (stopped || first === undefined) return;
      if (!current.has(killmailId) && current.size >= MAX_QUEUED) {
        inc('late_dropped');
        return;
      }
      inc('late_queued');
      const now = Date.now();
      const job: Job = { killmailId, json, attempt: 0, dueAtMs: now + (delays[0] ?? 0), storedAtMs: now };
      current.set(killmailId, job);
      first.push(job);
      arm();
    },
    cancel(killmailId) {
      current.delete(killmailId);
    },
    // A running job whose kill was replaced is no longer in `current`: count the waiting ones.
    stats: () => ({
      ...totals,
      late_pending: fifos.reduce((n, f) => n + f.filter((j) => current.get(j.killmailId) === j).length, 0),
      late_running: running,
    }),
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
