// Drains the webhook outbox: per subscription, up to 50 kills once the oldest has waited the
// batch window (or at once when 50 are waiting), one POST per system among them (the payload
// carries one system_id, all sent at once), signed when the subscription has a secret. A failed
// POST's kills are retried after each configured delay, then dropped and counted; 10 failed
// deliveries (cycles) in a row disable the subscription until it is re-enabled. One cycle per
// subscription at a time and at most `maxPerHost` per receiver host, so a dead receiver only
// holds its own slots.
import { createHmac } from 'node:crypto';
import type { OutboxRow, WebhookRow, WebhookStore } from '../../core/ports.js';
import type { Counters, Logger } from '../../telemetry/index.js';
import type { Matchable } from '../match-index.js';
import type { WebhookPoster } from './client.js';
import { SsrfError } from './ssrf.js';

export const BATCH_MAX = 50;
export const DISABLE_AFTER_FAILURES = 10;
const GLOBAL_MAX_IN_FLIGHT = 256;
const TICK_MS = 100;
const STOP_WAIT_MS = 2000;

export interface SubState extends Matchable {
  row: WebhookRow;
  host: string;
  /** A delivery cycle is running for it. */
  busy: boolean;
  /** Untried rows waiting (a full batch goes out before the window ends). */
  fresh: number;
  nextDueMs: number;
  /** After a failed POST nothing is sent to it before this (epoch ms): the retry delay. */
  holdUntilMs: number;
}

export interface DeliveryDeps {
  store: WebhookStore;
  poster: WebhookPoster;
  counters: Counters;
  logger: Logger;
  nowMs: () => number;
  subs: ReadonlyMap<string, SubState>;
  batchMs: number;
  retryDelaysMs: readonly number[];
  maxPerHost: number;
  userAgent: string;
  /** A subscription's state changed here (failures, disabled): a cluster shares it. */
  onStateChange?: (row: WebhookRow) => void;
}

export interface Delivery {
  noteEnqueued(s: SubState, dueAtMs: number): void;
  /** Re-read a subscription's pending rows from the store. */
  resync(s: SubState): void;
  kick(): void;
  start(): void;
  stop(): Promise<void>;
  stats(): Record<string, number>;
}

type Totals = Record<
  | 'posts_ok'
  | 'posts_failed'
  | 'deliveries_failed'
  | 'kills_delivered'
  | 'kills_dropped'
  | 'kills_missing'
  | 'disabled_total'
  | 'ssrf_refused',
  number
>;

export function createDelivery(d: DeliveryDeps): Delivery {
  const { store, counters } = d;
  const hostBusy = new Map<string, number>();
  const running = new Set<Promise<void>>();
  const totals: Totals = {
    posts_ok: 0,
    posts_failed: 0,
    deliveries_failed: 0,
    kills_delivered: 0,
    kills_dropped: 0,
    kills_missing: 0,
    disabled_total: 0,
    ssrf_refused: 0,
  };
  let inFlight = 0;
  let scheduled = false;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;

  function resync(s: SubState): void {
    const sum = store.summaryOf(s.row.id);
    s.fresh = sum?.fresh ?? 0;
    s.nextDueMs = sum?.nextDueMs ?? Infinity;
  }

  function setState(s: SubState, enabled: boolean, failures: number): void {
    const now = d.nowMs();
    store.setState(s.row.id, enabled, failures, now);
    s.row = { ...s.row, enabled, consecutiveFailures: failures, updatedAtMs: now };
    d.onStateChange?.(s.row);
  }

  function succeeded(s: SubState, ids: number[]): void {
    store.delivered(ids);
    totals.posts_ok++;
    totals.kills_delivered += ids.length;
    counters.inc('webhooks.kills_delivered', ids.length);
    s.holdUntilMs = 0;
    if (s.row.consecutiveFailures > 0) setState(s, s.row.enabled, 0);
  }

  function failed(s: SubState, rows: readonly OutboxRow[], error: string): void {
    totals.deliveries_failed++;
    counters.inc('webhooks.deliveries_failed');
    reschedule(rows);
    const failures = s.row.consecutiveFailures + 1;
    const delays = d.retryDelaysMs;
    s.holdUntilMs = d.nowMs() + (delays[Math.min(failures, delays.length) - 1] ?? 0);
    const disable = s.row.enabled && failures >= DISABLE_AFTER_FAILURES;
    setState(s, s.row.enabled && !disable, failures);
    if (disable) {
      totals.disabled_total++;
      counters.inc('webhooks.disabled');
      d.logger.warn({ subscription: s.row.id, host: s.host, failures, error }, 'webhook subscription disabled after consecutive failures');
    }
  }

  /** One more failed attempt for each row: its next retry, or dropped after the last. */
  function reschedule(rows: readonly OutboxRow[]): void {
    const now = d.nowMs();
    const byAttempts = new Map<number, number[]>();
    for (const r of rows) {
      const list = byAttempts.get(r.attempts + 1);
      if (list) list.push(r.id);
      else byAttempts.set(r.attempts + 1, [r.id]);
    }
    for (const [attempts, ids] of byAttempts) {
      const delay = d.retryDelaysMs[attempts - 1];
      if (delay !== undefined) {
        store.retry(ids, attempts, now + delay);
        continue;
      }
      store.delivered(ids); // out of retries: dropped, and counted
      totals.kills_dropped += ids.length;
      counters.inc('webhooks.kills_dropped', ids.length);
    }
  }

  function body(systemId: number, kills: readonly string[]): string {
    return `{"type":"killmail_update","system_id":${systemId},"kills":[${kills.join(',')}],"timestamp":"${new Date(d.nowMs()).toISOString()}"}`;
  }

  /** POST one system's kills; on success the rows are deleted, else returned with the error. */
  async function send(s: SubState, systemId: number, group: readonly OutboxRow[]): Promise<{ failed: OutboxRow[]; error: string }> {
    const kills: string[] = [];
    const rows: OutboxRow[] = [];
    const missing: number[] = [];
    for (const r of group) {
      const json = store.killJson(r.killmailId);
      if (json === undefined)
        missing.push(r.id); // pruned by retention while waiting
      else {
        kills.push(json);
        rows.push(r);
      }
    }
    if (missing.length > 0) {
      store.delivered(missing);
      totals.kills_missing += missing.length;
    }
    if (rows.length === 0) return { failed: [], error: '' };
    const text = body(systemId, kills);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': d.userAgent,
      'x-wk-subscription-id': s.row.id,
      'x-wk-delivery-id': `${s.row.id}.${rows[0]!.id}`,
    };
    if (s.row.secret !== null) headers['x-wk-signature'] = 'sha256=' + createHmac('sha256', s.row.secret).update(text).digest('hex');
    let error = '';
    try {
      const res = await d.poster.post(s.row.callbackUrl, text, headers);
      if (res.status < 200 || res.status > 299) error = `HTTP ${res.status}`;
    } catch (err) {
      if (err instanceof SsrfError) totals.ssrf_refused++;
      error = err instanceof Error ? err.message : String(err);
    }
    if (error !== '') return { failed: rows, error };
    succeeded(
      s,
      rows.map((r) => r.id),
    );
    return { failed: [], error: '' };
  }

  async function cycle(s: SubState, now: number): Promise<void> {
    // Once anything is due, every untried row goes too: the batch window is the oldest row's.
    const rows = store.due(s.row.id, now, true, BATCH_MAX);
    const bySystem = new Map<number, OutboxRow[]>();
    for (const r of rows) {
      const list = bySystem.get(r.systemId);
      if (list) list.push(r);
      else bySystem.set(r.systemId, [r]);
    }
    // The POSTs of one cycle go out together; the pooled Agent keeps at most `maxPerHost`
    // connections per receiver, so the rest queue there. Failed POSTs of one cycle count as one
    // failure: one bad moment of a receiver, not one per system.
    const results = await Promise.all([...bySystem].map(([systemId, group]) => send(s, systemId, group)));
    const failedRows = results.flatMap((r) => r.failed);
    for (const r of results) if (r.error !== '') totals.posts_failed++;
    if (failedRows.length > 0) failed(s, failedRows, results.find((r) => r.error !== '')?.error ?? '');
  }

  function launch(s: SubState, now: number): void {
    s.busy = true;
    inFlight++;
    hostBusy.set(s.host, (hostBusy.get(s.host) ?? 0) + 1);
    const p = cycle(s, now)
      .catch((err: unknown) => d.logger.error({ err, subscription: s.row.id }, 'webhook delivery cycle failed'))
      .finally(() => {
        s.busy = false;
        inFlight--;
        const n = (hostBusy.get(s.host) ?? 1) - 1;
        if (n <= 0) hostBusy.delete(s.host);
        else hostBusy.set(s.host, n);
        running.delete(p);
        if (stopped) return;
        resync(s);
        kick();
      });
    running.add(p);
  }

  function pump(): void {
    scheduled = false;
    if (stopped) return;
    const now = d.nowMs();
    for (const s of d.subs.values()) {
      if (inFlight >= GLOBAL_MAX_IN_FLIGHT) break;
      if (s.busy || !s.row.enabled || s.holdUntilMs > now || (s.fresh < BATCH_MAX && s.nextDueMs > now)) continue;
      if ((hostBusy.get(s.host) ?? 0) >= d.maxPerHost) continue;
      launch(s, now);
    }
  }

  function kick(): void {
    if (scheduled || stopped) return;
    scheduled = true;
    setImmediate(pump);
  }

  return {
    noteEnqueued(s, dueAtMs) {
      s.fresh++;
      if (dueAtMs < s.nextDueMs) s.nextDueMs = dueAtMs;
    },
    resync,
    kick,
    start() {
      stopped = false;
      // Deliveries pending from before a restart resume on their own schedule.
      for (const sum of store.summary()) {
        const s = d.subs.get(sum.subscriptionId);
        if (!s) continue;
        s.fresh = sum.fresh;
        s.nextDueMs = sum.nextDueMs;
      }
      timer = setInterval(pump, TICK_MS);
      timer.unref();
      kick();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (running.size > 0) await Promise.race([Promise.allSettled([...running]), new Promise((r) => setTimeout(r, STOP_WAIT_MS))]);
    },
    stats: () => ({ in_flight: inFlight, hosts_busy: hostBusy.size, ...totals }),
  };
}
