// Late completion of names (SPEC §3.2 timeliness): a kill whose names were not all resolved
// within the budget was stored and broadcast with ids; here its stored copy is completed once
// the worker caches have the names. Attempts are spaced out (the first lookups are still in
// flight when the kill is stored) and bounded, and the queue is capped so an ESI outage cannot
// grow memory without limit: what overflows is counted, and the kill keeps its ids.
import type { Pipeline } from '../pipeline/index.js';
import type { Store } from '../store/index.js';
import type { Counters, Logger } from '../telemetry/index.js';

const RETRY_DELAYS_MS = [3_000, 15_000, 60_000, 300_000];
const MAX_QUEUED = 20_000;
const MAX_CONCURRENT = 4;

interface Job {
  killmailId: number;
  json: string;
  attempt: number;
  dueAtMs: number;
}

export interface LateEnricher {
  schedule(killmailId: number, json: string): void;
  stats(): Record<string, number>;
  stop(): void;
}

export function createLateEnricher(deps: { pipeline: Pipeline; store: Store; counters: Counters; logger: Logger; delaysMs?: readonly number[] }): LateEnricher {
  const delays = deps.delaysMs ?? RETRY_DELAYS_MS;
  const queue: Job[] = []; // ordered by dueAtMs: every job is appended with a delay ≥ its predecessors'
  const retries: Job[] = [];
  let running = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const totals = { late_queued: 0, late_completed: 0, late_gave_up: 0, late_dropped: 0, late_errors: 0 };

  function inc(name: keyof typeof totals): void {
    totals[name]++;
    deps.counters.inc(`enrich.${name}`);
  }

  function arm(): void {
    if (stopped || timer !== undefined) return;
    const next = Math.min(queue[0]?.dueAtMs ?? Infinity, ...retries.map((j) => j.dueAtMs));
    if (next === Infinity) return;
    timer = setTimeout(tick, Math.max(0, next - Date.now()));
    timer.unref();
  }

  function take(now: number): Job | undefined {
    const r = retries.findIndex((j) => j.dueAtMs <= now);
    if (r >= 0) return retries.splice(r, 1)[0];
    if (queue[0] !== undefined && queue[0].dueAtMs <= now) return queue.shift();
    return undefined;
  }

  function tick(): void {
    timer = undefined;
    const now = Date.now();
    while (running < MAX_CONCURRENT) {
      const job = take(now);
      if (job === undefined) break;
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
      if (stopped) return; // the store may already be closed: the kill keeps its stored copy
      if (out.enriched) {
        deps.store.writer.updateJson(job.killmailId, out.json, true);
        inc('late_completed');
        return;
      }
      job.json = out.json; // keep what did resolve
    } catch (err) {
      // A stopped pipeline, a worker crash or a store write failure: count it and retry later.
      inc('late_errors');
      deps.logger.debug({ err, killmailId: job.killmailId }, 'late enrichment attempt failed');
    }
    if (!stopped) retry(job);
  }

  function retry(job: Job): void {
    job.attempt++;
    const delay = delays[job.attempt];
    if (delay === undefined) {
      // Store what resolved so far; the kill keeps ids for the rest.
      try {
        deps.store.writer.updateJson(job.killmailId, job.json, false);
      } catch (err) {
        inc('late_errors');
        deps.logger.warn({ err, killmailId: job.killmailId }, 'partial names not saved');
      }
      inc('late_gave_up');
      return;
    }
    job.dueAtMs = Date.now() + delay;
    retries.push(job);
  }

  return {
    schedule(killmailId, json) {
      if (stopped) return;
      if (queue.length + retries.length >= MAX_QUEUED) {
        inc('late_dropped');
        return;
      }
      inc('late_queued');
      queue.push({ killmailId, json, attempt: 0, dueAtMs: Date.now() + (delays[0] ?? 0) });
      arm();
    },
    stats: () => ({ ...totals, late_pending: queue.length + retries.length, late_running: running }),
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
